// GET /api/v3/query: its parameters (select, from, where, order, limit, format), the VOV
// selection rule in `where`, and the evaluation of all that over rows held in memory.
// Private to vovrest::testing.
#pragma once

#include "table_writer.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace vovrest::testing::detail {

enum class query_format
{
    json,
    csv,
    csv_noheader
};

// The decoded parameters, as written by the caller (whitespace trimmed).
struct query_request
{
    std::string select = "*";  // "*" or "a,b,c"
    std::string from = "jobs";
    std::string where;  // a selection rule; empty: every row
    std::string order;  // "field [ASC|DESC][, ...]"
    std::string limit;  // digits; empty or 0: no limit
    query_format format = query_format::json;
};

// Parses the query string of a target (the part after '?', still encoded). Unknown parameters
// are ignored. The error (a broken escape, an unknown format) is a string.
std::variant<query_request, std::string> parse_query_string(std::string_view encoded);

// The server's echo: "SELECT idint,status FROM jobs WHERE status==VALID ORDERBY host DESC LIMIT 10".
std::string echo(const query_request& request);

// A compiled VOV selection rule: comparisons `field OP value` with OP one of == != < <= > >= ~
// (~: contains; a lone = means ==), joined by && (or by mere juxtaposition, as in VOV rules), ||
// (weaker than &&) and parentheses. Values are bare words or quoted with " or '. Field names are
// case-insensitive. An integer cell is compared numerically with a value that is an integer,
// otherwise as text.
class selection_rule
{
public:
    // Parentheses nested deeper than this are an error: the parser recurses once per level, and
    // a `where` of a few thousand '(' (well within the header limit) would overflow the stack.
    static constexpr std::size_t max_nesting = 64;

    // nullopt-like errors: a syntax error or an unknown field, as a message for errormsg.
    static std::variant<selection_rule, std::string> compile(std::string_view text,
                                                             std::span<const std::string_view> fields);
    bool matches(const std::vector<cell>& row) const;

    struct node;

private:
    std::shared_ptr<const node> root_;  // null: matches every row
};

// The index of `name` in fields, case-insensitively.
std::optional<std::size_t> find_field_index(std::span<const std::string_view> fields, std::string_view name);

// Runs the request over `rows` (each holding every field of `fields`, in that order) served as
// the table named `source`. Problems (unknown table or field, bad rule, bad limit) give a table
// with an errormsg and no rows, as the real server answers with status 200.
table run_query(const query_request& request, std::string_view source, std::span<const std::string_view> fields,
                std::vector<std::vector<cell>> rows);

}  // namespace vovrest::testing::detail
