// The request and the raw answer as the transport sees them: no token logic, no status mapping.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vovrest::detail {

struct http_request
{
    std::string_view method;         // "GET", "POST", "PUT", "PATCH", "DELETE"
    std::string target;              // path and encoded query
    std::string_view authorization;  // header value; empty: no Authorization header
    std::string_view content_type;   // empty: no body
    std::string body;                // sent from here, never copied: a caller that put a
                                     // secret in it wipes it after the exchange

    // GET/HEAD/PUT/DELETE may be sent again after bytes left; POST and PATCH never.
    bool idempotent() const noexcept
    {
        return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE";
    }
};

struct http_result
{
    unsigned status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

}  // namespace vovrest::detail
