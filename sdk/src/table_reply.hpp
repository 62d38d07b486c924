// Private to the typed API: a response body read as a table, its failures carrying the method,
// path and status of the request that brought it (the session's own errors already do).
#pragma once

#include <vovrest/response.hpp>
#include <vovrest/table.hpp>

#include <string_view>

namespace vovrest::detail {

// Throws error_with_diagnostics: bad_response for a wrong shape, query_failed for an errormsg.
table table_from(const response& answer, std::string_view method, std::string_view path);

}  // namespace vovrest::detail
