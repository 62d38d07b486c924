#include "table_reply.hpp"

#include <vovrest/project.hpp>

namespace vovrest {
namespace {

// The named column of the first row; the first column when the server named it otherwise.
std::string first_cell(const table& t, std::string_view column)
{
    auto index = t.column_index(column);
    return t.at(0, index ? *index : 0).as_string();
}

boost::asio::awaitable<std::string> read_one(session& s, std::string path, std::string column)
{
    response answer = co_await s.get(path);
    co_return first_cell(detail::table_from(answer, "GET", path), column);
}

}  // namespace

boost::asio::awaitable<std::string> project_name(session& s)
{
    return read_one(s, "/api/v3/project/1/project", "PROJECT");
}

boost::asio::awaitable<std::string> server_version(session& s)
{
    return read_one(s, "/api/v3/project/1/version", "VERSION");
}

}  // namespace vovrest
