#include <vovrest/detail/wire_format.hpp>
#include <vovrest/diagnostics.hpp>
#include <vovrest/error.hpp>
#include <vovrest/response.hpp>

#include <boost/json/parse.hpp>

namespace vovrest {

std::string_view response::header(std::string_view name) const noexcept
{
    return detail::find_header(headers, name);
}

boost::json::value response::json() const
{
    boost::system::error_code ec;
    auto value = boost::json::parse(body, ec);
    if (ec)
        throw error_with_diagnostics(error::bad_response,
                                     detail::client_failure("the body is not JSON: " + ec.message(), {}, {}, status));
    return value;
}

}  // namespace vovrest
