/// @file
/// vovrest::request — one REST call as the caller describes it: method, path under the base URL,
/// query parameters (encoded by the SDK), and an optional body. Thread-safety: a plain value.
#pragma once

#include <vovrest/retry_policy.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vovrest {

/// The HTTP methods the REST API uses.
enum class http_method
{
    get,    ///< GET: read; resent once on a fresh connection when the connection broke
    post,   ///< POST: create (jobs, tokens); never resent once its bytes left
    put,    ///< PUT: act on a resource (stop, suspend, resume); resent like GET
    patch,  ///< PATCH: change a resource's fields; never resent once its bytes left
    del,    ///< DELETE: forget a resource; resent like GET
    head    ///< HEAD: a GET without the body; resent like GET
};

/// Query parameters, in order, as (name, value) pairs not yet encoded.
using query_params = std::vector<std::pair<std::string, std::string>>;

/// One REST call as the caller describes it (session::execute()). The session adds the
/// Authorization, Host, User-Agent, Accept, Content-Type and
/// Content-Length headers.
/// Thread-safety: a plain value.
struct request
{
    http_method method = http_method::get;  ///< the method
    /// The path under the base URL, e.g. "/api/v3/jobs/12", already percent-encoded where it
    /// must be; a missing leading '/' is added. It must not contain CR, LF or NUL.
    std::string path;
    query_params query;        ///< appended as ?name=value&..., percent-encoded
    std::string body;          ///< sent when content_type is not empty
    std::string content_type;  ///< "application/json" for JSON bodies
    /// Headers of the caller's own, sent as given. A name that is not an HTTP token, a CR, LF or
    /// NUL anywhere, or a header the session sets itself (Authorization, Host, Content-Length,
    /// Transfer-Encoding, Connection, Keep-Alive, Upgrade, TE, Trailer) fails the call with
    /// error::invalid_argument before anything is sent.
    std::vector<std::pair<std::string, std::string>> headers{};
    std::optional<retry_policy> retry{};  ///< this call's retries; empty: session_params::retry
};

}  // namespace vovrest
