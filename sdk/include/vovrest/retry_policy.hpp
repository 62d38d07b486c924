/// @file
/// vovrest::retry_policy — which failed calls the session sends again by itself, how often, and
/// how long it waits in between. Set once in session_params::retry, or per call in request::retry.
/// Thread-safety: a plain value.
#pragma once

#include <chrono>

namespace vovrest {

/// Retries a session makes on its own, beyond those that need no policy: a request that provably
/// never reached the server (a kept-alive connection found closed before writing, a write of no
/// byte) is always sent again; an idempotent request (GET, HEAD, PUT, DELETE) whose connection
/// broke after its bytes left is sent once more on a fresh connection; a POST or PATCH whose bytes
/// left is never sent again (error::outcome_unknown). The full table: docs/request-contract.md.
struct retry_policy
{
    /// Attempts in all for one call under this policy, the first included; 1 turns these retries
    /// off. Counts retries of connections that could not be opened (any method: nothing was sent)
    /// and of idempotent requests answered 429, 502, 503 or 504.
    unsigned max_attempts = 3;
    /// Wait before the first retry; doubled at each one, up to max_backoff. Up to half of it is
    /// taken off at random, so that many clients do not come back in the same instant.
    std::chrono::steady_clock::duration initial_backoff = std::chrono::milliseconds(200);
    std::chrono::steady_clock::duration max_backoff = std::chrono::seconds(5);  ///< cap of that wait
    /// The server's Retry-After (seconds or an HTTP date) is honoured up to this; an answer asking
    /// for a longer wait is returned to the caller at once (error::rate_limited / server_error).
    std::chrono::steady_clock::duration max_retry_after = std::chrono::seconds(30);
    /// Retry idempotent requests answered 429, 502, 503 or 504. A 500 is not retried: it usually
    /// says the same thing again. A POST or PATCH answered so is never retried by the session.
    bool retry_unavailable = true;
    /// Retry a connection that could not be opened (refused, unreachable, reset during connect):
    /// nothing was sent, so this holds for every method. A timeout or a TLS failure is not retried.
    bool retry_connect_failures = true;
};

}  // namespace vovrest
