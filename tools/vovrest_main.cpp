// vovrest: the Altair Accelerator REST API v3 from the shell — a token for curl, any GET, queries,
// job submission (one, or thousands from a file through one session) and job control.
// Errors are one line on stderr with the server's words; the exit status says what kind.
#include "cli_args.hpp"
#include "cli_commands.hpp"
#include "cli_session.hpp"

#include <vovrest/diagnostics.hpp>
#include <vovrest/error.hpp>
#include <vovrest/session.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <iostream>
#include <optional>
#include <string_view>

namespace {

namespace asio = boost::asio;
namespace cli = vovrest::cli;

constexpr std::string_view usage_text = R"help(usage: vovrest [options] COMMAND [ARGS...]

A client of the Altair Accelerator (VOV/NC) REST API v3.

Commands (each has --help):
  token                       print "<token_type>:<access_token>" for curl -H "Authorization: ..."
  get PATH [NAME=VALUE ...]   GET any resource and print the body
  query --select F,.. [--from jobs] [--where RULE] [--order F] [--limit N] [--format json|csv|table]
  submit [--rundir D] [--jobname N] [--resources R] -- COMMAND ARGS...
                              submit one job, print its id
  submit --file FILE [--concurrency N] [--summary] [--no-reconcile] [--tag PREFIX]
                              submit one job per line exactly once, print one line per job
  job info|stop|suspend|resume|forget|wait ID

Options (before the command):
  --url URL                   the Accelerator, e.g. https://nchost:6271 (default: $NC_URL)
  --user NAME                 the account (default: $USER)
  --password-file FILE        read the password from FILE's first line; FILE must not be
                              readable by group or others (chmod 600)
  --password-stdin            read the password from the first line of standard input
                              Otherwise $VOV_PASSWORD, else a prompt when stdin is a terminal.
  --cacert FILE               trust this PEM CA certificate (an internal CA) for https
  --insecure                  do not verify the server's certificate (self-signed sites)
  --timeout DURATION          bound on each request, token included (500ms, 2s, 1m)
  --connections N             keep-alive connections at most (default 8)
  -v, --verbose               print session events (renewals, replays, connections) on stderr
  -h, --help                  this text

The password is never printed; a token only by `vovrest token`.

Exit status:
  0  success
  1  any other failure (server error, refused job, timeout, some jobs not submitted, ...)
  2  usage: a wrong command line or URL
  3  authentication: wrong user or password, no password, refused password file
  4  not found: no such job or resource
)help";

int exit_status_for(const boost::system::error_code& ec)
{
    if (ec == vovrest::error::authentication_failed || ec == vovrest::error::no_password
        || ec == vovrest::error::unauthorized)
        return cli::exit_authentication;
    if (ec == vovrest::error::not_found || ec == vovrest::error::job_forgotten)
        return cli::exit_not_found;
    if (ec == vovrest::error::invalid_url || ec == vovrest::error::https_required)
        return cli::exit_usage;
    return cli::exit_failure;
}

int fail(int status, std::string_view message)
{
    std::cerr << "vovrest: " << message << '\n';
    return status;
}

cli::runner parse_command(cli::arguments& args, cli::command_needs& needs)
{
    const std::string name = args.take();
    if (name == "token")
        return cli::parse_token(args);
    if (name == "get")
        return cli::parse_get(args);
    if (name == "query")
        return cli::parse_query(args);
    if (name == "submit")
        return cli::parse_submit(args, needs);
    if (name == "job")
        return cli::parse_job(args);
    throw cli::usage_error("unknown command '" + name + "'");
}

// Authorizes first, so that a wrong password is one clear error before any work starts.
asio::awaitable<int> authorize_then(vovrest::session& s, cli::runner run)
{
    co_await s.authorize();
    co_return co_await run(s);
}

int run(int argc, char** argv)
{
    cli::arguments args(argc, argv);
    const cli::global_options global = cli::parse_global(args);
    if (global.help || args.empty())
    {
        if (!global.help)
            return fail(cli::exit_usage, "a command is missing (see vovrest --help)");
        std::cout << usage_text;
        return cli::exit_ok;
    }
    cli::command_needs needs;
    cli::runner command = parse_command(args, needs);
    if (!command)
        return cli::exit_ok;  // its --help was printed

    bool stdin_taken = false;
    vovrest::session_params params = cli::make_session_params(global, stdin_taken);
    if (stdin_taken && needs.reads_stdin)
        throw cli::usage_error("--password-stdin and --file - both want standard input");

    params.single_threaded = true;  // only this thread runs `io`
    asio::io_context io;
    vovrest::session s(io.get_executor(), std::move(params));
    std::optional<int> status;
    std::exception_ptr failure;
    // Stops the loop at once: a renewal still retrying (a server that never answers) or idle
    // keep-alive connections must not keep a finished command alive.
    asio::co_spawn(io, authorize_then(s, std::move(command)), [&](std::exception_ptr e, int result) {
        failure = e;
        status = result;
        io.stop();
    });
    io.run();
    if (failure)
        std::rethrow_exception(failure);
    return status.value_or(cli::exit_failure);
}

}  // namespace

int main(int argc, char** argv)
{
    try
    {
        return run(argc, argv);
    }
    catch (const cli::usage_error& e)
    {
        return fail(cli::exit_usage, std::string(e.what()) + " (see vovrest --help)");
    }
    catch (const cli::cli_failure& e)
    {
        return fail(e.exit_status, e.what());
    }
    catch (const vovrest::error_with_diagnostics& e)
    {
        // "METHOD PATH: HTTP status: the server's text"; never a token or password.
        return fail(exit_status_for(e.code()), vovrest::describe(e.code(), e.get_diagnostics()));
    }
    catch (const std::exception& e)
    {
        return fail(cli::exit_failure, e.what());
    }
}
