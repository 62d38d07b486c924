/// @file
/// vovrest::token_params — how the session keeps its token fresh (docs/architecture.md, the token
/// rules). Thread-safety: a plain value.
#pragma once

#include <chrono>
#include <optional>

namespace vovrest {

/// When the session renews its token, and how it backs off when renewals fail. The lifetime of
/// a token is read from its JWT payload (`exp`, `iat`) and measured on the local steady clock
/// from its arrival. Thread-safety: a plain value, copied into the session.
struct token_params
{
    /// Soft window: the last soft_fraction of the lifetime, at most soft_max. Requests keep using
    /// the token and one background renewal starts.
    double soft_fraction = 0.25;
    /// The longest soft window, whatever the lifetime.
    std::chrono::steady_clock::duration soft_max = std::chrono::minutes(5);
    /// Hard window: the last hard_fraction, at most hard_max. The token is not used any more:
    /// callers wait for the renewal.
    double hard_fraction = 0.10;
    /// The longest hard window, whatever the lifetime.
    std::chrono::steady_clock::duration hard_max = std::chrono::seconds(30);
    /// Share of the soft window by which its start is moved earlier at random, so that many
    /// clients do not renew in the same instant.
    double jitter_fraction = 0.10;
    /// A token whose expiry is unknown is renewed after this age (none: only on a 401).
    std::optional<std::chrono::steady_clock::duration> max_token_age;
    /// A refused username or password is remembered this long: callers fail at once with
    /// error::authentication_failed, nothing is sent.
    std::chrono::steady_clock::duration failure_memory = std::chrono::seconds(2);
    /// Transient failures (network, 5xx, 429): the first wait of a jittered exponential backoff
    /// (a Retry-After from the server is honoured).
    std::chrono::steady_clock::duration backoff_initial = std::chrono::milliseconds(100);
    /// The longest backoff between two token requests of one renewal (a longer Retry-After
    /// still wins), and the pause before the next background renewal after one failed.
    std::chrono::steady_clock::duration backoff_max = std::chrono::seconds(10);
    unsigned max_attempts = 6;  ///< token requests per renewal before the waiters get the error
    /// Deadline of one token request, whatever happens to the callers waiting for it.
    std::chrono::steady_clock::duration renewal_timeout = std::chrono::seconds(15);
    /// Deadline of a whole renewal, its retries and backoff included: authorize() and every caller
    /// waiting for a token get an answer within it (error::timeout, or the last failure's error).
    std::chrono::steady_clock::duration renewal_deadline = std::chrono::seconds(30);
    /// A token refused by 401 before the server accepted it, twice in a row (a server that rejects
    /// every token): no renewal on 401 for this long, doubling each time up to hold_max; callers
    /// fail at once with error::unauthorized and the server's text meanwhile. A few token requests
    /// per minute at most, however the server answers.
    std::chrono::steady_clock::duration hold_initial = std::chrono::seconds(15);
    std::chrono::steady_clock::duration hold_max = std::chrono::minutes(5);  ///< the longest such hold
    /// When the token's iat is within this of the local wall clock, exp is trusted against the
    /// wall clock; otherwise the lifetime exp - iat is counted from the token's arrival.
    std::chrono::steady_clock::duration clock_agreement = std::chrono::seconds(5);
};

}  // namespace vovrest
