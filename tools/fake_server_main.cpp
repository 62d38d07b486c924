// vovrest-fake-server: the fake Accelerator REST API v3 as a program, for trying the SDK, the
// command-line client or any other client (curl, Python requests) without a real queue.
// Prints "listening on <url>" as its first line, serves until SIGINT or SIGTERM, exits 0.
// A wrong command line is exit status 2; a server that cannot start, 1.
#include <vovrest/testing/fake_server.hpp>
#include <vovrest/version.hpp>

#include "common/help_formatter.hpp"
#include "common/options.hpp"

#include <CLI/CLI.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace vt = vovrest::testing;
using vovrest::tools::add_duration;

vt::security_level level_value(std::string_view text)
{
    if (text == "readonly")
        return vt::security_level::readonly;
    if (text == "leader")
        return vt::security_level::leader;
    if (text == "admin")
        return vt::security_level::admin;
    return vt::security_level::user;
}

bool is_level(std::string_view text)
{
    return text == "readonly" || text == "user" || text == "leader" || text == "admin";
}

// NAME:PASSWORD[:LEVEL]. The password may hold ':' when no level follows it (or when the last
// part is not a level name). The error messages never repeat the value: it holds a password.
vt::fake_user user_value(std::string_view text)
{
    const auto first = text.find(':');
    if (first == std::string_view::npos || first == 0)
        throw CLI::ValidationError("--user", "expected NAME:PASSWORD[:LEVEL]");
    vt::fake_user user;
    user.name = std::string(text.substr(0, first));
    std::string_view rest = text.substr(first + 1);
    if (const auto last = rest.rfind(':'); last != std::string_view::npos && is_level(rest.substr(last + 1)))
    {
        user.level = level_value(rest.substr(last + 1));
        rest = rest.substr(0, last);
    }
    if (rest.empty())
        throw CLI::ValidationError("--user", "the password of " + user.name + " is empty");
    user.password = std::string(rest);
    return user;
}

void listen_value(const std::string& text, vt::fake_server_params& params)
{
    const auto colon = text.rfind(':');
    if (colon == std::string::npos)
        throw CLI::ValidationError("--listen", "expected HOST:PORT, got '" + text + "'");
    std::string host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (!host.empty())
        params.listen_host = host;
    const std::string port = text.substr(colon + 1);
    std::size_t used = 0;
    unsigned long value = 0;
    try
    {
        value = std::stoul(port, &used);
    }
    catch (const std::exception&)
    {
        used = 0;
    }
    if (port.empty() || used != port.size() || value > 65535)
        throw CLI::ValidationError("--listen", "expected HOST:PORT, got '" + text + "'");
    params.port = static_cast<std::uint16_t>(value);
}

// Keeps the passwords given with --user out of /proc/<pid>/cmdline from now on.
void wipe_user_arguments(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i)
    {
        char* value = nullptr;
        if (std::strcmp(argv[i], "--user") == 0 && i + 1 < argc)
            value = argv[++i];
        else if (std::strncmp(argv[i], "--user=", 7) == 0)
            value = argv[i] + 7;
        if (value != nullptr)
            std::memset(value, 'x', std::strlen(value));
    }
}

// Every option, each one line: the field it sets and its help. Defaults come from the fields.
void add_options(CLI::App& app, vt::fake_server_params& p, std::vector<std::string>& user_texts,
                 std::uint64_t& kill_after_jobs)
{
    auto& f = p.faults;
    app.option_defaults()->disable_flag_override();
    app.set_version_flag("--version", std::string("vovrest-fake-server ") + vovrest::library_version());

    // Server
    app.add_option_function<std::string>(
           "--listen", [&p](const std::string& v) { listen_value(v, p); },
           "address to listen on; port 0 picks a free one")
        ->type_name("HOST:PORT")
        ->default_str("127.0.0.1:0")
        ->group("Server");
    app.add_option("--user", user_texts,
                   "an account; repeat for more. LEVEL is readonly, user (default), leader or admin. Default: one "
                   "user demo:demo. The password is never printed; it is visible in the process list until the "
                   "server starts, so use throwaway passwords only")
        ->type_name("NAME:PASSWORD[:LEVEL]")
        ->group("Server");
    add_duration(app, "--token-lifetime", p.token_lifetime, "lifetime of the JWTs issued (at least 1s)")
        ->group("Server");
    app.add_flag("--expires-in", p.include_expires_in, "add expires_in to token responses")->group("Server");
    app.add_option("--threads", p.threads, "threads serving requests")
        ->check(CLI::Range(1u, 256u))
        ->capture_default_str()
        ->group("Server");
    add_duration(app, "--idle-timeout", p.idle_timeout,
                 "close a kept-alive connection that sends no request for this long (0: never)")
        ->group("Server");
    add_duration(app, "--header-timeout", p.header_timeout,
                 "close a connection whose request head is not whole this long after its first byte, or after "
                 "accept (0: never)")
        ->group("Server");
    app.add_option("--connection-limit", p.connection_limit,
                   "concurrent connections; the others are closed at once (0: no limit)")
        ->type_name("N")
        ->capture_default_str()
        ->group("Server");
    app.add_option("--seed", p.seed, "seed of the fault fractions")->capture_default_str()->group("Server");

    // HTTPS
    app.add_flag("--tls", p.tls.enabled,
                 "serve HTTPS with a self-signed certificate made at start (localhost, 127.0.0.1, ::1; valid one day)")
        ->group("HTTPS");
    auto* cert = app.add_option("--cert", p.tls.cert_file, "serve HTTPS with this PEM certificate (implies --tls)")
                     ->type_name("FILE")
                     ->group("HTTPS");
    app.add_option("--key", p.tls.key_file, "the PEM private key of --cert (default: read from the certificate file)")
        ->type_name("FILE")
        ->needs(cert)
        ->group("HTTPS");
    app.add_option("--write-cert", p.tls.write_cert_file, "write the served certificate to FILE, for clients to trust")
        ->type_name("FILE")
        ->group("HTTPS");

    // Jobs
    add_duration(app, "--job-schedule-delay", p.job_schedule_delay, "time a job stays SCHEDULED")->group("Jobs");
    add_duration(app, "--job-run-time", p.job_run_time, "time a job stays RUNNING")->group("Jobs");
    add_duration(app, "--forget-after", p.forget_after, "finished jobs are forgotten after this (default: never)")
        ->group("Jobs");
    app.add_option("--state-file", p.state_file,
                   "keep the jobs in FILE and start from it: a server restarted with the same file (and --listen "
                   "port) has the same jobs")
        ->type_name("FILE")
        ->group("Jobs");

    // Faults
    const std::string faults = "Faults (off by default; each counted in GET /__fake/stats)";
    add_duration(app, "--latency", f.latency, "delay before every response")->group(faults);
    add_duration(app, "--token-latency", f.token_latency, "extra delay before token responses")->group(faults);
    app.add_option("--fail-first-tokens", f.fail_first_token_requests,
                   "the first N token requests get 503 + Retry-After")
        ->type_name("N")
        ->group(faults);
    app.add_option("--fail-fraction", f.fail_fraction, "share of API requests answered 503 + Retry-After")
        ->check(CLI::Range(0.0, 1.0))
        ->type_name("F")
        ->group(faults);
    add_duration(app, "--retry-after", f.retry_after, "value of Retry-After (whole seconds)")->group(faults);
    app.add_option("--close-fraction", f.close_fraction, "share of responses with Connection: close, then a close")
        ->check(CLI::Range(0.0, 1.0))
        ->type_name("F")
        ->group(faults);
    app.add_option("--silent-close-fraction", f.silent_close_fraction,
                   "share of connections closed after a response, unannounced")
        ->check(CLI::Range(0.0, 1.0))
        ->type_name("F")
        ->group(faults);
    app.add_option("--drop-before-response-fraction", f.drop_before_response_fraction,
                   "share of requests processed, then the connection closed before the response")
        ->check(CLI::Range(0.0, 1.0))
        ->type_name("F")
        ->group(faults);
    add_duration(app, "--revoke-every", f.revoke_every, "revoke every token issued so far, every DURATION")
        ->group(faults);
    app.add_option("--max-connections", f.max_connections,
                   "a lower --connection-limit (the fault: a server at capacity)")
        ->type_name("N")
        ->group(faults);
    app.add_flag("--never-respond", f.never_respond, "read requests and never answer them")->group(faults);
    app.add_option("--kill-after-jobs", kill_after_jobs,
                   "SIGKILL this process once N jobs exist (a crash at a known point; with --state-file, the "
                   "jobs survive it)")
        ->type_name("N")
        ->group(faults);
}

// --kill-after-jobs: the process SIGKILLs itself once `jobs` jobs exist (a crash at a known point,
// for tests of a restart mid-batch). It owns the server's stop, which ends its wait without a kill.
class self_killer
{
public:
    self_killer(vt::fake_server& server, std::uint64_t jobs) : server_(server)
    {
        if (jobs == 0)
            return;
        waiter_ = std::thread([this, jobs] {
            const bool reached = server_.wait_until(
                [this, jobs](const vt::fake_server_stats& s) { return stopping_.load() || s.jobs_created >= jobs; },
                std::chrono::hours(24 * 365));
            if (reached && !stopping_.load())
                ::raise(SIGKILL);
        });
    }
    self_killer(const self_killer&) = delete;
    self_killer& operator=(const self_killer&) = delete;
    // Stops the server (stop() wakes the wait) and ends the wait.
    void stop_server()
    {
        stopping_ = true;
        server_.stop();
        if (waiter_.joinable())
            waiter_.join();
    }
    ~self_killer() { stop_server(); }

private:
    vt::fake_server& server_;
    std::atomic<bool> stopping_{false};
    std::thread waiter_;
};

constexpr std::string_view footer =
    R"(Control routes (no token): GET /__fake/stats (counters as JSON), POST /__fake/revoke.
DURATION: a number and a unit (us, ms, s, m, h), terms may be summed: 500ms, 2s, 1.5s, 1m30s, 1h.
Exit status: 0 stopped by SIGINT or SIGTERM, 1 the server could not start, 2 a wrong command line.)";

}  // namespace

int main(int argc, char** argv)
{
    vt::fake_server_params params;
    std::vector<std::string> user_texts;  // NAME:PASSWORD[:LEVEL], checked after parsing
    std::uint64_t kill_after_jobs = 0;
    CLI::App app("An imitation of the Altair Accelerator REST API v3 (token, project, jobs, query) for tests and\n"
                 "demos. Prints \"listening on <url>\" as its first line, then serves until SIGINT or SIGTERM.",
                 "vovrest-fake-server");
    app.footer(std::string(footer));
    vovrest::tools::use_help_formatter(app);
    add_options(app, params, user_texts, kill_after_jobs);
    try
    {
        app.parse(argc, argv);
        wipe_user_arguments(argc, argv);
        for (const auto& text : user_texts)
            params.users.push_back(user_value(text));
        if (params.token_lifetime < std::chrono::seconds{1})
            throw CLI::ValidationError("--token-lifetime", "at least 1s");
        if (!params.tls.cert_file.empty())
            params.tls.enabled = true;
        if (!params.tls.write_cert_file.empty() && !params.tls.enabled)
            throw CLI::ValidationError("--write-cert", "needs --tls or --cert");
    }
    catch (const CLI::CallForHelp& e)
    {
        return app.exit(e);
    }
    catch (const CLI::CallForVersion& e)
    {
        return app.exit(e);
    }
    catch (const CLI::ParseError& e)
    {
        wipe_user_arguments(argc, argv);
        std::cerr << "vovrest-fake-server: " << e.what() << "\nusage: vovrest-fake-server [OPTIONS] (see --help)\n";
        return 2;
    }
    for (auto& text : user_texts)
        std::fill(text.begin(), text.end(), 'x');

    try
    {
        boost::asio::io_context signals_context(1);
        // Registered before the server starts: a signal sent as soon as the URL is printed
        // is a clean stop, never a kill.
        boost::asio::signal_set signals(signals_context, SIGINT, SIGTERM);
        int received = 0;
        signals.async_wait([&received](const boost::system::error_code& ec, int signal_number) {
            if (!ec)
                received = signal_number;
        });

        vt::fake_server server(params);
        server.start();
        std::cout << "listening on " << server.url() << std::endl;
        self_killer killer(server, kill_after_jobs);

        signals_context.run();
        killer.stop_server();

        const auto stats = server.stats();
        std::cerr << "vovrest-fake-server: stopped by signal " << received << " after " << stats.requests
                  << " requests, " << stats.tokens_issued << " tokens issued, " << stats.jobs_created
                  << " jobs created, " << stats.connections_accepted << " connections\n";
        return 0;
    }
    catch (const std::exception& e)
    {
        std::cerr << "vovrest-fake-server: " << e.what() << "\n";
        return 1;
    }
}
