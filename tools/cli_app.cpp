#include "cli_app.hpp"

#include "common/help_formatter.hpp"
#include "common/options.hpp"

#include <vovrest/version.hpp>

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace vovrest::cli {
namespace {

using vovrest::tools::add_duration;

constexpr const char* description =
    "A client of the Altair Accelerator (VOV/NC) REST API v3: a token for curl, any REST call,\n"
    "queries, job submission (one, or thousands from a file through one session) and job control.\n"
    "Options go before or after the command; every command has --help.";

constexpr const char* footer =
    R"help(The password is asked only when a token must be requested, from --password-file (which
group and others must not be able to read: chmod 600), --password-stdin, $VOV_PASSWORD, or a
prompt when standard input is a terminal. It is never printed; a token only by `vovrest token`.

Token cache: the token is kept for the next commands of the same OS user in
$XDG_RUNTIME_DIR/vovrest (else $XDG_CACHE_HOME/vovrest, else ~/.cache/vovrest), one file per
URL and user, mode 0600 in a 0700 directory, and used while it is fresh; processes started at
once make one token request. --token-cache off, `token --no-cache` and `logout` opt out.

Timeouts: each operation (a request with its token wait, retries and replay) gives up after
--timeout (default 30s; 0: never) and a connect or TLS handshake after --connect-timeout
(default 10s); a token request is tried 3 times at most. `job wait` and `submit --file` run as
long as their jobs need: the bound is per request.

Settings come from the command line, else the environment (NC_URL, VOVREST_USER, USER,
VOVREST_PASSWORD_FILE, VOVREST_CACERT, VOVREST_INSECURE, VOVREST_TIMEOUT,
VOVREST_CONNECT_TIMEOUT, VOVREST_CONNECTIONS, VOVREST_OUTPUT, VOVREST_NO_PROGRESS,
VOVREST_TOKEN_CACHE, VOVREST_CONFIG), else the config file ($XDG_CONFIG_HOME/vovrest/config.ini,
else ~/.config/vovrest/config.ini: "name = value" lines named like the long options, e.g.
url = https://nchost:6271, user, cacert, connections, timeout; ; or # starts a comment).

DURATION: a number and a unit (us, ms, s, m, h), terms may be summed: 500ms, 2s, 1.5s, 1m30s.

Exit status:
  0  success
  1  any other failure (server error, refused job, timeout, refused redirect, TLS, some jobs
     of a file not submitted, ...)
  2  usage: a wrong command line, URL or config file; a path or header with CR, LF or NUL
  3  authentication: wrong user or password, no password, refused password file or token
  4  not found: no such job or resource (job wait: the job never existed or was forgotten)
  5  job wait: a job was forgotten while waited for (it ended; its end state was not seen)

Example: curl -H "Authorization: $(vovrest token)" "$NC_URL/api/v3/project/1/project")help";

// The options a config file may set: every global option that takes a value or is a flag,
// except those that only make sense on a command line.
bool settable_in_config(const CLI::Option& option)
{
    const std::string name = option.get_single_name();
    return !option.get_lnames().empty() && name != "help" && name != "version" && name != "config"
           && name != "password-stdin";
}

std::string config_text(const std::string& path)
{
    std::ifstream in(path);
    if (!in)
        return {};
    // CLI11's INI reader knows ';' comments; '#' ones are common too.
    std::string text, line;
    while (std::getline(in, line))
    {
        const auto first = line.find_first_not_of(" \t");
        if (first != std::string::npos && line[first] == '#')
            continue;
        text += line;
        text += '\n';
    }
    return text;
}

}  // namespace

std::string default_config_file()
{
    if (const char* config = std::getenv("XDG_CONFIG_HOME"); config != nullptr && config[0] == '/')
        return std::string(config) + "/vovrest/config.ini";
    if (const char* home = std::getenv("HOME"); home != nullptr && home[0] == '/')
        return std::string(home) + "/.config/vovrest/config.ini";
    return {};
}

void build_app(CLI::App& app, global_options& o, command& out)
{
    app.description(description);
    app.footer(footer);
    vovrest::tools::use_help_formatter(app);
    app.option_defaults()->disable_flag_override();
    app.set_version_flag("--version", std::string("vovrest ") + library_version());
    app.fallthrough();
    app.require_subcommand(1);

    const std::string server = "Server and account";
    app.add_option("--url", o.url, "the Accelerator, e.g. https://nchost:6271 (a path is dropped)")
        ->envname("NC_URL")
        ->type_name("URL")
        ->group(server);
    app.add_option("--user", o.user, "the account (default: $USER)")
        ->envname("VOVREST_USER")
        ->type_name("NAME")
        ->group(server);
    auto* file = app.add_option("--password-file", o.password_file,
                                "read the password from FILE's first line; FILE must not be readable by group or "
                                "others (chmod 600)")
                     ->envname("VOVREST_PASSWORD_FILE")
                     ->type_name("FILE")
                     ->group(server);
    app.add_flag("--password-stdin", o.password_stdin, "read the password from the first line of standard input")
        ->excludes(file)
        ->group(server);
    app.add_option("--cacert", o.cacert, "trust this PEM CA certificate (an internal CA) for https")
        ->envname("VOVREST_CACERT")
        ->type_name("FILE")
        ->group(server);
    app.add_flag("--insecure", o.insecure, "do not verify the server's certificate (self-signed sites)")
        ->envname("VOVREST_INSECURE")
        ->group(server);

    const std::string behaviour = "Behaviour";
    add_duration(app, "--timeout", o.timeout, "bound on each operation, token and retries included (0: none)")
        ->envname("VOVREST_TIMEOUT")
        ->group(behaviour);
    add_duration(app, "--connect-timeout", o.connect_timeout, "bound on a connect and its TLS handshake")
        ->envname("VOVREST_CONNECT_TIMEOUT")
        ->group(behaviour);
    app.add_option("--connections", o.connections, "keep-alive connections at most")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str()
        ->envname("VOVREST_CONNECTIONS")
        ->type_name("N")
        ->group(behaviour);
    app.add_option_function<std::string>(
           "-o,--output",
           [&o](const std::string& v) { o.output = v == "json" ? output_format::json : output_format::text; },
           "text (for people) or json (one JSON document per line, for programs)")
        ->check(CLI::IsMember({"text", "json"}))
        ->default_str("text")
        ->envname("VOVREST_OUTPUT")
        ->type_name("FORMAT")
        ->group(behaviour);
    app.add_flag("--no-progress", o.no_progress, "no progress bar, even on a terminal")
        ->envname("VOVREST_NO_PROGRESS")
        ->group(behaviour);
    app.add_option("--token-cache", o.token_cache,
                   "the token cache directory, or off (default: $XDG_RUNTIME_DIR/vovrest, see below)")
        ->envname("VOVREST_TOKEN_CACHE")
        ->type_name("PATH|off")
        ->group(behaviour);
    app.add_option("--config", o.config_file, "read settings from FILE (default: $XDG_CONFIG_HOME/vovrest/config.ini)")
        ->envname("VOVREST_CONFIG")
        ->type_name("FILE")
        ->group(behaviour);
    app.add_flag("-v,--verbose", o.verbose, "print session events (renewals, replays, connections) on stderr")
        ->group(behaviour);

    add_token_commands(app, o, out);
    add_request_commands(app, o, out);
    add_query_command(app, o, out);
    add_submit_command(app, o, out);
    add_job_command(app, o, out);
}

void apply_config(CLI::App& app, global_options& o)
{
    const bool named = !o.config_file.empty();
    const std::string path = named ? o.config_file : default_config_file();
    if (!path.empty())
    {
        std::ifstream probe(path);
        if (!probe)
        {
            if (named)
                throw usage_error("cannot read the config file " + path);
        }
        else
        {
            std::istringstream text(config_text(path));
            std::vector<CLI::ConfigItem> items;
            try
            {
                items = CLI::ConfigINI().from_config(text);
            }
            catch (const CLI::Error& e)
            {
                throw usage_error("config file " + path + ": " + e.what());
            }
            for (const auto& item : items)
            {
                if (!item.parents.empty() && !(item.parents.size() == 1 && item.parents.front() == "default"))
                    throw usage_error("config file " + path + ": no section [" + item.parents.front()
                                      + "] (settings go at the top)");
                CLI::Option* option = app.get_option_no_throw("--" + item.name);
                if (option == nullptr || !settable_in_config(*option))
                    throw usage_error("config file " + path + ": unknown setting '" + item.name + "'");
                if (option->count() > 0)
                    continue;  // the command line or the environment said it already
                try
                {
                    for (const auto& input : item.inputs)
                        option->add_result(input);
                    option->run_callback();
                }
                catch (const CLI::Error& e)
                {
                    throw usage_error("config file " + path + ": " + e.what());
                }
            }
        }
    }
    if (o.user.empty())
        if (const char* user = std::getenv("USER"))
            o.user = user;
}

std::string command_path(const CLI::App& app)
{
    std::string path = app.get_name();
    const CLI::App* current = &app;
    for (;;)
    {
        const auto subs = current->get_subcommands();
        if (subs.empty())
            return path;
        current = subs.front();
        path += " " + current->get_name();
    }
}

}  // namespace vovrest::cli
