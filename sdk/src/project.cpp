#include "table_reply.hpp"
#include "throwing_call.hpp"

#include <vovrest/project.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vovrest {
namespace {

constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace

namespace detail {

// The named column of the first row; the first column when the server named it otherwise.
boost::asio::awaitable<std::pair<boost::system::error_code, std::string>>
read_project_cell(session& s, std::string_view path, std::string_view column, diagnostics& diag)
{
    std::pair<boost::system::error_code, std::string> outcome;
    auto [failure, answer] = co_await s.async_get(std::string(path), {}, diag, use_tuple);
    if (failure)
    {
        outcome.first = failure;
        co_return outcome;
    }
    table t = table_from(answer, "GET", path, outcome.first, diag);
    if (!outcome.first)
        outcome.second = first_cell(t, column, answer, "GET", path, outcome.first, diag);
    co_return outcome;
}

}  // namespace detail

boost::asio::awaitable<std::string> project_name(session& s)
{
    return detail::call_or_throw<std::string>(
        [&s](diagnostics& diag) { return async_project_name(s, diag, use_tuple); });
}

boost::asio::awaitable<std::string> server_version(session& s)
{
    return detail::call_or_throw<std::string>(
        [&s](diagnostics& diag) { return async_server_version(s, diag, use_tuple); });
}

}  // namespace vovrest
