// The compact table and the streaming reader: every kind of cell reads back as the JSON it was
// (checked against a boost::json DOM of the same body), members in any order, members twice,
// unknown members skipped, and parse_table_rows handing over rows in order without a table.
#include <vovrest/error.hpp>
#include <vovrest/table.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace vovrest::test {
namespace {

namespace json = boost::json;

// What a cell of the old DOM-based table answered, computed from the DOM value itself.
std::string text_of(const json::value& v)
{
    if (v.is_string())
        return std::string(v.get_string());
    if (v.is_null())
        return {};
    return json::serialize(v);
}

std::optional<std::int64_t> int_of(const json::value& v)
{
    if (v.is_int64())
        return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(v.get_uint64());
    if (!v.is_string())
        return std::nullopt;
    std::string_view s = v.get_string();
    std::int64_t n = 0;
    auto [end, err] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || s.front() == '-' || err != std::errc{} || end != s.data() + s.size())
        return std::nullopt;
    return n;
}

// Every kind of cell the parser must keep: integers at each encoding's edges, doubles, strings
// with escapes (long enough to be handed over in parts), nested values, null and booleans.
std::string every_kind_of_cell()
{
    std::string long_escaped;
    for (int i = 0; i < 3000; ++i)
        long_escaped += "a\\\"b\\\\c\\u001b\\u00e9";
    return R"({"startrow":1,"endrow":4,"query":"q \"quoted\"","errormsg":"","columns":["a","b","c","d","e","f"],"rows":[)"
           R"([0,239,240,-1,9223372036854775807,-9223372036854775808],)"
           R"([18446744073709551615,9223372036854775808,1.5,-0.0,1e300,2.5e-7],)"
           R"(["","x","000001138","\u001b[31mred\t",null,true],)"
           R"([false,[1,[2,{"k":"v"}]],{"rows":[[1]],"columns":7},{},[],")"
           + long_escaped + R"("]]})";
}

TEST(table_rows, every_cell_reads_back_as_the_json_it_was)
{
    const std::string body = every_kind_of_cell();
    const json::value dom = json::parse(body);
    const table t = table::parse(body);
    const json::array& rows = dom.at("rows").as_array();
    ASSERT_EQ(t.size(), rows.size());
    EXPECT_EQ(t.query(), "q \"quoted\"");
    for (std::size_t r = 0; r < rows.size(); ++r)
    {
        const json::array& row = rows[r].as_array();
        for (std::size_t c = 0; c < row.size(); ++c)
        {
            const json::value& want = row[c];
            const table_cell cell = t.at(r, c);
            SCOPED_TRACE("row " + std::to_string(r) + " column " + std::to_string(c) + ": " + json::serialize(want));
            EXPECT_EQ(cell.json(), want);
            EXPECT_EQ(cell.as_string(), text_of(want));
            EXPECT_EQ(cell.is_null(), want.is_null());
            EXPECT_EQ(cell.is_string(), want.is_string());
            EXPECT_EQ(cell.is_int(), want.is_int64() || want.is_uint64());
            EXPECT_EQ(cell.try_int(), int_of(want));
            // The same through the other two ways to a cell.
            EXPECT_EQ(t.row(r)[c].json(), want);
            EXPECT_EQ(t.rows()[r][c], want);
            const table_cell of_value(want);
            EXPECT_EQ(of_value.as_string(), cell.as_string());
        }
    }
}

TEST(table_rows, rows_may_come_before_the_columns)
{
    const table t = table::parse(R"({"rows":[[1,"x"],[2,"y"]],"errormsg":"","columns":[{"col":1,"field":"s"},)"
                                 R"({"col":0,"field":"n"}],"startrow":1})");
    ASSERT_EQ(t.size(), 2u);
    EXPECT_EQ(t.columns(), (std::vector<std::string>{"n", "s"}));
    EXPECT_EQ(t.at(1, "s").as_string(), "y");
    EXPECT_EQ(t.at(1, "n").as_int(), 2);
    EXPECT_EQ(t.startrow(), 1);
}

TEST(table_rows, wrong_shapes_are_bad_response_in_any_order)
{
    for (std::string_view body : {
             R"({"rows":[[1,2],[3]],"columns":["a","b"]})",
             R"({"rows":[[1],[2]],"columns":["a","b"]})",
             R"({"rows":[[1]],"columns":["a"],"rows":[[2]]})",
             R"({"columns":["a"],"rows":[[1]],"columns":["a"]})",
             R"({"columns":["a"],"rows":{}})",
             R"({"columns":["a"],"rows":[[1]]} x)",
             R"({"columns":["a"],"rows":[[1]])",
             R"({"columns":["a"],"rows":[[1],2]})",
             R"({"rows":null,"errormsg":"x","columns":[]})",
         })
    {
        boost::system::error_code ec;
        diagnostics diag;
        table::parse(body, ec, diag);
        EXPECT_EQ(ec, error::bad_response) << body;
        EXPECT_NE(diag.client_message.find("not an Accelerator table: "), std::string::npos) << body;
        EXPECT_TRUE(diag.server_message.empty()) << body;
    }
}

TEST(table_rows, unknown_members_are_skipped_whatever_they_hold)
{
    const table t = table::parse(R"({"meta":{"rows":[[9,9]],"columns":5,"x":[[[]]]},"columns":["a"],)"
                                 R"("extra":[1,{"rows":2}],"rows":[[2]],"tail":"rows"})");
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t.at(0, "a").as_int(), 2);
}

TEST(table_rows, an_error_table_keeps_its_text_and_no_rows)
{
    boost::system::error_code ec;
    diagnostics diag;
    const table t = table::parse(R"({"rows":[[1]],"errormsg":"bad rule"})", ec, diag);
    EXPECT_EQ(ec, error::query_failed);
    EXPECT_EQ(diag.server_message, "bad rule");
    EXPECT_TRUE(t.empty());
    EXPECT_TRUE(t.columns().empty());
}

TEST(table_rows, a_row_is_a_view_that_walks_its_cells)
{
    const table t = table::parse(R"({"columns":["a","b","c"],"rows":[[1,"two",[3]],[4,null,5.5]]})");
    std::vector<std::string> seen;
    for (const table_cell cell : t.row(1))
        seen.push_back(cell.as_string());
    EXPECT_EQ(seen, (std::vector<std::string>{"4", "", "5.5E0"}));
    EXPECT_EQ(t.row(0).size(), 3u);
    EXPECT_EQ(t.row(0)[2].as_string(), "[3]");
    EXPECT_THROW((void)t.row(0)[3], error_with_diagnostics);
    EXPECT_THROW((void)t.row(2), error_with_diagnostics);
    std::size_t rows = 0;
    for (const auto& row : t.rows())
        rows += row.size() == 3 ? 1 : 0;
    EXPECT_EQ(rows, 2u);
}

TEST(table_rows, copies_share_the_rows_and_outlive_the_original)
{
    std::optional<table> original = table::parse(R"({"columns":["a"],"rows":[["a string longer than sixteen"]]})");
    const table copy = *original;
    original.reset();
    EXPECT_EQ(copy.at(0, "a").as_string(), "a string longer than sixteen");
}

// ---- parse_table_rows ----

struct recorder
{
    std::vector<std::string> columns;
    std::vector<std::vector<std::string>> rows;
    int column_calls = 0;

    table_visitor visitor()
    {
        table_visitor v;
        v.on_columns = [this](const std::vector<std::string>& names) {
            ++column_calls;
            EXPECT_TRUE(rows.empty()) << "the columns come before any row";
            columns = names;
        };
        v.on_row = [this](const table_row& row) {
            auto& cells = rows.emplace_back();
            for (const table_cell cell : row)
                cells.push_back(cell.as_string());
        };
        return v;
    }
};

TEST(parse_table_rows, hands_over_each_row_in_order)
{
    recorder seen;
    const table_summary summary = parse_table_rows(
        R"({"startrow":3,"endrow":5,"query":"SELECT","errormsg":"","columns":[{"col":1,"field":"s"},{"col":0,"field":"n"}],)"
        R"("rows":[[1,"x"],[2,"y"],[3,"z"]]})",
        seen.visitor());
    EXPECT_EQ(seen.column_calls, 1);
    EXPECT_EQ(seen.columns, (std::vector<std::string>{"n", "s"}));
    EXPECT_EQ(seen.rows, (std::vector<std::vector<std::string>>{{"1", "x"}, {"2", "y"}, {"3", "z"}}));
    EXPECT_EQ(summary.rows, 3u);
    EXPECT_EQ(summary.startrow, 3);
    EXPECT_EQ(summary.endrow, 5);
    EXPECT_EQ(summary.query, "SELECT");
    EXPECT_EQ(summary.columns, seen.columns);
}

TEST(parse_table_rows, rows_before_the_columns_are_handed_over_once_the_columns_are_known)
{
    recorder seen;
    parse_table_rows(R"({"rows":[[1,"x"],[2,"y"]],"columns":["n","s"]})", seen.visitor());
    EXPECT_EQ(seen.column_calls, 1);
    EXPECT_EQ(seen.rows, (std::vector<std::vector<std::string>>{{"1", "x"}, {"2", "y"}}));
}

TEST(parse_table_rows, an_empty_table_still_tells_its_columns)
{
    recorder seen;
    const table_summary summary = parse_table_rows(R"({"columns":["a","b"],"rows":[]})", seen.visitor());
    EXPECT_EQ(seen.column_calls, 1);
    EXPECT_EQ(seen.columns.size(), 2u);
    EXPECT_EQ(summary.rows, 0u);
}

TEST(parse_table_rows, errors_come_after_what_was_handed_over)
{
    recorder seen;
    boost::system::error_code ec;
    diagnostics diag;
    parse_table_rows(R"({"columns":["a"],"rows":[[1],[2],[3,4],[5]]})", seen.visitor(), ec, diag);
    EXPECT_EQ(ec, error::bad_response);
    EXPECT_EQ(seen.rows.size(), 2u);  // stopped at the wrong row
    EXPECT_NE(diag.client_message.find("a row has more cells than there are columns"), std::string::npos)
        << diag.client_message;

    recorder failed;
    parse_table_rows(R"({"columns":["a"],"rows":[[1]],"errormsg":"too late"})", failed.visitor(), ec, diag);
    EXPECT_EQ(ec, error::query_failed);
    EXPECT_EQ(diag.server_message, "too late");
    EXPECT_EQ(failed.rows.size(), 1u);
    EXPECT_THROW(parse_table_rows(R"({"columns":["a"]})", recorder{}.visitor()), error_with_diagnostics);
}

TEST(parse_table_rows, an_exception_from_a_callback_stops_the_parse_and_comes_out)
{
    int rows = 0;
    table_visitor visitor;
    visitor.on_row = [&rows](const table_row&) {
        if (++rows == 2)
            throw std::runtime_error("enough");
    };
    EXPECT_THROW(parse_table_rows(R"({"columns":["a"],"rows":[[1],[2],[3]]})", visitor), std::runtime_error);
    EXPECT_EQ(rows, 2);
    rows = 0;
    EXPECT_THROW(parse_table_rows(R"({"rows":[[1],[2],[3]],"columns":["a"]})", visitor), std::runtime_error);
    EXPECT_EQ(rows, 2);
}

TEST(parse_table_rows, needs_no_callback)
{
    boost::system::error_code ec;
    diagnostics diag;
    const table_summary summary = parse_table_rows(every_kind_of_cell(), table_visitor{}, ec, diag);
    EXPECT_FALSE(ec) << diag.client_message;
    EXPECT_EQ(summary.rows, 4u);
}

}  // namespace
}  // namespace vovrest::test
