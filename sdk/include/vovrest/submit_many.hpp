/// @file
/// vovrest::submit_many — many jobs through one session, up to `concurrency` submissions in
/// flight, every job accounted for in input order: its id, its error, or "outcome unknown" (the
/// answer was lost after the request left; never resent, so never a duplicate job). How to settle
/// unknown outcomes: docs/reconciling-unknown-outcomes.md.
/// Thread-safety: as the session's; the progress callback is never called twice at once.
#pragma once

#include <vovrest/diagnostics.hpp>
#include <vovrest/error.hpp>
#include <vovrest/jobs.hpp>
#include <vovrest/session.hpp>

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

/// Where a submit_many() stands, given to the progress callback after each job ends.
/// Thread-safety: a plain value.
struct submit_progress
{
    std::size_t done = 0;       ///< jobs finished (any outcome)
    std::size_t total = 0;      ///< jobs given
    std::size_t succeeded = 0;  ///< jobs the server created and gave an id for
    std::size_t failed = 0;     ///< refused by the server or never sent
    std::size_t unknown = 0;    ///< error::outcome_unknown
};

/// How submit_many() runs. Thread-safety: a plain value, copied into the operation.
struct submit_many_options
{
    /// Submissions in flight at once. The session's max_connections bounds the sockets; the
    /// rest wait in its FIFO.
    std::size_t concurrency = 32;

    /// Attempts for a job the server refused with 503 or 429 (it said "not now": nothing was
    /// created, so sending again cannot duplicate). 1: never retry. Anything else, a lost answer
    /// above all, is never retried.
    unsigned max_attempts = 3;
    /// Wait before such a retry: the server's Retry-After, else this doubled each attempt; never
    /// more than retry_delay_max.
    std::chrono::steady_clock::duration retry_delay = std::chrono::milliseconds(100);
    /// The longest wait before a retry, whatever Retry-After says.
    std::chrono::steady_clock::duration retry_delay_max = std::chrono::seconds(5);

    /// Called after each job ends, from the thread that ran it, never twice at once. Keep it
    /// quick; it must not throw. Empty: no progress reports.
    std::function<void(const submit_progress&)> on_progress;
};

/// One job's end. Thread-safety: a plain value.
struct submit_result
{
    std::optional<job_id> id;        ///< set when the server answered with the id
    /// Clear when submitted. error::outcome_unknown: the server may have the job (the answer was
    /// lost, or it said 2xx without a readable id). Anything else: the job was not created.
    boost::system::error_code error;
    diagnostics diag;                ///< the server's text for errors

    /// The server created the job and `id` holds its id.
    bool submitted() const noexcept { return id.has_value(); }
    /// The job may or may not exist (error::outcome_unknown): reconcile before resubmitting.
    bool unknown() const noexcept { return !id && error == vovrest::error::outcome_unknown; }
    /// The job was not created (refused, or never sent): safe to submit again.
    bool failed() const noexcept { return !id && !unknown(); }
    /// "POST /api/v3/jobs: HTTP 503: ..." for errors, empty when submitted.
    std::string message() const;
};

/// Submits every job and returns one result per job, in the order of `specs`.
/// Never throws for one job's failure (that is its result); throws only when it cannot run at
/// all. Each result is also counted in the progress callback.
/// Lifetime: `specs` and the session must outlive the operation.
/// Cancellation: not supported per call; session::shutdown() ends it (the jobs not yet sent fail
/// with error::session_closed).
boost::asio::awaitable<std::vector<submit_result>> submit_many(session& s, std::span<const job_spec> specs,
                                                               submit_many_options options = {});

}  // namespace vovrest
