// vovrest::query — GET /api/v3/query built step by step:
//   query().select({"id", "status"}).from("jobs").where("status==VALID").order("id").limit(10)
// then `co_await run(s, q)` for a table, or `co_await run_text(s, q)` for the body as sent (CSV).
// Thread-safety: query is a plain value; run and run_text are as thread-safe as the session.
#pragma once

#include <vovrest/request.hpp>
#include <vovrest/session.hpp>
#include <vovrest/table.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vovrest {

enum class query_format { json, csv, csv_noheader };

std::string_view to_string(query_format format) noexcept;  // "json", "csv", "csv-noheader"

class query
{
public:
    // Fields, sent comma-separated (none: the server's default, every field).
    query& select(std::vector<std::string> fields);
    query& from(std::string table_name);    // "jobs" when never set
    query& where(std::string rule);          // a VOV selection rule, e.g. "status==VALID"
    query& order(std::string fields);        // "id", "host DESC, id"
    query& limit(std::size_t rows);          // 0: no limit
    query& format(query_format f);           // json when never set

    const std::vector<std::string>& selected() const noexcept { return select_; }
    const std::string& table_name() const noexcept { return from_; }
    query_format result_format() const noexcept { return format_; }

    // The parameters sent, in this order and only when set: select, from, where, order, limit,
    // format. The session percent-encodes them (RFC 3986).
    query_params params() const;
    // "/api/v3/query?select=id%2Cstatus&from=jobs&..." exactly as it goes on the wire.
    std::string target() const;

private:
    std::vector<std::string> select_;
    std::string from_ = "jobs";
    std::string where_;
    std::string order_;
    std::size_t limit_ = 0;
    query_format format_ = query_format::json;
};

// Runs the query with format=json whatever q's format, and returns the table checked: an
// errormsg is error::query_failed. Throws error_with_diagnostics.
boost::asio::awaitable<table> run(session& s, query q);

// Runs the query in q's format and returns the body as the server sent it (CSV text for csv and
// csv-noheader). Throws error_with_diagnostics.
boost::asio::awaitable<std::string> run_text(session& s, query q);

}  // namespace vovrest
