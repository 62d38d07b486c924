#include "cli_session.hpp"

#include "cli_output.hpp"

#include <vovrest/password_provider.hpp>
#include <vovrest/token_cache.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace vovrest::cli {
namespace {

std::string environment(const char* name)
{
    const char* value = std::getenv(name);
    return value ? value : "";
}

// Checked here as well as in password_from_file, so that the user learns why the file is not
// used instead of a bare "no password".
void check_password_file(const std::string& path)
{
    struct stat info
    {};
    if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode))
        throw cli_failure(exit_authentication, "cannot read the password file " + path);
    if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0)
        throw cli_failure(exit_authentication, "refusing the password file " + path
                                                   + ": its group or others may read it (chmod 600 " + path + ")");
}

password_provider password_from_stdin()
{
    std::string line;
    std::getline(std::cin, line);
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    if (line.empty())
        throw cli_failure(exit_authentication, "--password-stdin: no password on standard input");
    auto provider = fixed_password(std::move(line));
    wipe(line);
    return provider;
}

// -v: every session event on stderr. Events never carry a secret (events.hpp).
void print_event(const session_event& e)
{
    std::string line = "vovrest: event " + std::string(to_string(e.kind));
    if (e.generation != 0)
        line += " generation=" + std::to_string(e.generation);
    if (e.waiters != 0)
        line += " waiters=" + std::to_string(e.waiters);
    if (e.ec)
        line += " error=\"" + e.ec.message() + "\"";
    if (e.retry)
        line += " retry";
    if (!e.detail.empty())
        line += " " + printable_line(e.detail);
    line += '\n';
    std::fputs(line.c_str(), stderr);
}

void warn_token_cache(const std::string& reason)
{
    std::string line = "vovrest: warning: not using the token cache: " + printable_line(reason) + '\n';
    std::fputs(line.c_str(), stderr);
}

}  // namespace

base_url checked_url(const global_options& o)
{
    if (o.url.empty())
        throw usage_error("no Accelerator URL: give --url or set NC_URL");
    boost::system::error_code ec;
    auto url = parse_base_url(o.url, ec);
    if (!url)
        throw usage_error("cannot use '" + o.url + "' as the Accelerator URL (http:// or https://host[:port])");
    return *url;
}

std::string token_cache_directory(const global_options& o)
{
    if (o.token_cache_off())
        return {};
    return o.token_cache.empty() ? default_token_cache_directory() : o.token_cache;
}

session_params make_session_params(const global_options& o, bool& stdin_taken)
{
    checked_url(o);
    if (o.user.empty())
        throw usage_error("no user name: give --user or set USER");

    session_params p;
    p.url = o.url;
    p.username = o.user;
    p.tls.ca_file = o.cacert;
    p.tls.insecure_skip_verify = o.insecure;
    p.max_connections = o.connections;
    // Interactive bounds: a connect or handshake that hangs ends after --connect-timeout; a
    // whole operation (token wait, retries, replay) after --timeout; a token request is tried
    // token_attempts times, each bounded by the same timeout.
    p.connect_timeout = o.connect_timeout;
    p.handshake_timeout = o.connect_timeout;
    p.token.max_attempts = token_attempts;
    if (o.timeout.count() > 0)
    {
        p.operation_timeout = o.timeout;
        p.connect_timeout = std::min<std::chrono::steady_clock::duration>(p.connect_timeout, o.timeout);
        p.handshake_timeout = std::min<std::chrono::steady_clock::duration>(p.handshake_timeout, o.timeout);
        p.request_timeout = std::min<std::chrono::steady_clock::duration>(p.request_timeout, o.timeout);
        p.token.renewal_timeout = std::min<std::chrono::steady_clock::duration>(p.token.renewal_timeout, o.timeout);
    }
    if (o.verbose)
        p.on_event = print_event;

    const std::string cache = token_cache_directory(o);
    p.token_cache.enabled = !o.token_cache_off();
    p.token_cache.directory = cache;
    p.token_cache.on_refused = warn_token_cache;

    stdin_taken = false;
    if (!o.password_file.empty())
    {
        check_password_file(o.password_file);
        p.password = password_from_file(o.password_file);
    }
    else if (o.password_stdin)
    {
        p.password = password_from_stdin();
        stdin_taken = true;
    }
    else if (!environment("VOV_PASSWORD").empty())
        p.password = password_from_env("VOV_PASSWORD");
    else if (::isatty(STDIN_FILENO))
        p.password = password_prompt("Password for " + o.user + ": ");
    // else: no source; a cached token still works, a token request fails with no_password.
    return p;
}

}  // namespace vovrest::cli
