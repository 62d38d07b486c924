// vovrest::session_params — everything a session is configured with, each default next to its
// field. Thread-safety: a plain value, copied into the session.
#pragma once

#include <vovrest/events.hpp>
#include <vovrest/password_provider.hpp>
#include <vovrest/tls_params.hpp>
#include <vovrest/token_cache.hpp>
#include <vovrest/token_params.hpp>
#include <vovrest/version.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace vovrest {

struct session_params
{
    std::string url;                     // e.g. "https://nchost:6271" (NC_URL); path dropped
    std::string username;                // the Linux account
    password_provider password;          // asked at each authentication; may be empty when
                                         // only set_token() is used
    tls_params tls;
    token_params token;
    token_cache_params token_cache;      // share the token with other processes (off by default)
    bool require_https = false;          // refuse http:// URLs

    std::size_t max_connections = 8;     // keep-alive pool size; more requests wait in a FIFO
    std::chrono::steady_clock::duration idle_timeout = std::chrono::seconds(30);
    std::chrono::steady_clock::duration connect_timeout = std::chrono::seconds(10);  // incl. resolve
    std::chrono::steady_clock::duration handshake_timeout = std::chrono::seconds(10);
    // One request on the wire (write + read). The wait for a token or a connection is bounded by
    // cancellation or by operation_timeout, not by this.
    std::chrono::steady_clock::duration request_timeout = std::chrono::seconds(60);
    // Whole operation: token wait, connection wait, retries, replay (zero: none).
    std::chrono::steady_clock::duration operation_timeout = std::chrono::seconds(0);

    std::size_t max_body_bytes = 64 * 1024 * 1024;  // larger responses: error::bad_response
    std::size_t max_header_bytes = 64 * 1024;
    std::string user_agent = "vovrest/" VOVREST_VERSION_STRING;

    event_hook on_event;                 // called from any thread; never sees a secret

    // A promise that the session's executor runs one handler at a time: an io_context run by one
    // thread (a strand is recognised without it). Operations then run on that executor instead
    // of each on a strand of its own (see benchmarks/README.md for what that saves). With
    // several threads running the io_context it is a data race.
    bool single_threaded = false;
};

}  // namespace vovrest
