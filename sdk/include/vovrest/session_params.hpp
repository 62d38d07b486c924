/// @file
/// vovrest::session_params — everything a session is configured with, each default next to its
/// field. Thread-safety: a plain value, copied into the session.
#pragma once

#include <vovrest/events.hpp>
#include <vovrest/password_provider.hpp>
#include <vovrest/retry_policy.hpp>
#include <vovrest/tls_params.hpp>
#include <vovrest/token_cache.hpp>
#include <vovrest/token_params.hpp>
#include <vovrest/version.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace vovrest {

/// Everything a session is configured with, each default next to its field. Only `url`,
/// `username` and `password` usually need setting.
/// Thread-safety: a plain value, copied into the session when it is built; changing it later
/// changes nothing.
struct session_params
{
    std::string url;       ///< e.g. "https://nchost:6271" (NC_URL); path dropped
    std::string username;  ///< the Linux account
    /// Asked at each authentication; may be empty when only session::set_token() is used.
    password_provider password;
    tls_params tls;      ///< how an https:// server is verified
    token_params token;  ///< when the token is renewed, how failures back off
    /// Share the token with other processes of the same user (off by default; see token_cache.hpp).
    token_cache_params token_cache;
    bool require_https = false;  ///< refuse http:// URLs (error::https_required)

    /// Keep-alive pool size: at most this many connections, and calls under way, at once; more
    /// calls wait for their turn in arrival order, holding their request and their coroutine
    /// frame only (the token request goes ahead of them), with operation_timeout counting.
    std::size_t max_connections = 8;
    /// A connection idle this long is closed (lazily, when the pool is next used, or by
    /// session::shutdown()).
    std::chrono::steady_clock::duration idle_timeout = std::chrono::seconds(30);
    /// Resolving the name and connecting (error::timeout when it passes).
    std::chrono::steady_clock::duration connect_timeout = std::chrono::seconds(10);
    /// The TLS handshake (error::timeout when it passes).
    std::chrono::steady_clock::duration handshake_timeout = std::chrono::seconds(10);
    /// One request on the wire (write + read). The wait for a token or a connection is bounded by
    /// cancellation or by operation_timeout, not by this.
    std::chrono::steady_clock::duration request_timeout = std::chrono::seconds(60);
    /// Whole operation: token wait, connection wait, retries, replay (zero: none). When it
    /// passes the call ends with error::timeout.
    std::chrono::steady_clock::duration operation_timeout = std::chrono::seconds(0);

    /// Which failed calls are sent again, how often, and how long is waited in between (each
    /// request may set its own: request::retry). The retries that need no policy are always made
    /// (docs/request-contract.md).
    retry_policy retry;

    std::size_t max_body_bytes = 64 * 1024 * 1024;               ///< larger responses: error::bad_response
    std::size_t max_header_bytes = 64 * 1024;                    ///< larger response headers: error::bad_response
    std::string user_agent = "vovrest/" VOVREST_VERSION_STRING;  ///< the User-Agent header sent

    /// Called for each event (renewals, 401s, replays, retries, connections), from any thread,
    /// possibly several at once; never sees a secret. Empty: no events.
    event_hook on_event;

    /// A promise that the session's executor runs one handler at a time: an io_context run by one
    /// thread (a strand is recognised without it). Operations then skip the guard that lets their
    /// deadline and cancellation run on other threads (a few hundred instructions per request; see
    /// benchmarks/README.md). With several threads running the io_context it is a data race.
    bool single_threaded = false;
};

}  // namespace vovrest
