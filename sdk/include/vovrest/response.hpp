// vovrest::response — one HTTP answer from the Accelerator: status, headers, body, and the body
// as JSON on demand. Thread-safety: a value type; distinct objects are independent.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vovrest {

struct response
{
    unsigned status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    // The first header of that name (case-insensitive), empty when absent.
    std::string_view header(std::string_view name) const noexcept;
    // Parses the body; throws error_with_diagnostics(error::bad_response) when it is not JSON.
    boost::json::value json() const;
};

}  // namespace vovrest
