// vovrest::request — one REST call as the caller describes it: method, path under the base URL,
// query parameters (encoded by the SDK), and an optional body. Thread-safety: a plain value.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace vovrest {

enum class http_method { get, post, put, patch, del };

using query_params = std::vector<std::pair<std::string, std::string>>;

struct request
{
    http_method method = http_method::get;
    std::string path;                          // "/api/v3/jobs/12"; must start with '/'
    query_params query;                        // appended as ?name=value&..., percent-encoded
    std::string body;                          // sent when content_type is not empty
    std::string content_type;                  // "application/json" for JSON bodies
};

}  // namespace vovrest
