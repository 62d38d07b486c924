// The table parser: every shape the reference describes, errormsg, case-insensitive columns,
// and the wrong shapes it must refuse as bad_response.
#include <vovrest/error.hpp>
#include <vovrest/table.hpp>

#include <boost/json/storage_ptr.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace vovrest::test {
namespace {

constexpr std::string_view documented = R"({"startrow":1,"endrow":2,
    "query":"SELECT idint,status FROM jobs WHERE status==VALID ORDERBY host DESC LIMIT 10",
    "errormsg":"","columns":[{"col":0,"field":"idint"},{"col":1,"field":"status"},{"col":2,"field":"id"}],
    "rows":[[1138,"VALID","000001138"],[1139,"FAILED","000001139"]]})";

boost::system::error_code parse_error(std::string_view body)
{
    boost::system::error_code ec;
    diagnostics diag;
    table::parse(body, ec, diag);
    return ec;
}

TEST(table, parses_the_documented_shape)
{
    table t = table::parse(documented);
    EXPECT_EQ(t.startrow(), 1);
    EXPECT_EQ(t.endrow(), 2);
    EXPECT_EQ(t.query(), "SELECT idint,status FROM jobs WHERE status==VALID ORDERBY host DESC LIMIT 10");
    EXPECT_TRUE(t.errormsg().empty());
    ASSERT_EQ(t.columns().size(), 3u);
    ASSERT_EQ(t.size(), 2u);
    EXPECT_EQ(t.at(0, "idint").as_int(), 1138);
    EXPECT_EQ(t.at(1, "status").as_string(), "FAILED");
    EXPECT_EQ(t.at(1, "id").as_string(), "000001139");
    EXPECT_EQ(t.at(1, "id").as_int(), 1139);  // zero-padded text read as an integer
    EXPECT_EQ(t.at(0, "idint").as_string(), "1138");
    EXPECT_NO_THROW(t.check());
}

TEST(table, column_names_are_case_insensitive)
{
    table t = table::parse(R"({"columns":[{"col":0,"field":"PROJECT"}],"rows":[["vovrest"]]})");
    EXPECT_EQ(t.column_index("project"), 0u);
    EXPECT_EQ(t.column_index("Project"), 0u);
    EXPECT_FALSE(t.column_index("projects"));
    EXPECT_EQ(t.at(0, "project").as_string(), "vovrest");
}

TEST(table, col_decides_the_position_in_the_row)
{
    table t = table::parse(R"({"columns":[{"col":1,"field":"status"},{"col":0,"field":"idint"}],
                               "rows":[[7,"RUNNING"]]})");
    EXPECT_EQ(t.columns()[0], "idint");
    EXPECT_EQ(t.at(0, "status").as_string(), "RUNNING");
    EXPECT_EQ(t.at(0, "IDINT").as_int(), 7);
}

TEST(table, tolerates_missing_optional_members_and_plain_column_names)
{
    table t = table::parse(R"({"columns":["a","b"],"rows":[[1,null]]})");
    EXPECT_EQ(t.startrow(), 0);
    EXPECT_TRUE(t.query().empty());
    EXPECT_TRUE(t.at(0, "b").is_null());
    EXPECT_EQ(t.at(0, "b").as_string(), "");
    EXPECT_FALSE(t.at(0, "b").try_int());
}

TEST(table, empty_table_has_no_rows)
{
    table t = table::parse(
        R"({"startrow":1,"endrow":0,"query":"","errormsg":"","columns":[{"col":0,"field":"id"}],"rows":[]})");
    EXPECT_TRUE(t.empty());
    EXPECT_EQ(parse_error(R"({"columns":[],"rows":[]})"), boost::system::error_code{});
}

TEST(table, errormsg_is_query_failed_with_the_servers_text)
{
    constexpr std::string_view body =
        R"({"startrow":1,"endrow":0,"query":"SELECT nosuch FROM jobs","errormsg":"unknown field 'nosuch'","columns":[],"rows":[]})";
    try
    {
        table::parse(body);
        FAIL() << "no exception";
    }
    catch (const error_with_diagnostics& e)
    {
        EXPECT_EQ(e.code(), error::query_failed);
        EXPECT_EQ(e.get_diagnostics().server_message, "unknown field 'nosuch'");
    }
    // The non-throwing form keeps what was parsed.
    boost::system::error_code ec;
    diagnostics diag;
    table t = table::parse(body, ec, diag);
    EXPECT_EQ(ec, error::query_failed);
    EXPECT_EQ(t.errormsg(), "unknown field 'nosuch'");
    EXPECT_EQ(t.query(), "SELECT nosuch FROM jobs");
    EXPECT_THROW(t.check(), error_with_diagnostics);
    // An error table may leave out columns and rows.
    EXPECT_EQ(parse_error(R"({"errormsg":"bad rule"})"), error::query_failed);
}

TEST(table, wrong_shapes_are_bad_response)
{
    for (std::string_view body : {
             "",
             "not json",
             "[]",
             "42",
             R"({"error":"no such job"})",
             R"({"columns":[{"col":0,"field":"id"}]})",
             R"({"rows":[]})",
             R"({"columns":{},"rows":[]})",
             R"({"columns":[{"col":0,"field":"id"}],"rows":[[1,2]]})",
             R"({"columns":[{"col":0,"field":"id"}],"rows":[[]]})",
             R"({"columns":[{"col":0,"field":"id"}],"rows":[1]})",
             R"({"columns":[{"col":1,"field":"id"}],"rows":[[1]]})",
             R"({"columns":[{"col":-1,"field":"id"}],"rows":[[1]]})",
             R"({"columns":[{"col":0,"field":"a"},{"col":0,"field":"b"}],"rows":[]})",
             R"({"columns":[{"col":0}],"rows":[]})",
             R"({"columns":[7],"rows":[]})",
             R"({"columns":[],"rows":[],"startrow":"one"})",
             R"({"columns":[],"rows":[],"errormsg":5})",
         })
        EXPECT_EQ(parse_error(body), error::bad_response) << body;
    EXPECT_THROW(table::parse("{"), error_with_diagnostics);
}

TEST(table, asking_for_what_is_not_there_is_bad_response)
{
    table t = table::parse(documented);
    for (auto ask :
         {+[](const table& x) { x.at(0, "nosuch"); }, +[](const table& x) { x.at(2, "id"); },
          +[](const table& x) { x.at(0, std::size_t{3}); }, +[](const table& x) { x.at(0, "status").as_int(); }})
    {
        try
        {
            ask(t);
            ADD_FAILURE() << "no exception";
        }
        catch (const error_with_diagnostics& e)
        {
            EXPECT_EQ(e.code(), error::bad_response);
        }
    }
}

TEST(table, integers_from_text_are_digits_only)
{
    table t = table::parse(R"({"columns":["a","b","c","d","e"],"rows":[["-5"," 1","12x","",18446744073709551615]]})");
    for (std::size_t c = 0; c < 5; ++c)
        EXPECT_FALSE(t.at(0, c).try_int()) << c;
}

// The parse reads the document in a scratch arena: every cell must own its storage, whatever its
// kind and however large the reply (larger than any stack buffer here).
TEST(table, cells_outlive_the_parse)
{
    constexpr std::string_view extra =
        R"({"hosts":["nc-host-1","nc-host-2"],"note":"a note longer than a small string"})";
    auto command = [](std::size_t i) { return "vw make -C /proj/chip/blocks/alu_" + std::to_string(i) + " synth"; };
    std::string body = R"({"columns":["id","command","extra"],"rows":[)";
    constexpr std::size_t rows = 300;
    for (std::size_t i = 0; i < rows; ++i)
        body += (i == 0 ? "[" : ",[") + std::to_string(i) + ",\"" + command(i) + "\"," + std::string(extra) + "]";
    body += "]}";
    const table t = table::parse(body);
    const table copy = t;
    table::parse(body);  // reuses the stack where the first parse kept its document
    ASSERT_EQ(t.size(), rows);
    const boost::json::storage_ptr default_storage;
    for (const auto* x : {&t, &copy})
        for (std::size_t r = 0; r < rows; ++r)
        {
            EXPECT_EQ(x->at(r, "id").as_int(), static_cast<std::int64_t>(r));
            EXPECT_EQ(x->at(r, "command").as_string(), command(r));
            EXPECT_EQ(x->at(r, "extra").as_string(), extra);
            for (const auto& cell : x->rows()[r])
                EXPECT_EQ(cell.storage().get(), default_storage.get());
        }
}

TEST(table, wide_tables_place_and_check_every_column)
{
    constexpr std::size_t width = 70;  // beyond 64
    auto body_of = [](std::size_t last_col) {
        std::string columns;
        std::string row;
        for (std::size_t i = 0; i < width; ++i)
        {
            // Column i goes to position width - 1 - i; the last one names `last_col` instead.
            const std::size_t col = i + 1 == width ? last_col : width - 1 - i;
            columns += (i == 0 ? "" : ",") + std::string(R"({"col":)") + std::to_string(col) + R"(,"field":"f)"
                       + std::to_string(i) + R"("})";
            row += (i == 0 ? "" : ",") + std::to_string(i);
        }
        return R"({"columns":[)" + columns + R"(],"rows":[[)" + row + "]]}";
    };
    table t = table::parse(body_of(0));
    ASSERT_EQ(t.columns().size(), width);
    EXPECT_EQ(t.columns()[0], "f69");
    EXPECT_EQ(t.columns()[69], "f0");
    EXPECT_EQ(t.at(0, "f3").as_int(), 66);
    EXPECT_EQ(parse_error(body_of(0)), boost::system::error_code{});
    EXPECT_EQ(parse_error(body_of(68)), error::bad_response);  // f1 holds 68 already
    EXPECT_EQ(parse_error(body_of(70)), error::bad_response);
}

}  // namespace
}  // namespace vovrest::test
