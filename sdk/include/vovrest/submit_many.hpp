/// @file
/// vovrest::submit_many — many jobs through one session, up to `concurrency` submissions in
/// flight, every job created exactly once and accounted for in input order. Each job carries a
/// unique tag in its jobname; a job whose answer was lost is looked for by that tag once the
/// connection that carried it is closed: found, it gets its id; not found, it is submitted again.
/// A dead server is not a retry storm: connection failures back off, and the batch stops on the
/// caller's rule, its deadline or its completion token's cancellation.
/// The guarantee and its limits: docs/reconciling-unknown-outcomes.md.
/// Thread-safety: as the session's; the progress callback is never called twice at once.
#pragma once

#include <vovrest/diagnostics.hpp>
#include <vovrest/error.hpp>
#include <vovrest/jobs.hpp>
#include <vovrest/session.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace vovrest {

/// What a batch is busy with, for progress displays.
enum class submit_phase
{
    submitting,   ///< jobs are being sent
    backing_off,  ///< the server could not be reached: waiting before the next try
    reconciling,  ///< lost answers are being looked for by query
    stopping,     ///< no new job is sent (stop_on, deadline, cancellation); the rest settles
    finished,     ///< every job has its final outcome
};

/// Where a submit_many() stands, given to the progress callback and to the stop rule.
/// Thread-safety: a plain value.
struct submit_progress
{
    std::size_t done = 0;       ///< jobs whose outcome is final (any outcome)
    std::size_t total = 0;      ///< jobs given
    std::size_t succeeded = 0;  ///< jobs created, id known (answered, or found by query)
    std::size_t failed = 0;     ///< jobs certainly not created: refused, never sent, or not found
    std::size_t unknown = 0;    ///< final outcome_unknown: reconciliation off, or its query kept failing

    std::size_t awaiting_reconciliation = 0;  ///< answers lost, not settled by a query yet
    std::size_t found = 0;                    ///< lost answers whose job a query found (counted in succeeded)
    std::size_t resubmitted = 0;              ///< jobs sent again because a query showed they did not exist
    std::size_t queries = 0;                  ///< reconciliation queries answered
    std::size_t duplicates = 0;               ///< extra jobs found under a job's tag (submit_result::duplicates)

    std::size_t connection_failures = 0;  ///< submissions that never reached the server (each sent again)
    /// Backoff steps in a row since the server last answered: one per failed try after a wait
    /// (the requests that were already in flight when the first one failed do not count).
    std::size_t consecutive_connection_failures = 0;

    submit_phase phase = submit_phase::submitting;  ///< what the batch is busy with now
    boost::system::error_code last_error;  ///< the latest failure of any submission or query; clear when none yet
    diagnostics last_error_diag;           ///< what is known about last_error
};

/// The stop rule used when submit_many_options::stop_on is left as it is: stop after an
/// authentication failure (every other job would fail the same way) or after 10 consecutive
/// connection failures (with the default backoff, about half a minute without an answer).
bool default_stop_rule(const submit_progress& progress) noexcept;

/// How submit_many() runs. Thread-safety: a plain value, copied into the operation.
struct submit_many_options
{
    /// Submissions (and reconciliation queries) in flight at once. The session's
    /// max_connections bounds the sockets; the rest wait in its FIFO.
    std::size_t concurrency = 32;

    /// Attempts for a job the server refused with 503 or 429, or whose token it refused even
    /// after a renewal (error::unauthorized): "not now", nothing was created, so sending again
    /// cannot duplicate. 1: never retry.
    unsigned max_attempts = 3;
    /// Wait before such a retry: the server's Retry-After, else this doubled each attempt; never
    /// more than retry_delay_max. Failed reconciliation queries wait the same way.
    std::chrono::steady_clock::duration retry_delay = std::chrono::milliseconds(100);
    /// The longest wait before a retry, whatever Retry-After says.
    std::chrono::steady_clock::duration retry_delay_max = std::chrono::seconds(5);

    // ---- exactly once ----

    /// Settle every lost answer by query and submit again the jobs that were not created. Off:
    /// a lost answer is the job's final outcome (error::outcome_unknown) and jobnames are sent
    /// as given.
    bool reconcile = true;
    /// The caller guarantees that every job's jobname is unique (no other job, in this batch or
    /// elsewhere, has it): the jobname itself is the tag and is sent unchanged. A job whose
    /// jobname is empty or repeated within the batch gets a generated tag all the same.
    bool jobnames_unique = false;
    /// Generated tags are "<tag_prefix>-<batch>-<index>": the prefix, 12 random hex digits that
    /// name this batch, and the job's position in `specs` (from 0), e.g. "vovrest-3fa9c2d18b04-17".
    /// A job with a jobname of its own is sent as "<jobname>.<tag>" ("nightly.vovrest-3fa9c2d18b04-17").
    /// 1 to 32 characters from [A-Za-z0-9_-]; anything else is error::invalid_argument.
    std::string tag_prefix = "vovrest";
    /// Reconcile while the batch still runs once this many lost answers wait (0: only at the
    /// end). Each such round reads the batch's jobs sent so far; a long batch is reconciled
    /// before the server may forget its first jobs.
    std::size_t reconcile_after_unknowns = 1000;
    /// How many times one job is looked for. A job not found is submitted again after each look
    /// but the last; not found the last time, it failed (it was certainly not created).
    unsigned max_reconcile_rounds = 6;
    /// Time between a lost answer and the first query that may look for its job, for a server
    /// still busy with the request when its connection ended (see the docs for the limits).
    std::chrono::steady_clock::duration reconcile_delay = std::chrono::seconds(1);
    /// Rows asked for per query page (limit=); pages follow idint until one comes back empty,
    /// so a server that caps its answers below this is still read to the end.
    std::size_t query_page_rows = 1000;
    /// Attempts for a reconciliation query the server answered with an error; a job whose query
    /// fails this many times stays error::outcome_unknown. A query that cannot reach the server
    /// waits for it like a submission does (backoff, stop rule, deadline).
    unsigned max_query_attempts = 5;

    // ---- a dead server ----

    /// After a submission that never reached the server (connection refused, connect timeout),
    /// the whole batch waits before trying again: this, doubled per consecutive failure up to
    /// backoff_max, with jitter (half to all of it). Then one request probes the server; the
    /// others follow once it answers.
    std::chrono::steady_clock::duration backoff_initial = std::chrono::milliseconds(100);
    std::chrono::steady_clock::duration backoff_max = std::chrono::seconds(10);  ///< longest single wait
    /// The batch's deadline, from its start (zero: none). Past it no job is sent any more (those
    /// left fail with error::timeout); the lost answers are still looked for once.
    std::chrono::steady_clock::duration timeout = std::chrono::seconds(0);
    /// Checked after each change of progress: true stops the batch like its deadline does
    /// (jobs not sent yet fail with the error that stopped it; lost answers are still looked
    /// for). Empty: never stop early.
    std::function<bool(const submit_progress&)> stop_on = default_stop_rule;

    /// Called after each change of progress (a job ended, a query answered, a backoff began),
    /// never twice at once, from the thread that saw the change. Keep it quick; it must not
    /// throw or call into the batch. Empty: no progress reports.
    std::function<void(const submit_progress&)> on_progress;
};

/// One job's end. Thread-safety: a plain value.
struct submit_result
{
    std::optional<job_id> id;  ///< set when the job was created (answered, or found by query)
    /// Clear when created. error::outcome_unknown: the server may have the job (reconciliation
    /// off or impossible). Anything else: the job was not created.
    boost::system::error_code error;
    diagnostics diag;             ///< the server's text and the client-side cause for errors
    std::string jobname;          ///< the jobname sent (the job's tag); empty when never sent
    bool found_by_query = false;  ///< the answer was lost and a query found the job
    /// Other jobs found under this job's tag: a lost POST that the server carried out after the
    /// query that looked for it (see the docs). Empty unless the guarantee's limits were hit.
    std::vector<job_id> duplicates;

    /// The server created the job and `id` holds its id.
    bool submitted() const noexcept { return id.has_value(); }
    /// The job may or may not exist (error::outcome_unknown): reconcile before resubmitting.
    bool unknown() const noexcept { return !id && error == vovrest::error::outcome_unknown; }
    /// The job was not created (refused, never sent, or not found): safe to submit again.
    bool failed() const noexcept { return !id && !unknown(); }
    /// "POST /api/v3/jobs: HTTP 503: ..." for errors, empty when submitted.
    std::string message() const;
};

/// The completion signature of async_submit_many: the batch's own error (clear, or
/// error::invalid_argument for options it cannot run with, or asio::error::operation_aborted
/// after a cancellation) and one result per job.
using submit_many_signature = void(boost::system::error_code, std::vector<submit_result>);

namespace detail {
void start_submit_many(session& s, std::span<const job_spec> specs, submit_many_options options,
                       boost::asio::any_completion_handler<submit_many_signature> handler);
}  // namespace detail

/// Submits every job and completes with one result per job, in the order of `specs`, with any
/// Asio completion token (callbacks, use_future, deferred, use_awaitable). Never throws: the
/// batch's own failure is the error_code; each job's is its result.
/// Lifetime: `specs` and the session must outlive the operation.
/// Cancellation (the token's slot): partial — no new job is sent, the jobs in flight end and the
/// lost answers are looked for; terminal — also the requests in flight are cancelled (their
/// jobs end error::outcome_unknown unless answered) and nothing is looked for. Either way the
/// jobs not sent fail with asio::error::operation_aborted, and the results come back with
/// operation_aborted as the batch's error. session::shutdown() ends it too (error::session_closed).
template <class CompletionToken>
auto async_submit_many(session& s, std::span<const job_spec> specs, submit_many_options options,
                       CompletionToken&& token)
{
    return boost::asio::async_initiate<CompletionToken, submit_many_signature>(
        [](auto handler, session* sess, std::span<const job_spec> all, submit_many_options opts) {
            detail::start_submit_many(*sess, all, std::move(opts),
                                      boost::asio::any_completion_handler<submit_many_signature>(std::move(handler)));
        },
        token, &s, specs, std::move(options));
}

/// The coroutine form of async_submit_many. Throws error_with_diagnostics only when the batch
/// cannot run at all (error::invalid_argument); a cancelled batch returns its results (the
/// coroutine's cancellation applies as terminal cancellation).
boost::asio::awaitable<std::vector<submit_result>> submit_many(session& s, std::span<const job_spec> specs,
                                                               submit_many_options options = {});

}  // namespace vovrest
