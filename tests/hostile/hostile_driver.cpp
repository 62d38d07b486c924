// The SDK as tests/hostile/hostile_test.py drives it: one vovrest::session, one command per line of
// standard input (a JSON array), one JSON object per command on standard output, in order. The
// test decides what the hostile server does between two commands; the process stays dumpable so
// that a core taken during a command shows what the SDK keeps in memory.
#include <vovrest/diagnostics.hpp>
#include <vovrest/error.hpp>
#include <vovrest/jobs.hpp>
#include <vovrest/password_provider.hpp>
#include <vovrest/session.hpp>
#include <vovrest/table.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <sys/prctl.h>

#include <cstdlib>
#include <cstdint>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using boost::system::error_code;

#if defined(__has_feature)
#define VOVREST_HOSTILE_HAS_FEATURE(x) __has_feature(x)
#else
#define VOVREST_HOSTILE_HAS_FEATURE(x) 0
#endif

// The sanitizers this program was built with (g++ defines __SANITIZE_*__, clang has __has_feature):
// the test skips what a sanitizer cannot check or measure.
json::array sanitizers()
{
    json::array names;
#if defined(__SANITIZE_ADDRESS__) || VOVREST_HOSTILE_HAS_FEATURE(address_sanitizer)
    names.emplace_back("address");
#endif
#if defined(__SANITIZE_THREAD__) || VOVREST_HOSTILE_HAS_FEATURE(thread_sanitizer)
    names.emplace_back("thread");
#endif
#if VOVREST_HOSTILE_HAS_FEATURE(memory_sanitizer)
    names.emplace_back("memory");
#endif
    return names;
}

// This process's peak resident memory in bytes (VmHWM: since exec, unlike getrusage's ru_maxrss,
// which also counts the parent's memory while vfork shared it).
std::uint64_t peak_rss()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmHWM:", 0) == 0)
            return std::stoull(line.substr(6)) * 1024;
    return 0;
}

// The enum's own names, so that the test compares words, not numbers.
std::string error_name(const error_code& ec)
{
    if (!ec)
        return "";
    if (ec.category() != vovrest::error_category())
        return ec.category().name() + std::string(":") + ec.message();
    using vovrest::error;
    switch (static_cast<error>(ec.value()))
    {
    case error::authentication_failed: return "authentication_failed";
    case error::unauthorized: return "unauthorized";
    case error::forbidden: return "forbidden";
    case error::not_found: return "not_found";
    case error::bad_request: return "bad_request";
    case error::payload_too_large: return "payload_too_large";
    case error::rate_limited: return "rate_limited";
    case error::server_error: return "server_error";
    case error::outcome_unknown: return "outcome_unknown";
    case error::timeout: return "timeout";
    case error::connection_failed: return "connection_failed";
    case error::tls_failed: return "tls_failed";
    case error::bad_response: return "bad_response";
    case error::redirect_refused: return "redirect_refused";
    case error::invalid_url: return "invalid_url";
    case error::https_required: return "https_required";
    case error::no_password: return "no_password";
    case error::query_failed: return "query_failed";
    case error::job_forgotten: return "job_forgotten";
    case error::session_closed: return "session_closed";
    case error::queue_full: return "queue_full";
    case error::invalid_argument: return "invalid_argument";
    }
    return "vovrest:" + std::to_string(ec.value());
}

void put_error(json::object& out, const error_code& ec, const vovrest::diagnostics& diag)
{
    out["ok"] = !ec;
    if (!ec)
        return;
    out["error"] = error_name(ec);
    out["message"] = vovrest::describe(ec, diag);
    out["http_status"] = diag.http_status;
    out["server_message"] = diag.server_message;
    out["client_message"] = diag.client_message;
}

class driver
{
public:
    explicit driver(vovrest::session_params params) : session_(io_.get_executor(), std::move(params)) {}

    json::object run(const json::array& command)
    {
        const std::string name(command.at(0).as_string());
        json::object out;
        if (name == "build-info")
        {
            json::array names = sanitizers();
            out["sanitized"] = !names.empty();
            out["sanitizers"] = std::move(names);
        }
        else if (name == "authorize")
            out = wait(authorize());
        else if (name == "get")
            out = wait(get(std::string(command.at(1).as_string()), false));
        else if (name == "query-table")
            out = wait(get(std::string(command.at(1).as_string()), true));
        else if (name == "submit")
            out = submit(static_cast<std::size_t>(command.at(1).to_number<std::int64_t>()),
                         static_cast<std::size_t>(command.at(2).to_number<std::int64_t>()));
        else if (name == "set-token")
        {
            try
            {
                session_.set_token(command.at(1).as_string(), command.at(2).as_string());
                out["ok"] = true;
            }
            catch (const vovrest::error_with_diagnostics& e)
            {
                put_error(out, e.code(), e.get_diagnostics());
            }
        }
        else
            throw std::invalid_argument("unknown command " + name);
        const auto counters = session_.counters();
        out["token_requests"] = counters.token_requests;
        out["connections_opened"] = counters.connections_opened;
        out["connections_dropped"] = counters.connections_dropped;
        out["has_token"] = session_.token().has_value();
        out["peak_rss"] = peak_rss();
        return out;
    }

private:
    template <class T>
    T wait(asio::awaitable<T> work)
    {
        std::exception_ptr failure;
        T result;
        asio::co_spawn(io_, std::move(work), [&](std::exception_ptr e, T value) {
            failure = e;
            result = std::move(value);
        });
        io_.restart();
        io_.run();
        if (failure)
            std::rethrow_exception(failure);
        return result;
    }

    asio::awaitable<json::object> authorize()
    {
        vovrest::diagnostics diag;
        auto [ec] = co_await session_.async_authorize(diag, asio::as_tuple(asio::use_awaitable));
        json::object out;
        put_error(out, ec, diag);
        co_return out;
    }

    // A GET; with `as_table` its body is also read as a table (the memory the test measures).
    asio::awaitable<json::object> get(std::string path, bool as_table)
    {
        vovrest::diagnostics diag;
        auto [ec, answer] = co_await session_.async_get(std::move(path), {}, diag, asio::as_tuple(asio::use_awaitable));
        json::object out;
        put_error(out, ec, diag);
        out["status"] = answer.status;
        out["body_bytes"] = answer.body.size();
        if (ec)
            co_return out;
        if (!as_table)
        {
            out["body"] = answer.body.substr(0, 4096);
            co_return out;
        }
        error_code tec;
        vovrest::diagnostics tdiag;
        const std::size_t body_bytes = answer.body.size();
        const vovrest::table t = vovrest::table::parse(answer.body, tec, tdiag);
        put_error(out, tec, tdiag);
        out["body_bytes"] = body_bytes;
        out["rows"] = t.size();
        out["columns"] = t.columns().size();
        if (!t.empty() && !t.columns().empty())
            out["first_cell"] = t.at(0, std::size_t{0}).as_string();
        co_return out;
    }

    // n jobs named hj-<i>, `concurrency` at a time, each answer read as a job id.
    json::object submit(std::size_t n, std::size_t concurrency)
    {
        struct state
        {
            std::size_t next = 0;
            std::vector<json::object> results;
        };
        auto shared = std::make_shared<state>();
        shared->results.resize(n);
        auto worker = [this, shared, n]() -> asio::awaitable<void> {
            while (shared->next < n)
            {
                const std::size_t i = shared->next++;
                json::object job;
                job["command"] = "true";
                job["jobname"] = "hj-" + std::to_string(i);
                vovrest::diagnostics diag;
                auto [ec, answer] = co_await session_.async_post("/api/v3/jobs", json::value(std::move(job)), diag,
                                                                 asio::as_tuple(asio::use_awaitable));
                json::object& out = shared->results[i];
                if (!ec)
                {
                    const vovrest::job_id id = vovrest::jobs::parse_submit_response(answer, ec, diag);
                    if (!ec)
                        out["id"] = id.value();
                }
                put_error(out, ec, diag);
            }
        };
        std::exception_ptr failure;
        for (std::size_t w = 0; w < concurrency; ++w)
            asio::co_spawn(io_, worker(), [&failure](std::exception_ptr e) {
                if (e)
                    failure = e;
            });
        io_.restart();
        io_.run();
        if (failure)
            std::rethrow_exception(failure);
        json::array results;
        for (auto& r : shared->results)
            results.emplace_back(std::move(r));
        json::object out;
        out["ok"] = true;
        out["results"] = std::move(results);
        return out;
    }

    asio::io_context io_;
    vovrest::session session_;
};

[[noreturn]] void usage()
{
    std::cerr << "usage: vovrest-hostile-driver --url URL --user NAME [--password-file F] [--max-connections N]\n"
                 "                              [--ca-file F] [--insecure] [--token-attempts N]\n"
                 "then one JSON array per line on stdin: [\"authorize\"], [\"get\", PATH], [\"query-table\", PATH],\n"
                 "[\"submit\", N, CONCURRENCY], [\"set-token\", TYPE, TOKEN], [\"build-info\"]\n";
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv)
{
    // gcore (a sibling, not a parent) may attach even where Yama allows only ancestors.
    (void)::prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
    vovrest::session_params params;
    params.single_threaded = true;
    for (int i = 1; i < argc; ++i)
    {
        const std::string_view arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--url" && has_value)
            params.url = argv[++i];
        else if (arg == "--user" && has_value)
            params.username = argv[++i];
        else if (arg == "--password-file" && has_value)
            params.password = vovrest::password_from_file(argv[++i]);
        else if (arg == "--max-connections" && has_value)
            params.max_connections = static_cast<std::size_t>(std::stoul(argv[++i]));
        else if (arg == "--ca-file" && has_value)
            params.tls.ca_file = argv[++i];
        else if (arg == "--token-attempts" && has_value)
            params.token.max_attempts = static_cast<unsigned>(std::stoul(argv[++i]));
        else if (arg == "--insecure")
            params.tls.insecure_skip_verify = true;
        else
            usage();
    }
    try
    {
        driver d(std::move(params));
        std::string line;
        while (std::getline(std::cin, line))
        {
            const json::value command = json::parse(line);
            std::cout << json::serialize(d.run(command.as_array())) << std::endl;
        }
    }
    catch (const std::exception& e)
    {
        std::cerr << "vovrest-hostile-driver: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
