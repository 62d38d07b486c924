// Accelerator jobs: the description submitted (job_spec), the id (job_id), a job's fields
// (job_record), and the calls on /api/v3/jobs: submit, get, field, stop, suspend, resume,
// modify, forget, wait. Coroutines on a session; they throw error_with_diagnostics.
// Arguments are taken by value, so a coroutine started with co_spawn owns them; the session must
// outlive it. Thread-safety: the functions are as thread-safe as the session; the types are plain
// values.
#pragma once

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
#include <vector>

namespace vovrest {

// A job id. Accelerator prints ids as 9-digit zero-padded text ("000001138") and queries use the
// integer (idint); both forms are accepted wherever an id is read.
class job_id
{
public:
    constexpr job_id() noexcept = default;
    constexpr explicit job_id(std::int64_t value) noexcept : value_(value) {}

    constexpr std::int64_t value() const noexcept { return value_; }
    // "000001138"; ids of more than nine digits print in full.
    std::string to_string() const;

    // Decimal digits only, leading zeros allowed ("1138", "000001138"); nullopt for anything
    // else (empty, sign, space, overflow).
    static std::optional<job_id> parse(std::string_view text) noexcept;

    friend constexpr auto operator<=>(job_id, job_id) noexcept = default;

private:
    std::int64_t value_ = 0;
};

std::string to_string(job_id id);
std::ostream& operator<<(std::ostream& out, job_id id);

// What `nc run` is told about a job. Empty members are not sent (the server's defaults apply).
struct job_spec
{
    std::string command;             // the command line, as `nc run` takes it
    std::vector<std::string> argv;   // or the argv: when not empty it wins, each word quoted for
                                     // /bin/sh and joined with spaces
    std::string rundir;              // directory the job runs in
    std::string env;                 // environment spec, e.g. "BASE" or "D(VAR=1)"
    std::string jobname;             // a unique one makes a lost answer reconcilable (see docs)
    std::string resources;           // e.g. "linux64 RAM/2000"
    std::string priority;            // "4", "high", or "priority,sched" such as "4,8"
    std::string jobclass;
    std::string group;
    std::string logfile;
    boost::json::object extra;       // any other job-description keys (autokill, ...); applied
                                     // last, so they override the members above
};

// The command line that is sent: `command`, or `argv` quoted and joined.
std::string command_line(const job_spec& spec);
// The JSON body of POST /api/v3/jobs: {"command": ..., "rundir": ..., ...}.
boost::json::object to_json(const job_spec& spec);
/// The same body with `jobname` sent instead of spec.jobname (none when empty): how submit_many
/// sends each job's tag without copying its spec.
boost::json::object to_json(const job_spec& spec, std::string_view jobname);

// One job's fields, from GET /api/v3/jobs/{id}. Times are epoch seconds, 0 when not yet.
struct job_record
{
    job_id id;
    std::string jobname;
    std::string user;
    std::string command;
    std::string status;              // SCHEDULED, RUNNING, VALID, FAILED, SUSPENDED, ...
    std::string host;
    std::int64_t submit_time = 0;
    std::int64_t start_time = 0;
    std::int64_t end_time = 0;
    std::optional<std::int64_t> exit_status;  // absent when the server did not say
    table fields;                    // the whole one-row table, for every other field
};

// How a wait ended. A job the server has forgotten is a normal end for a poller, not an error.
enum class job_end { valid, failed, forgotten };

struct wait_result
{
    job_end end = job_end::forgotten;
    std::string status;              // the server's word: "VALID", "FAILED"; empty when forgotten
};

// True for the states a job never leaves: VALID and FAILED (case-insensitive).
bool is_terminal(std::string_view status) noexcept;

namespace jobs {

// POST /api/v3/jobs. A job with no command is error::bad_request before anything is sent. A
// lost answer is error::outcome_unknown and is never resent (the server may have the job).
boost::asio::awaitable<job_id> submit(session& s, job_spec spec);
// The same without throwing: on failure `ec` and `diag` are set and the id is job_id{}.
// `ec` and `diag` must live until the coroutine completes.
boost::asio::awaitable<job_id> submit(session& s, job_spec spec, boost::system::error_code& ec,
                                      diagnostics& diag);

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

// GET /api/v3/jobs/{id}. An unknown or forgotten job is error::not_found.
boost::asio::awaitable<job_record> get(session& s, job_id id);
// GET /api/v3/jobs/{id}/{name}: one field as text. An unknown field is error::query_failed.
boost::asio::awaitable<std::string> field(session& s, job_id id, std::string name);

// PUT /api/v3/jobs/{id} {"action": ...}. Repeating stop is harmless; suspending or resuming a
// finished job is error::bad_request (HTTP 409). Another user's job: error::forbidden.
boost::asio::awaitable<void> stop(session& s, job_id id);
boost::asio::awaitable<void> suspend(session& s, job_id id);
boost::asio::awaitable<void> resume(session& s, job_id id);
// PATCH /api/v3/jobs/{id} with the members to change (jobname, priority, resources, ...).
boost::asio::awaitable<void> modify(session& s, job_id id, boost::json::object fields);
// DELETE /api/v3/jobs/{id}. A job already forgotten is error::not_found.
boost::asio::awaitable<void> forget(session& s, job_id id);

// Polls the job's status every `poll_interval` until VALID or FAILED, or until the server no
// longer knows the job (404: job_end::forgotten, not an error). Other errors are thrown.
// Cancellation: the caller's (co_spawn's) cancellation stops the wait between polls.
boost::asio::awaitable<wait_result> wait(session& s, job_id id,
                                         std::chrono::steady_clock::duration poll_interval = std::chrono::seconds(1));

// The job id in a submit answer, in any shape the reference allows: a top-level `jobid` or `id`
// member; or the first row of a table whose column is `jobid`, `idint` or `id`; the id an integer
// or a zero-padded string. Throws error_with_diagnostics(error::bad_response) otherwise.
job_id parse_submit_response(std::string_view body);
// The same without throwing; falls back on a `Location: /api/v3/jobs/<id>` header when the body
// holds no id. On failure `ec` is error::bad_response and the id is job_id{}.
job_id parse_submit_response(const response& answer, boost::system::error_code& ec, diagnostics& diag);

}  // namespace jobs

}  // namespace vovrest
