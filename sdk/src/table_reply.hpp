// Private to the typed API: a response body read as a table, its failures carrying the method,
// path and status of the request that brought it (the session's own errors already do). Nothing
// here throws (allocation failures aside): the typed calls' cores report errors as values.
#pragma once

#include <vovrest/diagnostics.hpp>
#include <vovrest/response.hpp>
#include <vovrest/table.hpp>

#include <boost/system/error_code.hpp>

#include <string>
#include <string_view>

namespace vovrest::detail {

// The body as a table. On failure `ec` is bad_response for a wrong shape, query_failed for an
// errormsg (the table is then returned as parsed), and `diag` says so.
table table_from(const response& answer, std::string_view method, std::string_view path, boost::system::error_code& ec,
                 diagnostics& diag);

// The text of the first row's cell in `column`, or in the first column when the server named it
// otherwise. A table with no row or no column is error::bad_response.
std::string first_cell(const table& t, std::string_view column, const response& answer, std::string_view method,
                       std::string_view path, boost::system::error_code& ec, diagnostics& diag);

}  // namespace vovrest::detail
