/// @file
/// vovrest::response — one HTTP answer from the Accelerator: status, headers, body, and the body
/// as JSON on demand. Thread-safety: a value type; distinct objects are independent.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vovrest {

/// One HTTP answer, whatever its status (the coroutine calls throw for statuses that are errors;
/// the non-throwing calls give the answer with the error code).
/// Thread-safety: a value type; distinct objects are independent, const members may be called
/// from any thread at once.
struct response
{
    unsigned status = 0;                                       ///< the HTTP status, e.g. 200
    std::vector<std::pair<std::string, std::string>> headers;  ///< (name, value) in the order received
    std::string body;                                          ///< the body as received (a chunked body joined)

    /// The first header of that name (case-insensitive), empty when absent. The view lives as
    /// long as the response is not changed.
    std::string_view header(std::string_view name) const noexcept;
    /// Parses the body as JSON.
    /// @throws error_with_diagnostics error::bad_response when the body is not JSON.
    boost::json::value json() const;
};

}  // namespace vovrest
