#include "cli_session.hpp"

#include <vovrest/password_provider.hpp>

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
    struct stat info{};
    if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode))
        throw cli_failure(exit_authentication, "cannot read the password file " + path);
    if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0)
        throw cli_failure(exit_authentication, "refusing the password file " + path
                                                   + ": its group or others may read it (chmod 600 it)");
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
        line += " " + std::string(e.detail);
    line += '\n';
    std::fputs(line.c_str(), stderr);
}

}  // namespace

global_options parse_global(arguments& args)
{
    global_options o;
    o.url = environment("NC_URL");
    o.user = environment("USER");
    while (!args.empty() && args.peek().starts_with("-"))
    {
        if (auto v = args.option("--url"))
            o.url = *v;
        else if (auto u = args.option("--user"))
            o.user = *u;
        else if (auto f = args.option("--password-file"))
            o.password_file = *f;
        else if (args.flag("--password-stdin"))
            o.password_stdin = true;
        else if (auto c = args.option("--cacert"))
            o.cacert = *c;
        else if (args.flag("--insecure"))
            o.insecure = true;
        else if (auto t = args.option("--timeout"))
            o.timeout = parse_duration("--timeout", *t);
        else if (auto n = args.option("--connections"))
            o.connections = parse_count("--connections", *n, 1, 1024);
        else if (args.flag("-v") || args.flag("--verbose"))
            o.verbose = true;
        else if (args.help())
            o.help = true;
        else
            throw usage_error("unknown option '" + std::string(args.peek()) + "'");
    }
    if (!o.password_file.empty() && o.password_stdin)
        throw usage_error("--password-file and --password-stdin exclude each other");
    return o;
}

session_params make_session_params(const global_options& o, bool& stdin_taken)
{
    if (o.url.empty())
        throw usage_error("no Accelerator URL: give --url or set NC_URL");
    if (o.user.empty())
        throw usage_error("no user name: give --user or set USER");

    session_params p;
    p.url = o.url;
    p.username = o.user;
    p.tls.ca_file = o.cacert;
    p.tls.insecure_skip_verify = o.insecure;
    if (o.connections)
        p.max_connections = *o.connections;
    if (o.timeout)
    {
        p.operation_timeout = *o.timeout;
        p.connect_timeout = std::min(p.connect_timeout, p.operation_timeout);
        p.handshake_timeout = std::min(p.handshake_timeout, p.operation_timeout);
        p.request_timeout = std::min(p.request_timeout, p.operation_timeout);
    }
    if (o.verbose)
        p.on_event = print_event;

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
    else
        throw cli_failure(exit_authentication,
                          "no password: use --password-file, --password-stdin, VOV_PASSWORD or a terminal");
    return p;
}

}  // namespace vovrest::cli
