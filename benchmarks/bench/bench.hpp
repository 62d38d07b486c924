// vovrest-bench: shared pieces of the load generator — options, the log-bucket latency histogram,
// the run control every client loop asks "another request?" and reports each request to.
// Thread-safety: run_control may be used from any number of threads at once; a histogram is
// owned by one thread (each thread records into its own, merged at the end).
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <bit>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vovrest_bench {

using clock = std::chrono::steady_clock;

struct options
{
    std::string client = "sdk";  // sdk | raw | naive | blocking
    std::string mode = "get";    // get | submit
    std::string url;             // empty: embedded fake server
    std::string user = "demo";
    std::string password_file;  // empty: "demo"
    std::string path = "/api/v3/project/1/version";
    unsigned connections = 8;                                         // K
    unsigned concurrency = 64;                                        // N (blocking: K threads, N ignored)
    unsigned threads = 1;                                             // client io threads
    unsigned server_threads = 1;                                      // embedded server
    double duration = 5.0;                                            // seconds measured
    double warmup = 0.5;                                              // seconds before measuring
    std::uint64_t requests = 0;                                       // >0: fixed number of measured requests instead
    std::chrono::milliseconds token_lifetime{std::chrono::hours(1)};  // embedded server
    bool tls = false;                                                 // embedded server serves HTTPS
    bool sdk_strands = false;                                         // sdk: a strand per operation even on one thread
    std::string latency_timeline;                                     // CSV of per-100ms latency
    std::string label;                                                // copied to the JSON line
    unsigned rounds = 5;                                              // resume mode: sessions measured
};

// Where to send requests, resolved from the options (embedded server or --url).
struct target
{
    bool https = false;
    std::string host;
    std::string port;
    std::string host_header;
    std::string url;
    std::string user;
    std::string password;
};

// HDR-style histogram: 64 linear sub-buckets per power of two (< 1.6 % relative error), values
// in nanoseconds, no allocation while recording.
class histogram
{
public:
    static constexpr unsigned sub_bits = 6;
    static constexpr std::uint64_t sub_count = 1u << sub_bits;  // 64
    static constexpr std::size_t bucket_count = (64 - sub_bits) * sub_count + 2 * sub_count;

    histogram() : counts_(bucket_count, 0) {}

    static std::size_t index_of(std::uint64_t v) noexcept
    {
        if (v < 2 * sub_count)
            return static_cast<std::size_t>(v);
        const unsigned msb = 63u - static_cast<unsigned>(std::countl_zero(v));
        const unsigned shift = msb - sub_bits;  // >= 1
        return static_cast<std::size_t>(shift) * sub_count + static_cast<std::size_t>(v >> shift);
    }
    // The upper edge of the bucket (conservative for percentiles).
    static std::uint64_t value_of(std::size_t index) noexcept
    {
        if (index < 2 * sub_count)
            return index;
        const std::size_t shift = index / sub_count - 1;
        const std::uint64_t mantissa = index - shift * sub_count;
        return ((mantissa + 1) << shift) - 1;
    }

    void record(std::uint64_t ns) noexcept
    {
        ++counts_[index_of(ns)];
        ++total_;
    }
    void merge(const histogram& other)
    {
        for (std::size_t i = 0; i < bucket_count; ++i)
            counts_[i] += other.counts_[i];
        total_ += other.total_;
    }
    std::uint64_t total() const noexcept { return total_; }
    // q in [0, 1]; nanoseconds; 0 when empty.
    std::uint64_t percentile(double q) const noexcept
    {
        if (total_ == 0)
            return 0;
        auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_) + 0.5);
        if (rank < 1)
            rank = 1;
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < bucket_count; ++i)
        {
            seen += counts_[i];
            if (seen >= rank)
                return value_of(i);
        }
        return value_of(bucket_count - 1);
    }

private:
    std::vector<std::uint64_t> counts_;
    std::uint64_t total_ = 0;
};

// One thread's share of the results.
struct thread_stats
{
    histogram latency;
    std::vector<histogram> timeline;  // per 100 ms of the measured window
    std::uint64_t errors = 0;
};

// Decides when requests start and stop and collects what they measured. Duration mode: warm-up,
// then `duration` seconds measured (requests completing inside the window). Requests mode: the
// first `warmup_requests` completions are not measured, then `requests` are, then it stops;
// under callgrind, the statistics are zeroed and dumped at those two points.
class run_control
{
public:
    static constexpr auto slot = std::chrono::milliseconds(100);

    explicit run_control(const options& opt);

    void begin();  // the clock starts now (call once, after connections and tokens are set up)
    bool keep_going() const noexcept { return !stop_.load(std::memory_order_relaxed) && clock::now() < stop_at_; }
    void record(clock::time_point start, clock::time_point end, bool ok);
    void error() noexcept;                    // a failure outside a timed request
    void token_request() noexcept;            // a token request sent by a hand-written client
    void note_renewal(clock::time_point at);  // for the timeline (sdk: event hook)
    // The completion of every spawned worker: an exception is an error, reported with its text.
    void worker_ended(std::exception_ptr failure, const char* client) noexcept;

    struct summary
    {
        histogram latency;
        std::vector<histogram> timeline;
        std::uint64_t errors = 0;
        std::uint64_t token_requests = 0;
        std::uint64_t completed = 0;  // every request that ended, warm-up included
        double seconds = 0;
        std::vector<double> renewals_ms;  // since the measured window began
    };
    summary finish();

private:
    thread_stats& mine();

    const options& opt_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<thread_stats>> threads_;
    std::vector<clock::time_point> renewals_;
    clock::time_point measure_from_{};
    clock::time_point measure_until_{};
    clock::time_point stop_at_ = clock::time_point::max();
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> completions_{0};
    std::atomic<std::uint64_t> completed_{0};
    std::atomic<std::uint64_t> token_requests_{0};
    std::atomic<std::uint64_t> errors_outside_{0};
    std::uint64_t warmup_requests_ = 0;
    std::atomic<std::int64_t> measure_from_ns_{0};
    std::atomic<std::int64_t> measure_until_ns_{0};
    std::size_t slots_ = 0;
};

// Runs `io` on `threads` threads, this one included, until it runs out of work.
template <class IoContext>
void run_on_threads(IoContext& io, unsigned threads)
{
    std::vector<std::thread> extra;
    for (unsigned t = 1; t < threads; ++t)
        extra.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : extra)
        t.join();
}

// Starts `count` callers (coroutines made by make_caller()) from inside the running `io`, the way
// a server starts them as requests arrive: each one runs at once up to its first wait. Spawned
// before run(), each would first queue a launch handler; 100,000 of them queued at once leave
// freed blocks behind that the callers' frames do not fit in (about 100 B of peak RSS per
// caller, counted in the bytes per caller).
template <class IoContext, class MakeCaller, class OnEnd>
void spawn_callers(IoContext& io, unsigned count, MakeCaller make_caller, OnEnd on_end)
{
    boost::asio::post(io, [&io, count, make_caller, on_end] {
        for (unsigned i = 0; i < count; ++i)
            boost::asio::co_spawn(io, make_caller(), on_end);
    });
}

// The hand-written clients (beast_clients.cpp). Each returns after the run has stopped; every
// request goes through ctl.record().
void run_raw(const options& opt, const target& where, run_control& ctl, bool naive);
void run_blocking(const options& opt, const target& where, run_control& ctl);

// The JSON body of a job submission (unique command text per job).
std::string job_body(std::uint64_t n);

}  // namespace vovrest_bench
