// vovrest-bench: drives load against an Accelerator (or the embedded fake one) with the SDK or one
// of the hand-written clients it is compared with, and prints one JSON line per run. This file:
// the options, the run control, the embedded server and the SDK driver; beast_clients.cpp holds
// the raw, naive and blocking clients.
#include "bench.hpp"

#include <vovrest/session.hpp>
#include <vovrest/testing/fake_server.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define VOVREST_BENCH_ZERO_STATS() CALLGRIND_ZERO_STATS
#define VOVREST_BENCH_DUMP_STATS() CALLGRIND_DUMP_STATS
#else
#define VOVREST_BENCH_ZERO_STATS() ((void)0)
#define VOVREST_BENCH_DUMP_STATS() ((void)0)
#endif

#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace asio = boost::asio;

namespace vovrest_bench {

// ---- run control ----

namespace {

std::int64_t ns_of(clock::time_point t) noexcept
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
clock::time_point time_of(std::int64_t ns) noexcept
{
    return clock::time_point(std::chrono::duration_cast<clock::duration>(std::chrono::nanoseconds(ns)));
}

thread_local thread_stats* this_thread_stats = nullptr;
thread_local const run_control* this_thread_owner = nullptr;

}  // namespace

run_control::run_control(const options& opt) : opt_(opt)
{
    if (opt.requests > 0)
        warmup_requests_ = std::max<std::uint64_t>(opt.requests / 10, 200);
    const double window = opt.requests > 0 ? 600.0 : opt.duration;
    slots_ = opt.latency_timeline.empty() ? 0 : static_cast<std::size_t>(window * 10.0) + 1;
}

void run_control::begin()
{
    const auto now = clock::now();
    if (opt_.requests > 0)
    {
        measure_from_ns_ = std::numeric_limits<std::int64_t>::max();
        measure_until_ns_ = std::numeric_limits<std::int64_t>::max();
        stop_at_ = now + std::chrono::minutes(30);  // a safety net only
        return;
    }
    const auto from = now + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(opt_.warmup));
    const auto until = from + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(opt_.duration));
    measure_from_ns_ = ns_of(from);
    measure_until_ns_ = ns_of(until);
    stop_at_ = until;
}

thread_stats& run_control::mine()
{
    if (this_thread_owner != this || this_thread_stats == nullptr)
    {
        auto stats = std::make_unique<thread_stats>();
        stats->timeline.resize(slots_);
        std::lock_guard lock(mutex_);
        this_thread_stats = stats.get();
        this_thread_owner = this;
        threads_.push_back(std::move(stats));
    }
    return *this_thread_stats;
}

void run_control::record(clock::time_point start, clock::time_point end, bool ok)
{
    auto& stats = mine();
    completed_.fetch_add(1, std::memory_order_relaxed);
    if (!ok)
        ++stats.errors;
    if (opt_.requests > 0)
    {
        const auto n = completions_.fetch_add(1, std::memory_order_relaxed) + 1;
        if (n == warmup_requests_)
        {
            VOVREST_BENCH_ZERO_STATS();
            measure_from_ns_ = ns_of(end);
        }
        else if (n == warmup_requests_ + opt_.requests)
        {
            VOVREST_BENCH_DUMP_STATS();
            measure_until_ns_ = ns_of(end);
            stop_.store(true, std::memory_order_relaxed);
        }
        if (n <= warmup_requests_ || n > warmup_requests_ + opt_.requests)
            return;
    }
    else
    {
        const auto from = measure_from_ns_.load(std::memory_order_relaxed);
        const auto until = measure_until_ns_.load(std::memory_order_relaxed);
        if (ns_of(start) < from || ns_of(end) > until)
            return;
    }
    if (!ok)
        return;
    const auto ns =
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count());
    stats.latency.record(ns);
    if (slots_ > 0)
    {
        const auto since = ns_of(end) - measure_from_ns_.load(std::memory_order_relaxed);
        const auto slot_index = static_cast<std::size_t>(since / std::chrono::nanoseconds(slot).count());
        if (slot_index < stats.timeline.size())
            stats.timeline[slot_index].record(ns);
    }
}

void run_control::error() noexcept
{
    errors_outside_.fetch_add(1, std::memory_order_relaxed);
}

void run_control::worker_ended(std::exception_ptr failure, const char* client) noexcept
{
    if (!failure)
        return;
    error();
    try
    {
        std::rethrow_exception(failure);
    }
    catch (const std::exception& e)
    {
        std::cerr << client << " worker ended by an exception: " << e.what() << '\n';
    }
    catch (...)
    {
        std::cerr << client << " worker ended by an unknown exception\n";
    }
}

void run_control::token_request() noexcept
{
    token_requests_.fetch_add(1, std::memory_order_relaxed);
    if (!opt_.latency_timeline.empty())
        note_renewal(clock::now());
}

void run_control::note_renewal(clock::time_point at)
{
    std::lock_guard lock(mutex_);
    renewals_.push_back(at);
}

run_control::summary run_control::finish()
{
    summary out;
    std::lock_guard lock(mutex_);
    out.timeline.resize(slots_);
    for (const auto& t : threads_)
    {
        out.latency.merge(t->latency);
        for (std::size_t i = 0; i < slots_; ++i)
            out.timeline[i].merge(t->timeline[i]);
        out.errors += t->errors;
    }
    out.errors += errors_outside_.load();
    out.token_requests = token_requests_.load();
    out.completed = completed_.load();
    const auto from = time_of(measure_from_ns_.load());
    const auto until_ns = measure_until_ns_.load();
    const auto until = until_ns == std::numeric_limits<std::int64_t>::max() ? clock::now() : time_of(until_ns);
    out.seconds = std::chrono::duration<double>(until - from).count();
    for (const auto& r : renewals_)
        out.renewals_ms.push_back(std::chrono::duration<double, std::milli>(r - from).count());
    return out;
}

std::string job_body(std::uint64_t n)
{
    char text[96];
    const int len = std::snprintf(text, sizeof text, R"({"command":"sleep 0 # bench %llu","jobname":"bench"})",
                                  static_cast<unsigned long long>(n));
    return std::string(text, static_cast<std::size_t>(len));
}

namespace {

// ---- the SDK driver: one session, N coroutines ----

struct sdk_shared
{
    vovrest::session& session;
    run_control& ctl;
    const options& opt;
    std::atomic<std::uint64_t> jobs{0};
};

void report_failure(const vovrest::diagnostics& diag)
{
    static std::atomic<int> reported{0};
    if (reported.fetch_add(1) < 3)
        std::cerr << "sdk request failed: " << diag.http_status << ' ' << diag.server_message << '\n';
}

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// One coroutine per mode: a GET loop's frame carries no submission request, and no local lives
// across the call that need not (the frame is counted in the bytes per caller).
asio::awaitable<void> sdk_get_worker(sdk_shared* shared)
{
    vovrest::diagnostics diag;
    while (shared->ctl.keep_going())
    {
        const auto start = clock::now();
        auto [ec, answer] = co_await shared->session.async_get(shared->opt.path, {}, diag, use_tuple);
        const bool ok = !ec && answer.status == 200;
        if (!ok)
            report_failure(diag);
        shared->ctl.record(start, clock::now(), ok);
    }
}

vovrest::request submission(sdk_shared* shared)
{
    return vovrest::request{vovrest::http_method::post,
                            "/api/v3/jobs",
                            {},
                            job_body(shared->jobs.fetch_add(1, std::memory_order_relaxed)),
                            "application/json"};
}

asio::awaitable<void> sdk_submit_worker(sdk_shared* shared)
{
    vovrest::diagnostics diag;
    while (shared->ctl.keep_going())
    {
        const auto start = clock::now();
        auto [ec, answer] = co_await shared->session.async_execute(submission(shared), diag, use_tuple);
        const bool ok = !ec && answer.status == 201;
        if (!ok)
            report_failure(diag);
        shared->ctl.record(start, clock::now(), ok);
    }
}

vovrest::session_counters run_sdk(const options& opt, const target& where, run_control& ctl)
{
    asio::io_context io(static_cast<int>(opt.threads));
    vovrest::session_params params;
    params.url = where.url;
    params.username = where.user;
    params.password = vovrest::fixed_password(where.password);
    params.max_connections = opt.connections;
    params.tls.insecure_skip_verify = true;
    // One thread runs the io_context: what a single-threaded program promises the session.
    params.single_threaded = opt.threads == 1 && !opt.sdk_strands;
    if (!opt.latency_timeline.empty())
    {
        params.on_event = [&ctl](const vovrest::session_event& e) {
            if (e.kind == vovrest::event_kind::renewal_started)
                ctl.note_renewal(clock::now());
        };
    }
    vovrest::session session(io.get_executor(), params);

    // The first token, outside the measurement.
    std::exception_ptr setup_failure;
    asio::co_spawn(io, session.authorize(), [&setup_failure](std::exception_ptr e) { setup_failure = e; });
    io.run();
    io.restart();
    if (setup_failure)
        std::rethrow_exception(setup_failure);

    sdk_shared shared{session, ctl, opt};
    ctl.begin();
    spawn_callers(
        io, opt.concurrency,
        [&shared, submit = opt.mode == "submit"] {
            return submit ? sdk_submit_worker(&shared) : sdk_get_worker(&shared);
        },
        [&ctl](std::exception_ptr e) { ctl.worker_ended(e, "sdk"); });
    run_on_threads(io, opt.threads);
    const auto counters = session.counters();
    session.shutdown();
    return counters;
}

// ---- the renewal's waiter-resume time: N callers wait for one token ----

struct resume_round
{
    std::int64_t answered_ns = 0;      // the renewal's answer (renewal_succeeded)
    std::int64_t last_resumed_ns = 0;  // the last waiter back in its own coroutine
    unsigned failures = 0;
};

asio::awaitable<void> resume_waiter(vovrest::session* s, resume_round* round)
{
    vovrest::diagnostics diag;
    auto [ec] = co_await s->async_authorize(diag, use_tuple);
    round->last_resumed_ns = std::max(round->last_resumed_ns, ns_of(clock::now()));
    if (ec)
        ++round->failures;
}

struct resume_result
{
    std::vector<double> resume_ms;  // per round
    std::uint64_t token_requests = 0;
    std::uint64_t waiters = 0;  // callers that waited for a token, every round
    unsigned failures = 0;
};

// `rounds` times: a session with no token, N coroutines asking it for one at once (one token
// request, N - 1 of them waiting for it), and the time from the token's answer to the last of
// them resuming. One thread: the waiters resume one after another.
resume_result run_resume(const options& opt, const target& where)
{
    resume_result out;
    for (unsigned r = 0; r < opt.rounds; ++r)
    {
        asio::io_context io(1);
        resume_round round;
        vovrest::session_params params;
        params.url = where.url;
        params.username = where.user;
        params.password = vovrest::fixed_password(where.password);
        params.max_connections = opt.connections;
        params.tls.insecure_skip_verify = true;
        params.single_threaded = true;
        params.on_event = [&round](const vovrest::session_event& e) {
            if (e.kind == vovrest::event_kind::renewal_succeeded)
                round.answered_ns = ns_of(clock::now());
        };
        vovrest::session session(io.get_executor(), params);
        for (unsigned i = 0; i < opt.concurrency; ++i)
            asio::co_spawn(io, resume_waiter(&session, &round), [](std::exception_ptr e) {
                if (e)
                    std::rethrow_exception(e);
            });
        io.run();
        const auto counters = session.counters();
        session.shutdown();
        out.token_requests += counters.token_requests;
        out.waiters += counters.waiters;
        out.failures += round.failures;
        if (round.answered_ns == 0)
            ++out.failures;
        else
            out.resume_ms.push_back(static_cast<double>(round.last_resumed_ns - round.answered_ns) / 1e6);
    }
    return out;
}

// ---- options ----

[[noreturn]] void usage(int code)
{
    (code == 0 ? std::cout : std::cerr) << R"(usage: vovrest-bench [options]

Drives load against an Accelerator REST API v3 and prints one JSON line with the results.

  --client sdk|raw|naive|blocking   sdk: vovrest (one session, N coroutines); raw: hand-written
                              Beast coroutines, one token fetched once; naive: raw, but a new
                              token before every request; blocking: K threads, synchronous
                              Beast, a token behind a std::mutex renewed when expired
  --url URL                   the server (default: an embedded fake server)
  --user NAME                 (default demo)
  --password-file FILE        first line is the password (default: "demo")
  --connections K             keep-alive connections (default 8)
  --concurrency N             coroutines issuing requests (default 64; blocking: K threads)
  --threads T                 client io threads (default 1)
  --sdk-strands               sdk: a strand per operation even with one thread (the default
                              of a session not told session_params::single_threaded)
  --duration SECONDS          measured time (default 5)
  --warmup SECONDS            unmeasured time before it (default 0.5)
  --requests R                measure R requests instead of a duration (for callgrind; the
                              statistics are zeroed before them and dumped after them)
  --path P                    GET this path (default /api/v3/project/1/version)
  --mode get|submit|resume    submit: POST /api/v3/jobs; resume (sdk): N callers wait for the
                              first token of a new session, timed from the token's answer to
                              the last caller resuming (--rounds times, median reported)
  --rounds R                  resume: sessions measured (default 5)
  --latency-timeline FILE     CSV: per 100 ms, requests, p50 and p99, token requests
  --label TEXT                copied into the JSON line
Embedded server only:
  --server-threads N          (default 1)
  --token-lifetime DURATION   e.g. 3s, 500ms, 1h (default 1h)
  --tls                       serve HTTPS (clients skip certificate verification)
)";
    std::exit(code);
}

unsigned to_unsigned(std::string_view name, std::string_view text)
{
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size())
        throw std::invalid_argument(std::string(name) + ": not a number: " + std::string(text));
    return value;
}

double to_double(std::string_view name, std::string_view text)
{
    const std::string copy(text);
    char* end = nullptr;
    const double value = std::strtod(copy.c_str(), &end);
    if (copy.empty() || end != copy.c_str() + copy.size() || value < 0)
        throw std::invalid_argument(std::string(name) + ": not a number: " + copy);
    return value;
}

std::chrono::milliseconds to_duration(std::string_view name, std::string_view text)
{
    double factor = 1000.0;
    std::string_view number = text;
    if (text.ends_with("ms"))
        factor = 1.0, number.remove_suffix(2);
    else if (text.ends_with("s"))
        number.remove_suffix(1);
    else if (text.ends_with("m"))
        factor = 60000.0, number.remove_suffix(1);
    else if (text.ends_with("h"))
        factor = 3600000.0, number.remove_suffix(1);
    return std::chrono::milliseconds(static_cast<std::int64_t>(to_double(name, number) * factor));
}

options parse(int argc, char** argv)
{
    options opt;
    for (int i = 1; i < argc; ++i)
    {
        const std::string_view arg = argv[i];
        if (arg == "-h" || arg == "--help")
            usage(0);
        if (arg == "--tls" || arg == "--sdk-strands")
        {
            (arg == "--tls" ? opt.tls : opt.sdk_strands) = true;
            continue;
        }
        if (i + 1 >= argc)
            throw std::invalid_argument(std::string(arg) + ": a value is missing");
        const std::string_view value = argv[++i];
        if (arg == "--client")
            opt.client = value;
        else if (arg == "--mode")
            opt.mode = value;
        else if (arg == "--url")
            opt.url = value;
        else if (arg == "--user")
            opt.user = value;
        else if (arg == "--password-file")
            opt.password_file = value;
        else if (arg == "--path")
            opt.path = value;
        else if (arg == "--connections")
            opt.connections = std::max(1u, to_unsigned(arg, value));
        else if (arg == "--concurrency")
            opt.concurrency = std::max(1u, to_unsigned(arg, value));
        else if (arg == "--threads")
            opt.threads = std::max(1u, to_unsigned(arg, value));
        else if (arg == "--server-threads")
            opt.server_threads = std::max(1u, to_unsigned(arg, value));
        else if (arg == "--duration")
            opt.duration = to_double(arg, value);
        else if (arg == "--warmup")
            opt.warmup = to_double(arg, value);
        else if (arg == "--rounds")
            opt.rounds = std::max(1u, to_unsigned(arg, value));
        else if (arg == "--requests")
            opt.requests = to_unsigned(arg, value);
        else if (arg == "--token-lifetime")
            opt.token_lifetime = to_duration(arg, value);
        else if (arg == "--latency-timeline")
            opt.latency_timeline = value;
        else if (arg == "--label")
            opt.label = value;
        else
            throw std::invalid_argument("unknown option " + std::string(arg));
    }
    if (opt.client != "sdk" && opt.client != "raw" && opt.client != "naive" && opt.client != "blocking")
        throw std::invalid_argument("--client: sdk, raw, naive or blocking");
    if (opt.mode != "get" && opt.mode != "submit" && opt.mode != "resume")
        throw std::invalid_argument("--mode: get, submit or resume");
    if (opt.mode == "resume" && opt.client != "sdk")
        throw std::invalid_argument("--mode resume: sdk only");
    if (opt.client == "blocking")
        opt.concurrency = opt.connections;
    return opt;
}

target resolve(const options& opt, const std::string& url)
{
    target t;
    t.url = url;
    std::string_view rest = url;
    if (rest.starts_with("https://"))
        t.https = true, rest.remove_prefix(8);
    else if (rest.starts_with("http://"))
        rest.remove_prefix(7);
    else
        throw std::invalid_argument("--url: http:// or https:// expected");
    rest = rest.substr(0, rest.find('/'));
    t.host_header = std::string(rest);
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos || rest.find(']', colon) != std::string_view::npos)
    {
        t.host = std::string(rest);
        t.port = t.https ? "443" : "80";
    }
    else
    {
        t.host = std::string(rest.substr(0, colon));
        t.port = std::string(rest.substr(colon + 1));
    }
    if (t.host.size() > 2 && t.host.front() == '[')
        t.host = t.host.substr(1, t.host.size() - 2);
    t.user = opt.user;
    if (opt.password_file.empty())
        t.password = "demo";
    else
    {
        t.password = vovrest::password_from_file(opt.password_file)();
        if (t.password.empty())
            throw std::invalid_argument("--password-file: unreadable, empty, or readable by group/others");
    }
    return t;
}

double cpu_seconds() noexcept
{
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
           + static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Peak resident set of this process (the embedded server included, when there is one).
long peak_rss_kb() noexcept
{
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

void write_timeline(const std::string& file, const run_control::summary& result)
{
    std::ofstream out(file);
    out << "t_ms,requests,p50_us,p99_us,token_requests\n";
    for (std::size_t i = 0; i < result.timeline.size(); ++i)
    {
        const double from = static_cast<double>(i) * 100.0;
        if (from >= result.seconds * 1000.0)
            break;
        const auto tokens = std::count_if(result.renewals_ms.begin(), result.renewals_ms.end(),
                                          [&](double t) { return t >= from && t < from + 100.0; });
        const auto& h = result.timeline[i];
        out << from << ',' << h.total() << ',' << static_cast<double>(h.percentile(0.5)) / 1e3 << ','
            << static_cast<double>(h.percentile(0.99)) / 1e3 << ',' << tokens << '\n';
    }
}

int run(int argc, char** argv)
{
    const options opt = parse(argc, argv);

    std::unique_ptr<vovrest::testing::fake_server> server;
    std::string url = opt.url;
    if (url.empty())
    {
        vovrest::testing::fake_server_params sp;
        sp.threads = opt.server_threads;
        sp.token_lifetime =
            std::max(std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(opt.token_lifetime));
        sp.tls.enabled = opt.tls;
        sp.forget_after = std::chrono::seconds(1);
        sp.job_schedule_delay = std::chrono::milliseconds(0);
        sp.job_run_time = std::chrono::milliseconds(0);
        server = std::make_unique<vovrest::testing::fake_server>(std::move(sp));
        server->start();
        url = server->url();
    }
    const target where = resolve(opt, url);
    const std::uint64_t server_tokens_before = server ? server->stats().token_requests : 0;

    if (opt.mode == "resume")
    {
        const auto result = run_resume(opt, where);
        auto times = result.resume_ms;
        std::sort(times.begin(), times.end());
        const double median = times.empty() ? 0.0 : times[times.size() / 2];
        const double best = times.empty() ? 0.0 : times.front();
        char line[512];
        std::snprintf(line, sizeof line,
                      R"({"client":"sdk","mode":"resume","tls":%s,"connections":%u,"concurrency":%u,"threads":1,)"
                      R"("rounds":%u,"resume_ms":%.3f,"resume_ms_min":%.3f,"ns_per_waiter":%.1f,"waiters":%llu,)"
                      R"("token_requests":%llu,"errors":%u,"peak_rss_kb":%ld,"label":"%s"})",
                      where.https ? "true" : "false", opt.connections, opt.concurrency, opt.rounds, median, best,
                      median * 1e6 / opt.concurrency, static_cast<unsigned long long>(result.waiters),
                      static_cast<unsigned long long>(result.token_requests), result.failures, peak_rss_kb(),
                      opt.label.c_str());
        std::cout << line << std::endl;
        if (server)
            server->stop();
        return result.failures == 0 && !times.empty() ? 0 : 1;
    }

    run_control ctl(opt);
    const double cpu_before = cpu_seconds();
    const auto wall_before = clock::now();
    vovrest::session_counters counters;
    if (opt.client == "sdk")
        counters = run_sdk(opt, where, ctl);
    else if (opt.client == "raw" || opt.client == "naive")
        run_raw(opt, where, ctl, opt.client == "naive");
    else
        run_blocking(opt, where, ctl);
    const double cpu = cpu_seconds() - cpu_before;
    // Set-up, warm-up, measurement and the drain of the requests in flight: what token requests are counted over.
    const double wall = std::chrono::duration<double>(clock::now() - wall_before).count();
    auto result = ctl.finish();
    const std::uint64_t token_requests = opt.client == "sdk" ? counters.token_requests : result.token_requests;

    const auto requests = result.latency.total();
    const double rate = result.seconds > 0 ? static_cast<double>(requests) / result.seconds : 0.0;
    auto us = [&](double q) { return static_cast<double>(result.latency.percentile(q)) / 1e3; };
    char line[1024];
    std::snprintf(line, sizeof line,
                  R"({"client":"%s","mode":"%s","tls":%s,"connections":%u,"concurrency":%u,"threads":%u,)"
                  R"("req_per_s":%.1f,"p50_us":%.1f,"p90_us":%.1f,"p99_us":%.1f,"p999_us":%.1f,"max_us":%.1f,)"
                  R"("errors":%llu,"token_requests":%llu,"requests":%llu,"seconds":%.3f,)"
                  R"("cpu_s":%.3f,"cpu_us_per_req":%.2f,"embedded_server":%s,"sdk_strands":%s,"label":"%s")",
                  opt.client.c_str(), opt.mode.c_str(), where.https ? "true" : "false", opt.connections,
                  opt.concurrency, opt.threads, rate, us(0.5), us(0.9), us(0.99), us(0.999), us(1.0),
                  static_cast<unsigned long long>(result.errors), static_cast<unsigned long long>(token_requests),
                  static_cast<unsigned long long>(requests), result.seconds, cpu,
                  result.completed > 0 ? cpu * 1e6 / static_cast<double>(result.completed) : 0.0,
                  server ? "true" : "false", opt.sdk_strands ? "true" : "false", opt.label.c_str());
    std::string out = line;
    out += ",\"peak_rss_kb\":" + std::to_string(peak_rss_kb());
    char wall_text[32];
    std::snprintf(wall_text, sizeof wall_text, ",\"wall_s\":%.3f", wall);
    out += wall_text;
    if (opt.client == "sdk")
    {
        out += ",\"renewals_proactive\":" + std::to_string(counters.renewals_proactive);
        out += ",\"renewals_forced\":" + std::to_string(counters.renewals_forced);
        out += ",\"renewals_on_401\":" + std::to_string(counters.renewals_on_401);
        out += ",\"token_waiters\":" + std::to_string(counters.waiters);
        // A connection taken more often than once per request was handed to a caller that could not use it.
        out += ",\"connection_takes\":" + std::to_string(counters.connections_reused + counters.connections_opened);
        out += ",\"session_requests\":" + std::to_string(counters.requests);
    }
    if (server)
    {
        const auto stats = server->stats();
        out += ",\"server_token_requests\":" + std::to_string(stats.token_requests - server_tokens_before);
        out += ",\"server_connections\":" + std::to_string(stats.connections_accepted);
    }
    out += "}";
    std::cout << out << std::endl;
    if (!opt.latency_timeline.empty())
        write_timeline(opt.latency_timeline, result);
    if (server)
        server->stop();
    return result.errors == 0 && requests > 0 ? 0 : 1;
}

}  // namespace
}  // namespace vovrest_bench

int main(int argc, char** argv)
{
    try
    {
        return vovrest_bench::run(argc, argv);
    }
    catch (const std::exception& e)
    {
        std::cerr << "vovrest-bench: " << e.what() << '\n';
        return 2;
    }
}
