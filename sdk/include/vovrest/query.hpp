/// @file
/// vovrest::query — GET /api/v3/query built step by step:
///   query().select({"id", "status"}).from("jobs").where("status==VALID").order("id").limit(10)
/// then `co_await run(s, q)` for a table, or `co_await run_text(s, q)` for the body as sent (CSV);
/// async_run and async_run_text do the same with any completion token.
/// Thread-safety: query is a plain value; run and run_text are as thread-safe as the session.
#pragma once

#include <vovrest/detail/async_typed.hpp>
#include <vovrest/diagnostics.hpp>
#include <vovrest/request.hpp>
#include <vovrest/session.hpp>
#include <vovrest/table.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vovrest {

/// The shape of a query's answer (its `format` parameter).
enum class query_format
{
    json,         ///< a table object (what run() parses)
    csv,          ///< CSV with a header line
    csv_noheader  ///< CSV without the header line
};

/// The parameter's value: "json", "csv", "csv-noheader".
std::string_view to_string(query_format format) noexcept;

/// A query on GET /api/v3/query, built step by step; each setter returns the query, so that
/// calls chain. Nothing is checked or sent until run() or run_text().
/// Thread-safety: a plain value.
class query
{
public:
    /// Fields, sent comma-separated (none: the server's default, every field).
    query& select(std::vector<std::string> fields);
    /// The table queried; "jobs" when never set.
    query& from(std::string table_name);
    /// A VOV selection rule, e.g. "status==VALID"; none when never set.
    query& where(std::string rule);
    /// Sort order, e.g. "id" or "host DESC, id"; the server's when never set.
    query& order(std::string fields);
    /// At most this many rows; 0 (the default): no limit.
    query& limit(std::size_t rows);
    /// The shape of the answer; json when never set (used by run_text(); run() always asks json).
    query& format(query_format f);

    /// The fields given to select(), empty when none.
    const std::vector<std::string>& selected() const noexcept { return select_; }
    /// The table given to from(), "jobs" by default.
    const std::string& table_name() const noexcept { return from_; }
    /// The format given to format(), json by default.
    query_format result_format() const noexcept { return format_; }

    /// The parameters sent, in this order, each only when set: select, from, where, order,
    /// limit; then format, always. The session percent-encodes them (RFC 3986).
    query_params params() const;
    /// "/api/v3/query?select=id%2Cstatus&from=jobs&..." exactly as it goes on the wire.
    std::string target() const;

private:
    std::vector<std::string> select_;
    std::string from_ = "jobs";
    std::string where_;
    std::string order_;
    std::size_t limit_ = 0;
    query_format format_ = query_format::json;
};

/// Runs the query with format=json whatever q's format, and returns the table checked.
/// @throws error_with_diagnostics error::query_failed when the table's errormsg is not empty (a
///         wrong rule or field; the server's text in the diagnostics); error::bad_response when
///         the answer is not a table; any error of session::execute().
/// Cancellation: follows the awaiting coroutine's. The session must outlive the call.
boost::asio::awaitable<table> run(session& s, query q);

/// Runs the query in q's format and returns the body as the server sent it (CSV text for csv and
/// csv-noheader), unchecked.
/// @throws error_with_diagnostics any error of session::execute().
/// Cancellation: follows the awaiting coroutine's. The session must outlive the call.
boost::asio::awaitable<std::string> run_text(session& s, query q);

namespace detail {
// The one implementation of each: never throws (allocation failures aside), fills `diag`.
boost::asio::awaitable<std::pair<boost::system::error_code, table>> run_query(session& s, query q, diagnostics& diag);
boost::asio::awaitable<std::pair<boost::system::error_code, std::string>> run_query_text(session& s, query q,
                                                                                         diagnostics& diag);
}  // namespace detail

/// run() with any completion token (callbacks, use_future, deferred, use_awaitable, as_tuple),
/// completing with `void(boost::system::error_code, table)`. Non-throwing: the error_code and
/// `diag` say what failed (error::query_failed with the server's errormsg, the table then as
/// parsed; error::bad_response when the answer is not a table); `diag` must live until
/// completion, and the session too. Completion runs on the token's associated executor.
/// Cancellation: the request's (terminal, partial, total, through the token's slot), which ends
/// the call with asio::error::operation_aborted.
template <class CompletionToken>
auto async_run(session& s, query q, diagnostics& diag, CompletionToken&& token)
{
    return detail::async_typed<table>(s, std::forward<CompletionToken>(token), [&s, q = std::move(q), &diag]() mutable {
        return detail::run_query(s, std::move(q), diag);
    });
}

/// run_text() with any completion token, completing with
/// `void(boost::system::error_code, std::string)`: the body as the server sent it, unchecked;
/// otherwise as async_run().
template <class CompletionToken>
auto async_run_text(session& s, query q, diagnostics& diag, CompletionToken&& token)
{
    return detail::async_typed<std::string>(
        s, std::forward<CompletionToken>(token),
        [&s, q = std::move(q), &diag]() mutable { return detail::run_query_text(s, std::move(q), diag); });
}

}  // namespace vovrest
