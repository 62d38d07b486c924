// The fake Accelerator's jobs, in memory: submission, the timed lifecycle (SCHEDULED -> RUNNING
// -> VALID / FAILED -> forgotten), control (stop, suspend, resume) and the job fields as table
// cells. Advanced lazily from the steady clock; no threads. Not thread-safe: the service locks.
#pragma once

#include "table_writer.hpp"

#include <bitset>
#include <chrono>
#include <functional>
#include <cstdint>
#include <map>
#include <optional>
#include <queue>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace vovrest::testing::detail {

enum class job_status
{
    scheduled,
    running,
    suspended,
    valid,
    failed
};

std::string_view to_string(job_status status);

// What a submission or a PATCH may set.
struct job_spec
{
    std::string command;
    std::string rundir;
    std::string env;
    std::string jobname;
    std::string resources;
    std::int64_t priority = 4;  // Accelerator's "normal"
    std::string jobclass;
    std::string group;
    std::string logfile;
};

struct job
{
    using steady_time = std::chrono::steady_clock::time_point;

    std::int64_t id = 0;
    std::string user;
    job_spec spec;
    job_status status = job_status::scheduled;
    job_status status_before_suspend = job_status::scheduled;
    bool fails = false;    // the command names "fail" or "false"
    bool stopped = false;  // ended by a stop action
    std::int64_t exitstatus = 0;
    std::chrono::system_clock::time_point submitted_wall;
    steady_time submitted;
    std::optional<steady_time> started;
    std::optional<steady_time> ended;
    steady_time deadline;                             // end of the current timed phase
    std::chrono::steady_clock::duration remaining{};  // of that phase, while suspended
    std::uint64_t generation = 0;                     // invalidates its pending events
};

class job_store
{
public:
    using steady_time = std::chrono::steady_clock::time_point;

    struct timing
    {
        std::chrono::steady_clock::duration schedule_delay{};
        std::chrono::steady_clock::duration run_time{};
        std::optional<std::chrono::steady_clock::duration> forget_after;
    };

    static constexpr std::int64_t first_id = 1000;
    static constexpr std::int64_t stopped_exitstatus = 143;  // as if killed by SIGTERM
    static constexpr std::int64_t failed_exitstatus = 1;

    explicit job_store(timing t) : timing_(t) {}

    struct submitted
    {
        std::int64_t id = 0;
        bool duplicate = false;  // a job with this command and jobname was created before
    };
    submitted submit(std::string user, job_spec spec, steady_time now, std::chrono::system_clock::time_point wall_now);

    // Applies every transition due at `now`, in time order.
    void advance(steady_time now);

    job* find(std::int64_t id);
    bool forget(std::int64_t id);
    std::size_t size() const { return jobs_.size(); }

    // Controls; false when the action makes no sense in the job's state (a finished job cannot
    // be suspended or resumed). Repeating an action is harmless (PUT is idempotent).
    bool stop(job& j, steady_time now);
    bool suspend(job& j, steady_time now);
    bool resume(job& j, steady_time now);

    // The job fields, in table order, and one job as cells in that order.
    static constexpr std::size_t field_count = 19;
    using field_mask = std::bitset<field_count>;
    static std::span<const std::string_view> fields();
    static std::vector<cell> row(const job& j, steady_time now);
    // The jobs that `keep` accepts (every job without it), in id order, at most `max_rows` of
    // them (0: all); only the fields in `needed` are filled in, the others are 0. A query reads
    // only the fields it names and usually keeps few rows: building every field of every job
    // was most of a query's cost.
    std::vector<std::vector<cell>> rows(steady_time now, const field_mask& needed,
                                        const std::function<bool(const std::vector<cell>&)>& keep = {},
                                        std::size_t max_rows = 0) const;

private:
    struct event
    {
        steady_time when;
        std::int64_t id;
        std::uint64_t generation;
        bool operator>(const event& other) const { return when > other.when; }
    };

    void schedule(job& j, steady_time when);
    void finish(job& j, steady_time when);

    timing timing_;
    std::int64_t next_id_ = first_id;
    std::map<std::int64_t, job> jobs_;
    std::priority_queue<event, std::vector<event>, std::greater<>> events_;
    std::unordered_set<std::string> submissions_seen_;  // command + '\n' + jobname of every job created
};

}  // namespace vovrest::testing::detail
