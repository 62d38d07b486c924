// submit_many's decisions as a sans-I/O state machine: which job to send next, what a failed
// submission means (retry later, back off, look for it by query, give up), when to reconcile and
// how (pages over the batch's tag prefix, or one query per tag), what a query's rows settle, when
// to stop. Inputs are the time and what the glue saw; outputs are actions the glue carries out
// (send job i, run this query, wait until then, finished). No Asio, no threads, no clock.
// Thread-safety: none; the glue calls it under its mutex.
#pragma once

#include <vovrest/detail/batch_tags.hpp>
#include <vovrest/diagnostics.hpp>
#include <vovrest/jobs.hpp>
#include <vovrest/submit_many.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vovrest::detail {

using batch_time = std::chrono::steady_clock::time_point;

// How one POST ended, as the glue saw it: the id when the server answered with one; otherwise
// the session's error (a 2xx answer without a readable id is reported as outcome_unknown).
struct post_result
{
    std::optional<job_id> id;
    boost::system::error_code ec;
    diagnostics diag;
    std::optional<std::chrono::steady_clock::duration> retry_after;  // from a 503/429 answer
};

// One row of a reconciliation query (select=idint,jobname).
struct found_row
{
    std::int64_t idint = 0;
    std::string jobname;
};

// A reconciliation query: select=idint,jobname&where=<where>[&order=idint]&limit=<limit>.
struct query_spec
{
    std::string where;
    bool order_by_id = false;
    std::size_t limit = 0;
};

enum class batch_action_kind
{
    submit,  // POST job `job` with jobname `jobname` (valid until take_results()), then post_done()
    query,   // run `query`, then query_done() or query_failed() with `query_id`
    wait,    // nothing to do before `until` (max: until woken by an input that sets wake)
    done,    // every job has its final outcome: take_results()
};

struct batch_action
{
    batch_action_kind kind = batch_action_kind::wait;
    std::size_t job = 0;
    std::string_view jobname;
    std::uint64_t query_id = 0;
    query_spec query;
    batch_time until = batch_time::max();
};

class submit_batch_machine
{
public:
    // `specs` must outlive the machine. `batch_id` names the batch in generated tags; `jitter`
    // returns values in [0, 1) for the backoff. The options must be valid (valid_tag_prefix).
    submit_batch_machine(std::span<const job_spec> specs, const submit_many_options& options, std::string batch_id,
                         batch_time now, std::function<double()> jitter);

    // The next thing to do. Several may be asked for before any input: every submit and query
    // handed out must be answered by exactly one input.
    batch_action next(batch_time now);

    void post_done(batch_time now, std::size_t job, const post_result& result);
    void query_done(batch_time now, std::uint64_t query_id, const std::vector<found_row>& rows);
    void query_failed(batch_time now, std::uint64_t query_id, const boost::system::error_code& ec,
                      const diagnostics& diag);
    // Cancellation: partial stops sending (the rest settles, lost answers are looked for);
    // terminal also gives up reconciliation (the glue cancels the requests in flight).
    void cancel(batch_time now, bool terminal);

    // True once after an input that made work available to workers waiting with no deadline
    // (or ended the batch): the glue wakes them.
    bool take_wake() noexcept;
    // True once after each change of progress(): the glue calls on_progress.
    bool take_progress() noexcept;
    const submit_progress& progress() const noexcept { return progress_; }
    bool finished() const noexcept;
    bool cancelled() const noexcept { return cancelled_; }

    const batch_tags& tags() const noexcept { return tags_; }

    std::vector<submit_result> take_results() { return std::move(results_); }
    const submit_result& result(std::size_t job) const { return results_[job]; }

private:
    enum class job_state : std::uint8_t
    {
        fresh,
        queued,
        delayed,
        in_flight,
        awaiting,  // answer lost, waiting for a reconciliation round
        in_round,  // being looked for
        done,
    };

    struct job_entry
    {
        job_state state = job_state::fresh;
        bool probe = false;               // its POST in flight probes a server that could not be reached
        unsigned busy_attempts = 0;       // POSTs of the current submission answered "not now"
        unsigned rounds = 0;              // reconciliation rounds it was in
        unsigned query_failures = 0;      // by-tag query failures in the current round
        std::uint64_t epoch = 0;          // backoff epoch when its POST started
        batch_time eligible_at{};         // awaiting: the earliest time a query may look for it
        std::vector<std::int64_t> found;  // ids found under its tag in the current round
    };

    struct query_info
    {
        std::optional<std::size_t> job;  // by tag; nullopt: a page over the prefix
        std::uint64_t epoch = 0;
        bool probe = false;
    };

    struct round_state
    {
        bool active = false;
        bool by_prefix = false;
        std::vector<std::size_t> jobs;
        // by prefix
        std::optional<std::int64_t> cursor;
        bool page_in_flight = false;
        unsigned page_failures = 0;
        batch_time page_ready_at{};
        // by tag
        std::deque<std::size_t> tags_ready;
        std::multimap<batch_time, std::size_t> tags_later;
        std::size_t tags_open = 0;
        // the round's query could not be run: jobs not found stay unknown with this
        boost::system::error_code failure;
        diagnostics failure_diag;
        std::size_t queries_in_flight = 0;
    };

    enum class link_state
    {
        healthy,
        backing_off,
        probing,
    };

    bool can_send() noexcept;
    std::optional<batch_action> next_submission(batch_time now);
    std::optional<batch_action> next_query(batch_time now);
    bool should_start_round(batch_time now) const;
    void start_round(batch_time now);
    void complete_round(batch_time now);
    void settle_tag_query(batch_time now, std::size_t job);
    void maybe_complete_round(batch_time now);
    batch_time earliest_wake(batch_time now) const;

    void finalize(std::size_t job, std::optional<job_id> id, boost::system::error_code ec, diagnostics diag);
    void give_up_unknown(std::size_t job, const boost::system::error_code& query_ec, const diagnostics& query_diag);
    void note_error(const boost::system::error_code& ec, const diagnostics& diag);
    void server_answered();
    void connection_failed(batch_time now, std::uint64_t epoch);
    void stop(const boost::system::error_code& ec, const diagnostics& diag, std::string_view why);
    void check_stop();
    void changed() noexcept { progress_changed_ = true; }
    void update_phase();
    void end_probe(bool probe) noexcept;
    std::chrono::steady_clock::duration retry_delay(unsigned failures) const;
    query_spec page_query() const;
    void record_rows(const std::vector<found_row>& rows);

    std::span<const job_spec> specs_;
    submit_many_options options_;
    batch_tags tags_;
    std::function<double()> jitter_;
    batch_time deadline_ = batch_time::max();

    std::vector<job_entry> jobs_;
    std::vector<submit_result> results_;

    std::size_t next_fresh_ = 0;
    std::deque<std::size_t> queued_;
    std::multimap<batch_time, std::size_t> delayed_;
    std::deque<std::size_t> awaiting_;  // in order of eligible_at
    std::size_t posts_in_flight_ = 0;
    std::size_t sent_jobs_ = 0;  // jobs that had at least one POST

    round_state round_;
    std::map<std::uint64_t, query_info> queries_;
    std::uint64_t next_query_id_ = 1;

    link_state link_ = link_state::healthy;
    batch_time backoff_until_{};
    std::uint64_t epoch_ = 0;
    bool probe_in_flight_ = false;

    bool stopping_ = false;
    bool cancelled_ = false;
    boost::system::error_code stop_ec_;

    submit_progress progress_;
    bool progress_changed_ = false;
    bool wake_ = false;
    bool finish_announced_ = false;
};

}  // namespace vovrest::detail
