#include "table_reply.hpp"
#include "throwing_call.hpp"

#include <vovrest/detail/wire_format.hpp>
#include <vovrest/query.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <string>
#include <string_view>

namespace vovrest {
namespace {

constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
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

namespace detail {

boost::asio::awaitable<std::pair<boost::system::error_code, table>> run_query(session& s, query q, diagnostics& diag)
{
    std::pair<boost::system::error_code, table> outcome;
    query_params params = params_with_format(q, query_format::json);
    auto [failure, answer] = co_await s.async_get(std::string(query_path), std::move(params), diag, use_tuple);
    if (failure)
    {
        outcome.first = failure;
        co_return outcome;
    }
    outcome.second = table_from(answer, "GET", query_path, outcome.first, diag);
    co_return outcome;
}

boost::asio::awaitable<std::pair<boost::system::error_code, std::string>> run_query_text(session& s, query q,
                                                                                         diagnostics& diag)
{
    std::pair<boost::system::error_code, std::string> outcome;
    auto [failure, answer] = co_await s.async_get(std::string(query_path), q.params(), diag, use_tuple);
    outcome.first = failure;
    if (!failure)
        outcome.second = std::move(answer.body);
    co_return outcome;
}

}  // namespace detail

boost::asio::awaitable<table> run(session& s, query q)
{
    return detail::call_or_throw<table>(
        [&s, q = std::move(q)](diagnostics& diag) mutable { return async_run(s, std::move(q), diag, use_tuple); });
}

boost::asio::awaitable<std::string> run_text(session& s, query q)
{
    return detail::call_or_throw<std::string>(
        [&s, q = std::move(q)](diagnostics& diag) mutable { return async_run_text(s, std::move(q), diag, use_tuple); });
}

}  // namespace vovrest
