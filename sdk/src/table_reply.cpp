#include "table_reply.hpp"

#include <vovrest/diagnostics.hpp>

namespace vovrest::detail {

table table_from(const response& answer, std::string_view method, std::string_view path)
{
    boost::system::error_code ec;
    diagnostics diag;
    table t = table::parse(answer.body, ec, diag);
    if (ec)
    {
        diag.http_status = answer.status;
        diag.method = std::string(method);
        diag.path = std::string(path);
        throw error_with_diagnostics(ec, std::move(diag));
    }
    return t;
}

}  // namespace vovrest::detail
