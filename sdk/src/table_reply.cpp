#include "table_reply.hpp"

#include <vovrest/detail/wire_format.hpp>
#include <vovrest/error.hpp>

namespace vovrest::detail {

table table_from(const response& answer, std::string_view method, std::string_view path, boost::system::error_code& ec,
                 diagnostics& diag)
{
    table t = table::parse(answer.body, ec, diag);
    if (ec)
    {
        diag.http_status = answer.status;
        diag.method = std::string(method);
        diag.path = std::string(path);
    }
    return t;
}

std::string first_cell(const table& t, std::string_view column, const response& answer, std::string_view method,
                       std::string_view path, boost::system::error_code& ec, diagnostics& diag)
{
    if (t.empty() || t.columns().empty())
    {
        ec = error::bad_response;
        diag = client_failure(t.empty() ? "the answer has no row" : "the answer has no column", std::string(method),
                              std::string(path), answer.status);
        return {};
    }
    auto index = t.column_index(column);
    return t.at(0, index ? *index : 0).as_string();
}

}  // namespace vovrest::detail
