// vovrest-fake-server: the fake Accelerator REST API v3 as a program, for trying the SDK, the
// command-line client or any other client (curl, Python requests) without a real queue.
// Prints "listening on <url>" as its first line, serves until SIGINT or SIGTERM, exits 0.
#include <vovrest/testing/fake_server.hpp>

// The flag parser shared with the library (private to vovrest::testing).
#include "duration.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <algorithm>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace vt = vovrest::testing;
using namespace std::string_view_literals;

constexpr std::string_view usage_text = R"(usage: vovrest-fake-server [options]

An imitation of the Altair Accelerator REST API v3 (token, project, jobs, query) for tests and
demos. Prints "listening on <url>" as its first line, then serves until SIGINT or SIGTERM.

Server:
  --listen HOST:PORT          address to listen on (default 127.0.0.1:0; port 0 picks a free one)
  --user NAME:PASSWORD[:LEVEL]
                              an account; repeat for more. LEVEL is readonly, user (default),
                              leader or admin. Default: one user demo:demo. The password is
                              never printed; it is visible in the process list, so use
                              throwaway passwords only.
  --token-lifetime DURATION   lifetime of the JWTs issued (default 1h, at least 1s)
  --expires-in                add expires_in to token responses
  --threads N                 threads serving requests (default 1)
  --seed N                    seed of the fault fractions (default 1)

HTTPS:
  --tls                       serve HTTPS with a self-signed certificate made at start
                              (localhost, 127.0.0.1, ::1; valid one day)
  --cert FILE --key FILE      serve HTTPS with this PEM certificate and key (implies --tls;
                              without --key the key is read from the certificate file)
  --write-cert FILE           write the served certificate to FILE, for clients to trust

Jobs:
  --job-schedule-delay DURATION   time a job stays SCHEDULED (default 50ms)
  --job-run-time DURATION         time a job stays RUNNING (default 200ms)
  --forget-after DURATION         finished jobs are forgotten after this (default: never)
  --state-file FILE               keep the jobs in FILE and start from it: a server restarted
                                  with the same file (and --listen port) has the same jobs

Faults (all off by default; each is counted in GET /__fake/stats):
  --latency DURATION              delay before every response
  --token-latency DURATION        extra delay before token responses
  --fail-first-tokens N           the first N token requests get 503 + Retry-After
  --fail-fraction F               share (0..1) of API requests answered 503 + Retry-After
  --retry-after DURATION          value of Retry-After (default 1s, whole seconds)
  --close-fraction F              share of responses with Connection: close, then a close
  --silent-close-fraction F       share of connections closed after a response, unannounced
  --drop-before-response-fraction F
                                  share of requests processed, then the connection closed
                                  before the response
  --revoke-every DURATION         revoke every token issued so far, every DURATION
  --max-connections N             concurrent connections allowed; the others are closed at once
  --never-respond                 read requests and never answer them

Control routes (no token): GET /__fake/stats (counters as JSON), POST /__fake/revoke.
DURATION: a number and a unit (us, ms, s, m, h), terms may be summed: 500ms, 2s, 1m30s, 1h.
  -h, --help                  this text
)";

struct usage_error : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

std::chrono::milliseconds duration_value(std::string_view option, std::string_view text)
{
    auto value = vt::detail::parse_duration(text);
    if (!value)
        throw usage_error(std::string(option) + ": not a duration: '" + std::string(text) + "' (e.g. 500ms, 2s, 1h)");
    return *value;
}

std::chrono::seconds whole_seconds(std::string_view option, std::string_view text)
{
    return std::chrono::ceil<std::chrono::seconds>(duration_value(option, text));
}

template <class Integer>
Integer integer_value(std::string_view option, std::string_view text, Integer min = 0,
                      Integer max = std::numeric_limits<Integer>::max())
{
    Integer value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max)
        throw usage_error(std::string(option) + ": expected an integer from " + std::to_string(min) + " to "
                          + std::to_string(max) + ", got '" + std::string(text) + "'");
    return value;
}

double fraction_value(std::string_view option, std::string_view text)
{
    const std::string copy(text);
    char* end = nullptr;
    const double value = std::strtod(copy.c_str(), &end);
    if (copy.empty() || end != copy.c_str() + copy.size() || !(value >= 0.0 && value <= 1.0))
        throw usage_error(std::string(option) + ": expected a fraction from 0 to 1, got '" + copy + "'");
    return value;
}

vt::security_level level_value(std::string_view text)
{
    if (text == "readonly")
        return vt::security_level::readonly;
    if (text == "user")
        return vt::security_level::user;
    if (text == "leader")
        return vt::security_level::leader;
    if (text == "admin")
        return vt::security_level::admin;
    throw usage_error("--user: LEVEL must be readonly, user, leader or admin");
}

// NAME:PASSWORD[:LEVEL]. The password may hold ':' when no level follows it (or when the last
// part is not a level name). The error messages never repeat the value: it holds a password.
vt::fake_user user_value(std::string_view text)
{
    const auto first = text.find(':');
    if (first == std::string_view::npos || first == 0)
        throw usage_error("--user: expected NAME:PASSWORD[:LEVEL]");
    vt::fake_user user;
    user.name = std::string(text.substr(0, first));
    std::string_view rest = text.substr(first + 1);
    if (const auto last = rest.rfind(':'); last != std::string_view::npos) {
        const auto level = rest.substr(last + 1);
        if (level == "readonly" || level == "user" || level == "leader" || level == "admin") {
            user.level = level_value(level);
            rest = rest.substr(0, last);
        }
    }
    if (rest.empty())
        throw usage_error("--user: the password of " + user.name + " is empty");
    user.password = std::string(rest);
    return user;
}

void listen_value(std::string_view text, vt::fake_server_params& params)
{
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
        throw usage_error("--listen: expected HOST:PORT, got '" + std::string(text) + "'");
    std::string_view host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (!host.empty())
        params.listen_host = std::string(host);
    params.port = integer_value<std::uint16_t>("--listen", text.substr(colon + 1));
}

struct options
{
    vt::fake_server_params params;
    bool help = false;
};

options parse(int argc, char** argv)
{
    options result;
    auto& p = result.params;
    auto& f = p.faults;
    std::vector<vt::fake_user> users;
    bool key_given = false;

    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        std::optional<std::string_view> inline_value;
        char* value_storage = nullptr;  // where the value lives in argv (wiped for --user)
        if (arg.starts_with("--")) {
            if (const auto eq = arg.find('='); eq != std::string_view::npos) {
                inline_value = arg.substr(eq + 1);
                value_storage = argv[i] + eq + 1;
                arg = arg.substr(0, eq);
            }
        }
        auto flag = [&] {
            if (inline_value)
                throw usage_error(std::string(arg) + " takes no value");
        };
        auto value = [&]() -> std::string_view {
            if (inline_value)
                return *inline_value;
            if (i + 1 >= argc)
                throw usage_error(std::string(arg) + " needs a value");
            value_storage = argv[++i];
            return argv[i];
        };

        if (arg == "-h" || arg == "--help") {
            flag();
            result.help = true;
        } else if (arg == "--listen") {
            listen_value(value(), p);
        } else if (arg == "--user") {
            users.push_back(user_value(value()));
            // Keep the password out of /proc/<pid>/cmdline from now on.
            std::memset(value_storage, 'x', std::strlen(value_storage));
        } else if (arg == "--token-lifetime") {
            p.token_lifetime = whole_seconds(arg, value());
            if (p.token_lifetime < std::chrono::seconds{1})
                throw usage_error("--token-lifetime: at least 1s");
        } else if (arg == "--expires-in") {
            flag();
            p.include_expires_in = true;
        } else if (arg == "--tls") {
            flag();
            p.tls.enabled = true;
        } else if (arg == "--cert") {
            p.tls.cert_file = std::string(value());
            p.tls.enabled = true;
        } else if (arg == "--key") {
            p.tls.key_file = std::string(value());
            key_given = true;
        } else if (arg == "--write-cert") {
            p.tls.write_cert_file = std::string(value());
        } else if (arg == "--threads") {
            p.threads = integer_value<unsigned>(arg, value(), 1, 256);
        } else if (arg == "--seed") {
            p.seed = integer_value<std::uint64_t>(arg, value());
        } else if (arg == "--job-schedule-delay") {
            p.job_schedule_delay = duration_value(arg, value());
        } else if (arg == "--job-run-time") {
            p.job_run_time = duration_value(arg, value());
        } else if (arg == "--forget-after") {
            p.forget_after = duration_value(arg, value());
        } else if (arg == "--state-file") {
            p.state_file = std::string(value());
        } else if (arg == "--latency") {
            f.latency = duration_value(arg, value());
        } else if (arg == "--token-latency") {
            f.token_latency = duration_value(arg, value());
        } else if (arg == "--fail-first-tokens") {
            f.fail_first_token_requests = integer_value<std::uint64_t>(arg, value());
        } else if (arg == "--fail-fraction") {
            f.fail_fraction = fraction_value(arg, value());
        } else if (arg == "--retry-after") {
            f.retry_after = whole_seconds(arg, value());
        } else if (arg == "--close-fraction") {
            f.close_fraction = fraction_value(arg, value());
        } else if (arg == "--silent-close-fraction") {
            f.silent_close_fraction = fraction_value(arg, value());
        } else if (arg == "--drop-before-response-fraction") {
            f.drop_before_response_fraction = fraction_value(arg, value());
        } else if (arg == "--revoke-every") {
            f.revoke_every = duration_value(arg, value());
        } else if (arg == "--max-connections") {
            f.max_connections = integer_value<std::uint32_t>(arg, value());
        } else if (arg == "--never-respond") {
            flag();
            f.never_respond = true;
        } else {
            throw usage_error("unknown option '" + std::string(arg) + "'");
        }
    }
    if (key_given && p.tls.cert_file.empty())
        throw usage_error("--key needs --cert");
    if (!p.tls.write_cert_file.empty() && !p.tls.enabled)
        throw usage_error("--write-cert needs --tls or --cert");
    p.users = std::move(users);
    return result;
}

}  // namespace

int main(int argc, char** argv)
{
    options opts;
    try {
        opts = parse(argc, argv);
    } catch (const usage_error& e) {
        std::cerr << "vovrest-fake-server: " << e.what() << "\n\n" << usage_text;
        return 2;
    }
    if (opts.help) {
        std::cout << usage_text;
        return 0;
    }

    try {
        boost::asio::io_context signals_context(1);
        // Registered before the server starts: a signal sent as soon as the URL is printed
        // is a clean stop, never a kill.
        boost::asio::signal_set signals(signals_context, SIGINT, SIGTERM);
        int received = 0;
        signals.async_wait([&received](const boost::system::error_code& ec, int signal_number) {
            if (!ec)
                received = signal_number;
        });

        vt::fake_server server(opts.params);
        server.start();
        std::cout << "listening on " << server.url() << std::endl;

        signals_context.run();
        server.stop();

        const auto stats = server.stats();
        std::cerr << "vovrest-fake-server: stopped by signal " << received << " after " << stats.requests
                  << " requests, " << stats.tokens_issued << " tokens issued, " << stats.jobs_created
                  << " jobs created, " << stats.connections_accepted << " connections\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "vovrest-fake-server: " << e.what() << "\n";
        return 1;
    }
}
