/// @file
/// Observability: the events a session reports through its hook, and the counters it keeps.
/// Thread-safety: the hook is called from whichever thread the event happened on, possibly several
/// at once; it must be thread-safe and quick. Counters are read with session::counters().
#pragma once

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>

namespace vovrest {

/// What happened, in a session_event.
enum class event_kind
{
    renewal_started,    ///< a token request is about to be sent
    renewal_succeeded,  ///< a token request brought a new token (generation: the new one)
    renewal_failed,     ///< a token request failed: `ec` says why; `retry` tells whether another attempt is scheduled
    unauthorized_renewal,  ///< a 401 on the current token started a renewal
    replay,                ///< a request is sent again after a 401
    retry,                 ///< a request is sent again after a transport failure
    waiter_added,          ///< a caller waits for a token (waiters = how many now)
    connection_opened,     ///< a new connection to the server is ready (connected, TLS done)
    connection_reused,     ///< a request takes a kept-alive connection
    connection_dropped,    ///< a connection is closed: broken, found closed by the server, or no longer trusted
    request_completed,     ///< a caller's call ended, whatever its outcome (method, path, status, attempts, ...)
};

/// The name of the enumerator, "renewal_started", ...; "unknown" for any other value.
std::string_view to_string(event_kind kind) noexcept;

/// One event, as the hook receives it. Never holds a secret.
/// Lifetime: valid only during the hook's call (`detail` views memory of the session's); copy
/// what must be kept.
struct session_event
{
    event_kind kind;                 ///< what happened
    boost::system::error_code ec{};  ///< why, for failures (request_completed: the call's outcome); clear otherwise
    std::uint64_t waiters = 0;       ///< callers waiting for a token at this moment
    std::uint64_t generation = 0;    ///< the token generation concerned (0 when none applies)
    bool retry = false;              ///< renewal_failed: another attempt is scheduled
    std::string_view detail{};       ///< a short free text, possibly empty; never a secret

    // request_completed only:
    std::string_view method{};           ///< request_completed: "GET", "POST", ...
    std::string_view path{};             ///< request_completed: the path, without its query (which may hold user data)
    unsigned status = 0;                 ///< request_completed: the final answer's HTTP status; 0 when none came
    unsigned attempts = 0;               ///< request_completed: times the request went on the wire (replays, retries)
    std::chrono::nanoseconds elapsed{};  ///< request_completed: from the call to its end, waits included
    std::uint64_t bytes_sent = 0;        ///< request_completed: request heads and bodies sent, every attempt
    std::uint64_t bytes_received = 0;    ///< request_completed: the final answer's body
};

/// The observer a session calls for each event (session_params::on_event). It is called
/// synchronously from whichever thread the event happened on, possibly from several at once:
/// it must be thread-safe, quick, and must not throw. It must not wait for the session's own
/// operations.
using event_hook = std::function<void(const session_event&)>;

/// A snapshot of a session's counters (session::counters()), counted since it was built.
/// Thread-safety: a plain value. Each member is read atomically, but not all at one instant:
/// under load two members of one snapshot may be a few events apart.
struct session_counters
{
    std::uint64_t token_requests = 0;  ///< token requests made: POST /api/v3/token sent, or answered by the token cache
    std::uint64_t token_cache_hits = 0;     ///< token requests the cross-process token cache answered (nothing sent)
    std::uint64_t renewals_proactive = 0;   ///< started in the soft window, nobody waiting
    std::uint64_t renewals_on_401 = 0;      ///< started because the current token was answered 401
    std::uint64_t renewals_forced = 0;      ///< authorize(), expired tokens, first use
    std::uint64_t renewal_failures = 0;     ///< token requests that brought no token
    std::uint64_t waiters = 0;              ///< callers that had to wait for a token
    std::uint64_t waiters_now = 0;          ///< callers waiting for a token at the moment of the snapshot
    std::uint64_t replays = 0;              ///< requests replayed after a 401
    std::uint64_t retries = 0;              ///< requests retried after a transport failure
    std::uint64_t requests = 0;             ///< requests completed (any outcome)
    std::uint64_t connections_opened = 0;   ///< connections made (TCP, and TLS when https)
    std::uint64_t connections_reused = 0;   ///< requests that took a kept-alive connection
    std::uint64_t connections_dropped = 0;  ///< connections closed as broken, stale or untrusted
};

}  // namespace vovrest
