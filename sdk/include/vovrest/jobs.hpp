/// @file
/// Accelerator jobs: the description submitted (job_spec), the id (job_id), a job's fields
/// (job_record), and the calls on /api/v3/jobs: submit, get, field, stop, suspend, resume,
/// modify, forget, wait. Each call is a coroutine on a session that throws
/// error_with_diagnostics, and an async_* form (jobs::async_get, ...) that takes any completion
/// token and reports an error_code and a diagnostics instead.
/// Arguments are taken by value, so a coroutine started with co_spawn owns them; the session must
/// outlive it. Cancellation: each coroutine follows the cancellation of the coroutine that awaits
/// it, as session::execute() does (a cancelled call throws with
/// boost::asio::error::operation_aborted); each async_* form its token's cancellation slot.
/// Thread-safety: the functions are as thread-safe as the session; the types are plain values.
#pragma once

#include <vovrest/detail/async_typed.hpp>
#include <vovrest/diagnostics.hpp>
#include <vovrest/response.hpp>
#include <vovrest/session.hpp>
#include <vovrest/table.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <compare>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vovrest {

/// A job id. Accelerator prints ids as 9-digit zero-padded text ("000001138") and queries use the
/// integer (idint); both forms are accepted wherever an id is read.
/// Thread-safety: a plain value.
class job_id
{
public:
    /// The id 0, which no job has: "no id".
    constexpr job_id() noexcept = default;
    /// The job with this integer id (idint).
    constexpr explicit job_id(std::int64_t value) noexcept : value_(value) {}

    /// The integer id, as queries use it (idint).
    constexpr std::int64_t value() const noexcept { return value_; }
    /// Zero-padded to nine digits, as Accelerator prints it: "000001138"; ids of more than nine
    /// digits print in full.
    std::string to_string() const;

    /// Reads either form. Decimal digits only, leading zeros allowed ("1138", "000001138");
    /// std::nullopt for anything else (empty, sign, space, overflow).
    static std::optional<job_id> parse(std::string_view text) noexcept;

    /// Ordered and compared by the integer id.
    friend constexpr auto operator<=>(job_id, job_id) noexcept = default;

private:
    std::int64_t value_ = 0;
};

/// job_id::to_string(): "000001138".
std::string to_string(job_id id);
/// Writes job_id::to_string().
std::ostream& operator<<(std::ostream& out, job_id id);

/// What `nc run` is told about a job. Empty members are not sent (the server's defaults apply).
/// Thread-safety: a plain value.
struct job_spec
{
    std::string command;  ///< the command line, as `nc run` takes it
    /// Or the argv: when not empty it wins, each word quoted for /bin/sh where needed and joined
    /// with spaces.
    std::vector<std::string> argv;
    std::string rundir;  ///< directory the job runs in
    std::string env;     ///< environment spec, e.g. "BASE" or "D(VAR=1)"
    /// The job's name. A unique one makes a lost answer reconcilable
    /// (docs/reconciling-unknown-outcomes.md).
    std::string jobname;
    std::string resources;  ///< resource expression, e.g. "linux64 RAM/2000"
    std::string priority;   ///< "4", "high", or "priority,sched" such as "4,8"
    std::string jobclass;   ///< the job class
    std::string group;      ///< the fair-share group
    std::string logfile;    ///< the file the job's output is written to
    /// Any other job-description keys (autokill, ...); applied last, so they override the
    /// members above.
    boost::json::object extra;
};

/// The command line that is sent: `command`, or `argv` quoted for /bin/sh and joined.
std::string command_line(const job_spec& spec);
/// The JSON body of POST /api/v3/jobs: {"command": ..., "rundir": ..., ...}, empty members left
/// out, `extra` applied last.
boost::json::object to_json(const job_spec& spec);
/// The same body with `jobname` sent instead of spec.jobname (none when empty): how submit_many
/// sends each job's tag without copying its spec.
boost::json::object to_json(const job_spec& spec, std::string_view jobname);

/// One job's fields, from GET /api/v3/jobs/{id}. Times are epoch seconds, 0 when not yet.
/// Thread-safety: a plain value.
struct job_record
{
    job_id id;                                ///< the job's id (the server's idint when it sends one)
    std::string jobname;                      ///< its name, empty when it has none
    std::string user;                         ///< the account that owns it
    std::string command;                      ///< its command line
    std::string status;                       ///< SCHEDULED, RUNNING, VALID, FAILED, SUSPENDED, ...
    std::string host;                         ///< where it runs or ran; empty before it starts
    std::int64_t submit_time = 0;             ///< when it was submitted (epoch seconds)
    std::int64_t start_time = 0;              ///< when it started (epoch seconds), 0 when not yet
    std::int64_t end_time = 0;                ///< when it ended (epoch seconds), 0 when not yet
    std::optional<std::int64_t> exit_status;  ///< absent when the server did not say
    table fields;                             ///< the whole one-row table, for every other field
};

/// How a wait ended. A job the server has forgotten is a normal end for a poller, not an error.
enum class job_end
{
    valid,     ///< the job ended VALID
    failed,    ///< the job ended FAILED
    forgotten  ///< the server no longer knows the job (404): it ended, but how is not known
};

/// What jobs::wait() saw last. Thread-safety: a plain value.
struct wait_result
{
    job_end end = job_end::forgotten;  ///< how the wait ended
    std::string status;                ///< the server's word: "VALID", "FAILED"; empty when forgotten
};

/// True for the states a job never leaves: VALID and FAILED (case-insensitive).
bool is_terminal(std::string_view status) noexcept;

/// The calls on /api/v3/jobs. Each one is a coroutine on a session that throws
/// error_with_diagnostics on failure (unless it takes `ec` and `diag`), and an async_* form for
/// any completion token that does not throw; the session must outlive it. Cancellation: the
/// awaiting coroutine's (or the token's) cancellation reaches the request in flight.
namespace jobs {

/// Submits a job: POST /api/v3/jobs.
/// @return the id the server gave the job.
/// @throws error_with_diagnostics error::bad_request for a job with no command (nothing is
///         sent); error::outcome_unknown when the answer was lost after the request left (never
///         resent: the server may have the job; see docs/reconciling-unknown-outcomes.md);
///         error::bad_response for a 2xx answer with no readable id; any error of
///         session::execute().
boost::asio::awaitable<job_id> submit(session& s, job_spec spec);
/// The same without throwing: on failure `ec` and `diag` are set and the id is job_id{}.
/// `ec` and `diag` must live until the coroutine completes.
boost::asio::awaitable<job_id> submit(session& s, job_spec spec, boost::system::error_code& ec, diagnostics& diag);

/// How submit(session&, job_spec, reconcile_tag) tags its job (as submit_many tags each job).
/// Thread-safety: a plain value.
struct reconcile_tag
{
    /// The job's jobname is unique (nobody else uses it): it is the tag, sent unchanged.
    /// Otherwise the job is sent as "<jobname>.<prefix>-<random>-0" ("<prefix>-<random>-0"
    /// without a jobname).
    bool jobname_unique = false;
    std::string prefix = "vovrest";  ///< 1 to 32 characters from [A-Za-z0-9_-]
};

/// Exactly-once submission of one job: a lost answer is settled by query (found: its id; not
/// found: submitted again) instead of ending error::outcome_unknown, which is then thrown only
/// when the query itself keeps failing. A connection failure waits and tries again like
/// submit_many does. Throws error_with_diagnostics.
boost::asio::awaitable<job_id> submit(session& s, job_spec spec, reconcile_tag tag);

/// One job's fields: GET /api/v3/jobs/{id}.
/// @throws error_with_diagnostics error::not_found for an unknown or forgotten job;
///         error::bad_response when the answer is not a table; any error of session::execute().
boost::asio::awaitable<job_record> get(session& s, job_id id);
/// One field as text: GET /api/v3/jobs/{id}/{name}.
/// @throws error_with_diagnostics error::query_failed for an unknown field; error::not_found
///         for an unknown job; any error of session::execute().
boost::asio::awaitable<std::string> field(session& s, job_id id, std::string name);

/// Stops a job: PUT /api/v3/jobs/{id} {"action": "stop"}. Repeating stop is harmless.
/// @throws error_with_diagnostics error::forbidden for another user's job (without the level
///         for it); error::not_found for an unknown job; any error of session::execute().
boost::asio::awaitable<void> stop(session& s, job_id id);
/// Suspends a job: PUT /api/v3/jobs/{id} {"action": "suspend"}.
/// @throws error_with_diagnostics error::bad_request (HTTP 409) for a finished job;
///         error::forbidden for another user's job; any error of session::execute().
boost::asio::awaitable<void> suspend(session& s, job_id id);
/// Resumes a suspended job: PUT /api/v3/jobs/{id} {"action": "resume"}.
/// @throws error_with_diagnostics error::bad_request (HTTP 409) for a finished job;
///         error::forbidden for another user's job; any error of session::execute().
boost::asio::awaitable<void> resume(session& s, job_id id);
/// Changes a job: PATCH /api/v3/jobs/{id} with the members to change (jobname, priority,
/// resources, ...).
/// @throws error_with_diagnostics as the server answers (error::bad_request, error::forbidden,
///         error::not_found, ...).
boost::asio::awaitable<void> modify(session& s, job_id id, boost::json::object fields);
/// Makes the server forget a job: DELETE /api/v3/jobs/{id}.
/// @throws error_with_diagnostics error::not_found for a job already forgotten;
///         error::forbidden for another user's job; any error of session::execute().
boost::asio::awaitable<void> forget(session& s, job_id id);

/// Polls the job's status every `poll_interval` until VALID or FAILED, or until the server no
/// longer knows the job (404: job_end::forgotten, not an error).
/// @throws error_with_diagnostics for any other error of a poll.
/// Cancellation: the caller's (co_spawn's) cancellation stops the wait, at a poll or between
/// polls.
boost::asio::awaitable<wait_result> wait(session& s, job_id id,
                                         std::chrono::steady_clock::duration poll_interval = std::chrono::seconds(1));

/// The job id in a submit answer, in any shape the reference allows: a top-level `jobid` or `id`
/// member; or the first row of a table whose column is `jobid`, `idint` or `id`; the id an integer
/// or a zero-padded string.
/// @throws error_with_diagnostics error::bad_response when the body holds no id.
job_id parse_submit_response(std::string_view body);
/// The same without throwing; falls back on a `Location: /api/v3/jobs/<id>` header when the body
/// holds no id. On failure `ec` is error::bad_response and the id is job_id{}.
job_id parse_submit_response(const response& answer, boost::system::error_code& ec, diagnostics& diag);

}  // namespace jobs

// The one implementation of each call: never throws (allocation failures aside), fills `diag`.
namespace detail {
boost::asio::awaitable<std::pair<boost::system::error_code, job_id>> submit_job(session& s, job_spec spec,
                                                                                diagnostics& diag);
boost::asio::awaitable<std::pair<boost::system::error_code, job_record>> get_job(session& s, job_id id,
                                                                                 diagnostics& diag);
boost::asio::awaitable<std::pair<boost::system::error_code, std::string>>
job_field(session& s, job_id id, std::string name, diagnostics& diag);
// `action` is "stop", "suspend" or "resume" (a literal: the view is kept until the call ends).
boost::asio::awaitable<boost::system::error_code> control_job(session& s, job_id id, std::string_view action,
                                                              diagnostics& diag);
boost::asio::awaitable<boost::system::error_code> modify_job(session& s, job_id id, boost::json::object fields,
                                                             diagnostics& diag);
boost::asio::awaitable<boost::system::error_code> forget_job(session& s, job_id id, diagnostics& diag);
boost::asio::awaitable<std::pair<boost::system::error_code, wait_result>>
wait_job(session& s, job_id id, std::chrono::steady_clock::duration poll_interval, diagnostics& diag);
}  // namespace detail

namespace jobs {

// ---- Any completion token (callbacks, use_future, deferred, use_awaitable, as_tuple) ----
// Each call above as an Asio asynchronous operation, with the session's conventions: non-throwing
// (the error_code and `diag` say what failed; `diag` must live until completion); completion
// runs on the token's associated executor; the session must outlive the operation. With
// as_tuple(use_awaitable) the call, and the session calls it makes, run inside the awaiting
// coroutine's frame.
// Cancellation, through the token's cancellation slot (for as_tuple(use_awaitable), the awaiting
// coroutine's): terminal, partial and total, as the session's requests honour them: the call
// ends with asio::error::operation_aborted, and a token renewal it waited for goes on for the
// other callers. A request that changes the job (submit, stop, suspend, resume, modify, forget)
// cancelled after its bytes left may have been carried out.

/// submit() with any completion token: POST /api/v3/jobs, completing with
/// `void(boost::system::error_code, job_id)`. A job with no command is error::bad_request before
/// anything is sent; a lost answer is error::outcome_unknown (never resent: the server may have
/// the job); the id is job_id{} on failure. `diag` must live until completion.
template <class CompletionToken>
auto async_submit(session& s, job_spec spec, diagnostics& diag, CompletionToken&& token)
{
    return vovrest::detail::async_typed<job_id>(s, std::forward<CompletionToken>(token),
                                                [&s, spec = std::move(spec), &diag]() mutable {
                                                    return vovrest::detail::submit_job(s, std::move(spec), diag);
                                                });
}

/// get() with any completion token: GET /api/v3/jobs/{id}, completing with
/// `void(boost::system::error_code, job_record)`. An unknown or forgotten job is
/// error::not_found. `diag` must live until completion.
template <class CompletionToken>
auto async_get(session& s, job_id id, diagnostics& diag, CompletionToken&& token)
{
    return vovrest::detail::async_typed<job_record>(s, std::forward<CompletionToken>(token),
                                                    [&s, id, &diag] { return vovrest::detail::get_job(s, id, diag); });
}

/// field() with any completion token: GET /api/v3/jobs/{id}/{name}, completing with
/// `void(boost::system::error_code, std::string)`. An unknown field is error::query_failed.
/// `diag` must live until completion.
template <class CompletionToken>
auto async_field(session& s, job_id id, std::string name, diagnostics& diag, CompletionToken&& token)
{
    return vovrest::detail::async_typed<std::string>(
        s, std::forward<CompletionToken>(token), [&s, id, name = std::move(name), &diag]() mutable {
            return vovrest::detail::job_field(s, id, std::move(name), diag);
        });
}

/// stop() with any completion token: PUT /api/v3/jobs/{id} {"action": "stop"}, completing with
/// `void(boost::system::error_code)`. `diag` must live until completion.
template <class CompletionToken>
auto async_stop(session& s, job_id id, diagnostics& diag, CompletionToken&& token)
{
    return vovrest::detail::async_typed<void>(s, std::forward<CompletionToken>(token), [&s, id, &diag] {
        return vovrest::detail::control_job(s, id, "stop", diag);
    });
}

/// suspend() with any completion token: PUT /api/v3/jobs/{id} {"action": "suspend"}, completing
/// with `void(boost::system::error_code)`. A finished job is error::bad_request. `diag` must live
/// until completion.
template <class CompletionToken>
auto async_suspend(session& s, job_id id, diagnostics& diag, CompletionToken&& token)
{
    return vovrest::detail::async_typed<void>(s, std::forward<CompletionToken>(token), [&s, id, &diag] {
        return vovrest::detail::control_job(s, id, "suspend", diag);
    });
}

/// resume() with any completion token: PUT /api/v3/jobs/{id} {"action": "resume"}, completing
/// with `void(boost::system::error_code)`. A finished job is error::bad_request. `diag` must live
/// until completion.
template <class CompletionToken>
auto async_resume(session& s, job_id id, diagnostics& diag, CompletionToken&& token)
{
    return vovrest::detail::async_typed<void>(s, std::forward<CompletionToken>(token), [&s, id, &diag] {
        return vovrest::detail::control_job(s, id, "resume", diag);
    });
}

/// modify() with any completion token: PATCH /api/v3/jobs/{id} with the members to change,
/// completing with `void(boost::system::error_code)`. `diag` must live until completion.
template <class CompletionToken>
auto async_modify(session& s, job_id id, boost::json::object fields, diagnostics& diag, CompletionToken&& token)
{
    return vovrest::detail::async_typed<void>(s, std::forward<CompletionToken>(token),
                                              [&s, id, fields = std::move(fields), &diag]() mutable {
                                                  return vovrest::detail::modify_job(s, id, std::move(fields), diag);
                                              });
}

/// forget() with any completion token: DELETE /api/v3/jobs/{id}, completing with
/// `void(boost::system::error_code)`. A job already forgotten is error::not_found. `diag` must
/// live until completion.
template <class CompletionToken>
auto async_forget(session& s, job_id id, diagnostics& diag, CompletionToken&& token)
{
    return vovrest::detail::async_typed<void>(s, std::forward<CompletionToken>(token),
                                              [&s, id, &diag] { return vovrest::detail::forget_job(s, id, diag); });
}

/// wait() with any completion token: polls the job's status every `poll_interval` until VALID
/// or FAILED, or until the server no longer knows the job (job_end::forgotten, not an error),
/// completing with `void(boost::system::error_code, wait_result)`. Any other failure of a poll
/// ends the wait with its error. Cancellation (terminal, partial, total) ends the wait at once,
/// during a poll or between polls, with asio::error::operation_aborted. `diag` must live until
/// completion.
template <class CompletionToken>
auto async_wait(session& s, job_id id, std::chrono::steady_clock::duration poll_interval, diagnostics& diag,
                CompletionToken&& token)
{
    return vovrest::detail::async_typed<wait_result>(
        s, std::forward<CompletionToken>(token),
        [&s, id, poll_interval, &diag] { return vovrest::detail::wait_job(s, id, poll_interval, diag); });
}

/// async_wait() polling once a second.
template <class CompletionToken>
auto async_wait(session& s, job_id id, diagnostics& diag, CompletionToken&& token)
{
    return async_wait(s, id, std::chrono::seconds(1), diag, std::forward<CompletionToken>(token));
}

}  // namespace jobs

}  // namespace vovrest
