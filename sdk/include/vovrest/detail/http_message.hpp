// The request and the raw answer as the transport sees them: no token logic, no status mapping.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vovrest::detail {

struct http_request;

// Sets a request's Authorization once the transport holds a connection for it, just before its
// bytes are written. A request that waited for a connection then carries the token current at
// the wire, not the one current when it began to wait: behind a long queue (many callers, few
// connections, a slow server) that one may have died meanwhile.
class request_authorizer
{
public:
    // False when no token may be used now: the transport gives the connection back unused and
    // ends the exchange with http_result::needs_token set.
    virtual bool attach(http_request& request) = 0;

protected:
    ~request_authorizer() = default;
};

struct http_request
{
    std::string_view method;         // "GET", "POST", "PUT", "PATCH", "DELETE"
    std::string target;              // path and encoded query
    std::string_view authorization;  // header value; empty: no Authorization header
    request_authorizer* authorizer = nullptr;  // when set, it sets `authorization` (see above)
    std::string_view content_type;   // empty: no body
    std::string body;                // sent from here, never copied
    // When not empty, sent instead of `body`: bytes the caller keeps alive until the exchange
    // ends, in memory of its choice (the token request's form body: pages that core dumps leave
    // out and that are wiped after sending, see sdk/src/secret_buffer.hpp).
    std::string_view external_body;

    std::string_view payload() const noexcept
    {
        return external_body.empty() ? std::string_view(body) : external_body;
    }
    // The token request: every other request may be waiting for it, so it takes the next free
    // connection ahead of the requests queued for one.
    bool ahead_of_queue = false;

    // GET/HEAD/PUT/DELETE may be sent again after bytes left; POST and PATCH never.
    bool idempotent() const noexcept
    {
        return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE";
    }
};

struct http_result
{
    bool needs_token = false;  // not sent: the request's authorizer had no token to give
    unsigned status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

}  // namespace vovrest::detail
