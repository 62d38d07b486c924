// vovrest: the Altair Accelerator REST API v3 from the shell — a token for curl, any REST call,
// queries, job submission (one, or thousands from a file through one session) and job control.
// Errors are one line on stderr with the server's words; the exit status says what kind.
#include "cli_app.hpp"
#include "cli_commands.hpp"
#include "cli_errors.hpp"
#include "cli_session.hpp"

#include <vovrest/diagnostics.hpp>
#include <vovrest/error.hpp>
#include <vovrest/session.hpp>

#include <CLI/CLI.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <sys/prctl.h>
#include <sys/resource.h>

#include <exception>
#include <iostream>
#include <optional>

namespace {

namespace asio = boost::asio;
namespace cli = vovrest::cli;

// Like ssh-agent: no core dump and no ptrace by other processes of the user, so that neither
// the password nor a token can be read out of this process's memory.
void make_undumpable() noexcept
{
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    const struct rlimit none
    {
        0, 0
    };
    ::setrlimit(RLIMIT_CORE, &none);
}

// Authorizes first, so that a wrong password is one clear error before any work starts.
asio::awaitable<int> authorize_then(vovrest::session& s, std::function<asio::awaitable<int>(vovrest::session&)> run,
                                    bool verbose)
{
    co_await s.authorize();
    if (verbose && s.counters().token_cache_hits > 0)
        std::cerr << "vovrest: the token came from the token cache" << std::endl;
    co_return co_await run(s);
}

int run_with_session(const cli::global_options& options, cli::command& command)
{
    if (command.reads_stdin && options.password_stdin)
        throw cli::usage_error("--password-stdin and the command both want standard input");
    bool stdin_taken = false;
    vovrest::session_params params = cli::make_session_params(options, stdin_taken);
    params.single_threaded = true;  // only this thread runs `io`
    asio::io_context io;
    vovrest::session s(io.get_executor(), std::move(params));
    std::optional<int> status;
    std::exception_ptr failure;
    // Stops the loop at once: a renewal still retrying (a server that never answers) or idle
    // keep-alive connections must not keep a finished command alive.
    asio::co_spawn(io, authorize_then(s, std::move(command.run), options.verbose),
                   [&](std::exception_ptr e, int result) {
                       failure = e;
                       status = result;
                       io.stop();
                   });
    io.run();
    if (failure)
        std::rethrow_exception(failure);
    return status.value_or(cli::exit_failure);
}

int run(int argc, char** argv)
{
    cli::global_options options;
    cli::command command;
    CLI::App app;
    app.name("vovrest");
    cli::build_app(app, options, command);
    try
    {
        app.parse(argc, argv);
    }
    catch (const CLI::CallForHelp& e)
    {
        return app.exit(e);
    }
    catch (const CLI::CallForAllHelp& e)
    {
        return app.exit(e);
    }
    catch (const CLI::CallForVersion& e)
    {
        return app.exit(e);
    }
    catch (const CLI::ParseError& e)
    {
        std::string text = e.what();
        if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr && cli::command_path(app) == "vovrest submit")
            text += " (put the job's command after --: vovrest submit [OPTIONS] -- COMMAND ARGS...)";
        throw cli::usage_error(text + " (see " + cli::command_path(app) + " --help)");
    }
    cli::apply_config(app, options);
    if (command.local)
        return command.local();
    return run_with_session(options, command);
}

}  // namespace

int main(int argc, char** argv)
{
    make_undumpable();
    try
    {
        return run(argc, argv);
    }
    catch (const cli::usage_error& e)
    {
        return cli::fail(cli::exit_usage, e.what());
    }
    catch (const cli::cli_failure& e)
    {
        return cli::fail(e.exit_status, e.what());
    }
    catch (const vovrest::error_with_diagnostics& e)
    {
        // "METHOD PATH: HTTP status: the server's text: the client's cause"; never a token or password.
        return cli::fail(cli::exit_status_for(e.code(), e.get_diagnostics()),
                         cli::error_text(e.code(), e.get_diagnostics()));
    }
    catch (const std::exception& e)
    {
        return cli::fail(cli::exit_failure, e.what());
    }
}
