// vovrest::request — one REST call as the caller describes it: method, path under the base URL,
// query parameters (encoded by the SDK), and an optional body. Thread-safety: a plain value.
#pragma once

#include <vovrest/retry_policy.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vovrest {

enum class http_method { get, post, put, patch, del, head };

using query_params = std::vector<std::pair<std::string, std::string>>;

struct request
{
    http_method method = http_method::get;
    std::string path;                          // "/api/v3/jobs/12"; must start with '/'
    query_params query;                        // appended as ?name=value&..., percent-encoded
    std::string body;                          // sent when content_type is not empty
    std::string content_type;                  // "application/json" for JSON bodies
    // Headers of the caller's own, sent as given. A name that is not an HTTP token, a CR, LF or
    // NUL anywhere, or a header the session sets itself (Authorization, Host, Content-Length,
    // Transfer-Encoding, Connection, Keep-Alive, Upgrade, TE, Trailer) fails the call with
    // error::invalid_argument before anything is sent.
    std::vector<std::pair<std::string, std::string>> headers{};
    std::optional<retry_policy> retry{};      // this call's retries; empty: session_params::retry
};

}  // namespace vovrest
