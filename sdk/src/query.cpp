#include "table_reply.hpp"

#include <vovrest/detail/wire_format.hpp>
#include <vovrest/query.hpp>

#include <string>
#include <string_view>

namespace vovrest {
namespace {

constexpr std::string_view query_path = "/api/v3/query";

query_params params_with_format(const query& q, query_format f)
{
    query_params params = q.params();
    for (auto& [name, value] : params)
        if (name == "format")
            value = std::string(to_string(f));
    return params;
}

}  // namespace

std::string_view to_string(query_format format) noexcept
{
    switch (format)
    {
    case query_format::json: return "json";
    case query_format::csv: return "csv";
    case query_format::csv_noheader: return "csv-noheader";
    }
    return "json";
}

query& query::select(std::vector<std::string> fields)
{
    select_ = std::move(fields);
    return *this;
}

query& query::from(std::string table_name)
{
    from_ = std::move(table_name);
    return *this;
}

query& query::where(std::string rule)
{
    where_ = std::move(rule);
    return *this;
}

query& query::order(std::string fields)
{
    order_ = std::move(fields);
    return *this;
}

query& query::limit(std::size_t rows)
{
    limit_ = rows;
    return *this;
}

query& query::format(query_format f)
{
    format_ = f;
    return *this;
}

query_params query::params() const
{
    query_params params;
    params.reserve(6);  // every parameter there is
    if (!select_.empty())
    {
        std::string joined;
        std::size_t size = select_.size();
        for (const auto& field : select_)
            size += field.size();
        joined.reserve(size);
        for (const auto& field : select_)
        {
            if (!joined.empty())
                joined += ',';
            joined += field;
        }
        params.emplace_back("select", std::move(joined));
    }
    if (!from_.empty())
        params.emplace_back("from", from_);
    if (!where_.empty())
        params.emplace_back("where", where_);
    if (!order_.empty())
        params.emplace_back("order", order_);
    if (limit_ != 0)
        params.emplace_back("limit", std::to_string(limit_));
    // Always sent, so that the server's default never decides the shape of the answer.
    params.emplace_back("format", std::string(to_string(format_)));
    return params;
}

std::string query::target() const
{
    // The session's own encoder: this is what goes on the wire.
    std::string out(query_path);
    detail::append_query(out, params());
    return out;
}

boost::asio::awaitable<table> run(session& s, query q)
{
    query_params params = params_with_format(q, query_format::json);
    response answer = co_await s.get(std::string(query_path), params);
    co_return detail::table_from(answer, "GET", query_path);
}

boost::asio::awaitable<std::string> run_text(session& s, query q)
{
    response answer = co_await s.get(std::string(query_path), q.params());
    co_return std::move(answer.body);
}

}  // namespace vovrest
