// One request's decisions, from its first wait for a token to its answer, as a sans-I/O state
// machine: the driver (request_driver.cpp) carries out each action it returns and feeds the result
// back. Everything a request decides is here — when to wait for a token, which connection to
// take, where the token is attached, what a failed step means for each kind of request (retried,
// on which connection; outcome_unknown; which error), the one replay after a 401 and the retries
// of the request policy. No Asio, no clock, no bytes: only steps and their outcomes.
// The table this machine implements is the documented contract: docs/request-contract.md.
// Thread-safety: none; one request's machine is used by that request's driver only.
#pragma once

#include <vovrest/retry_policy.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <optional>

namespace vovrest::detail {

// What the machine knows of the request.
struct request_traits
{
    bool idempotent = false;  // GET/HEAD/PUT/DELETE: may be sent again after its bytes left
    bool authorized = true;   // carries the session's token (false: the token request itself)
    retry_policy policy;      // retries of answers that say "not now" and of connect failures
};

enum class request_step : std::uint8_t
{
    wait_for_token,        // no usable token: wait for the renewal, holding no connection
    acquire_connection,    // a kept-alive connection or a slot to open one, without waiting
    queue_for_connection,  // wait in the pool's queue
    connect,               // open a connection in the slot held (resolve, connect, TLS handshake)
    attach_token,          // take the current token for this request (no I/O)
    write,                 // check the kept-alive connection is quiet, then send the request
    read,                  // read the answer
    report_unauthorized,   // tell the token pipeline the token sent was refused (no I/O)
    backoff,               // wait `delay`, then try again
    done,                  // complete with `ec`; with `answered`, the answer goes to the caller
};

// What to do with the connection held before the step.
enum class release_as : std::uint8_t
{
    keep,   // nothing: keep holding it (or none is held)
    reuse,  // back to the pool for the next request
    park,   // back to the pool, but not to the requests queued for one now: this one found no
            // usable token, nor would they (they wait for the renewal in the pool's queue, and are
            // handed connections again once this request's wait for the token is over)
    close,  // close it: it carried a failure, a close, or bytes out of step
};

// Which deadline bounds the step (the operation's own always applies as well).
enum class step_deadline : std::uint8_t
{
    none,     // only the operation's
    connect,  // session_params::connect_timeout for resolve + connect, handshake_timeout for TLS
    request,  // session_params::request_timeout for the write and the read together
    keep,     // the one armed for the previous step goes on
};

struct request_action
{
    request_step step = request_step::done;
    release_as release = release_as::keep;
    step_deadline deadline = step_deadline::keep;
    bool fresh = false;                           // acquire/queue: a kept-alive connection will not do
    bool use_waited_token = false;                // attach_token: the token waited for, sent as it is
    bool answered = false;                        // done: the caller gets the answer (status, headers, body)
    bool retry = false;                           // the request is tried again (counted and reported)
    std::chrono::steady_clock::duration delay{};  // backoff
    boost::system::error_code ec{};               // done
};

enum class request_event_kind : std::uint8_t
{
    start,
    token_ready,        // wait_for_token: a token to send as it is
    token_failed,       // wait_for_token: ec (the pipeline's error)
    connection_reused,  // acquire/queue: a kept-alive connection
    connection_slot,    // acquire/queue: a slot to open a new connection in
    pool_full,          // acquire: none free; token_usable says whether a token could be sent
    acquire_failed,     // acquire/queue: ec (session_closed, cancelled, timeout)
    connected,
    connect_failed,  // ec: connection_failed, tls_failed, timeout, cancelled
    token_attached,
    no_token,  // attach_token: no usable token now
    stale,     // write: the kept-alive connection was closed or spoke while idle
    written,
    write_failed,           // ec; bytes_sent
    answered,               // read: status, reusable, retry_after, time_left
    read_failed,            // ec; answer_started (any byte of the answer arrived)
    unauthorized_reported,  // report_unauthorized: token_usable says whether one is installed
    backoff_elapsed,
};

struct request_event
{
    request_event_kind kind = request_event_kind::start;
    boost::system::error_code ec{};
    bool bytes_sent = false;      // write_failed: some bytes of the request left
    bool answer_started = false;  // read_failed: some bytes of an answer arrived
    bool token_usable = false;    // start, pool_full, unauthorized_reported
    unsigned status = 0;          // answered
    bool reusable = false;        // answered: keep-alive, and no byte after the answer
    std::optional<std::chrono::steady_clock::duration> retry_after{};  // answered: Retry-After
    std::optional<std::chrono::steady_clock::duration> time_left{};    // answered, connect_failed:
                                                                       // before the operation's deadline
    double jitter = 0.0;  // answered, connect_failed: uniform in [0, 1), for a backoff
};

class request_fsm
{
public:
    explicit request_fsm(const request_traits& traits) noexcept : traits_(traits) {}

    request_action resume(const request_event& event) noexcept;

    // Attempts that went on the wire (written, whole or in part), for the completion event.
    unsigned attempts() const noexcept { return attempts_; }
    // The connection held is a kept-alive one (the write step checks it is quiet first).
    bool holds_reused() const noexcept { return reused_; }

private:
    enum class phase : std::uint8_t
    {
        idle,
        waiting_for_token,
        acquiring,
        queued,
        connecting,
        attaching,
        writing,
        reading,
        reporting,
        backing_off,
        finished,
    };

    request_action take_connection(bool token_waited_for) noexcept;
    request_action acquire() noexcept;
    request_action wait_for_token() noexcept;
    request_action fail(boost::system::error_code ec, release_as release = release_as::keep) noexcept;
    request_action finish(boost::system::error_code ec, bool answered, release_as release) noexcept;
    request_action after_answer(const request_event& event) noexcept;
    request_action after_transport_failure(boost::system::error_code ec, bool reached_server) noexcept;
    // A retry under the policy after `delay` (the Retry-After asked for, if any), unless the
    // policy's attempts are spent or the wait would outlast the operation: then `otherwise`.
    request_action retry_later(const request_event& event, std::optional<std::chrono::steady_clock::duration> asked,
                               release_as release, const request_action& otherwise) noexcept;

    request_traits traits_;
    phase phase_ = phase::idle;
    bool reused_ = false;      // the connection held is a kept-alive one
    bool waited_ = false;      // the token to attach was waited for
    bool replayed_ = false;    // the one replay after a 401 is used
    bool want_fresh_ = false;  // after a failure on a kept-alive connection
    bool resent_after_bytes_ = false;
    unsigned retries_ = 0;         // retries taken under the policy (connect failures, 5xx/429)
    unsigned unsent_retries_ = 0;  // retries of requests that never left (write of 0 bytes)
    unsigned stale_drops_ = 0;     // kept-alive connections found closed before writing
    unsigned attempts_ = 0;
};

}  // namespace vovrest::detail
