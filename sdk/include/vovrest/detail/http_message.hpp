// A request and its raw answer as they travel to and from the wire: no token, no status mapping.
#pragma once

#include <vovrest/retry_policy.hpp>

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vovrest::detail {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct http_request
{
    std::string_view method;  // "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"
    std::string target;       // path and encoded query
    std::span<const std::pair<std::string, std::string>> extra_headers;  // checked by the caller
    std::string_view content_type;                                       // empty: no body
    std::string_view body;                                               // sent from the caller's memory, never copied
    // Carries the session's token; false for the token request itself.
    bool authorized = true;
    // The token request: every other request may be waiting for it, so it takes the next free
    // connection ahead of the requests queued for one.
    bool ahead_of_queue = false;
    const retry_policy* policy = nullptr;  // null: no retries under a policy

    // GET/HEAD/PUT/DELETE may be sent again after bytes left; POST and PATCH never.
    bool idempotent() const noexcept
    {
        return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE";
    }
};

struct http_result
{
    unsigned status = 0;
    header_list headers;
    std::string body;
};

}  // namespace vovrest::detail
