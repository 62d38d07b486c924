// Observability: the events a session reports through its hook, and the counters it keeps.
// Thread-safety: the hook is called from whichever thread the event happened on, possibly several
// at once; it must be thread-safe and quick. Counters are read with session::counters().
#pragma once

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <functional>
#include <string_view>

namespace vovrest {

enum class event_kind
{
    renewal_started,      // a token request is about to be sent
    renewal_succeeded,
    renewal_failed,       // ec says why; `retry` tells whether another attempt is scheduled
    unauthorized_renewal, // a 401 on the current token started a renewal
    replay,               // a request is sent again after a 401
    retry,                // a request is sent again after a transport failure
    waiter_added,         // a caller waits for a token (waiters = how many now)
    connection_opened,
    connection_reused,
    connection_dropped,
};

std::string_view to_string(event_kind kind) noexcept;

struct session_event
{
    event_kind kind;
    boost::system::error_code ec;  // for failures
    std::uint64_t waiters = 0;     // callers waiting for a token at this moment
    std::uint64_t generation = 0;  // token generation concerned
    bool retry = false;            // renewal_failed: another attempt is scheduled
    std::string_view detail;       // never a secret
};

using event_hook = std::function<void(const session_event&)>;

struct session_counters
{
    std::uint64_t token_requests = 0;        // POST /api/v3/token sent, or answered by the token cache
    std::uint64_t token_cache_hits = 0;      // token requests the token cache answered (none sent)
    std::uint64_t renewals_proactive = 0;    // started in the soft window, nobody waiting
    std::uint64_t renewals_on_401 = 0;
    std::uint64_t renewals_forced = 0;       // authorize(), expired tokens, first use
    std::uint64_t renewal_failures = 0;
    std::uint64_t waiters = 0;               // callers that had to wait for a token
    std::uint64_t waiters_now = 0;
    std::uint64_t replays = 0;               // requests replayed after a 401
    std::uint64_t retries = 0;               // requests retried after a transport failure
    std::uint64_t requests = 0;              // requests completed (any outcome)
    std::uint64_t connections_opened = 0;
    std::uint64_t connections_reused = 0;
    std::uint64_t connections_dropped = 0;
};

}  // namespace vovrest
