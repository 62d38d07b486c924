#include "table_writer.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <gtest/gtest.h>

namespace {

using namespace vovrest::testing::detail;
namespace json = boost::json;

table sample()
{
    table t;
    t.query = "SELECT idint,status FROM jobs";
    t.columns = {"idint", "status"};
    t.rows = {{cell{std::int64_t{1000}}, cell{std::string("VALID")}},
              {cell{std::int64_t{-7}}, cell{std::string("a \"quoted\", \\ text\n")}}};
    return t;
}

TEST(TableWriter, JsonShapeExactBytes)
{
    EXPECT_EQ(to_json(sample()), R"({"startrow":1,"endrow":2,"query":"SELECT idint,status FROM jobs","errormsg":"",)"
                                 R"("columns":[{"col":0,"field":"idint"},{"col":1,"field":"status"}],)"
                                 R"("rows":[[1000,"VALID"],[-7,"a \"quoted\", \\ text\n"]]})");
}

TEST(TableWriter, JsonIsValidAndTyped)
{
    json::value v = json::parse(to_json(sample()));
    const auto& rows = v.at("rows").as_array();
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_TRUE(rows[0].as_array()[0].is_int64());
    EXPECT_TRUE(rows[0].as_array()[1].is_string());
    EXPECT_EQ(rows[1].as_array()[1].as_string(), "a \"quoted\", \\ text\n");
}

TEST(TableWriter, EmptyTableWithError)
{
    table t;
    t.query = "SELECT x FROM jobs";
    t.errormsg = "unknown field 'x'";
    EXPECT_EQ(to_json(t), R"({"startrow":1,"endrow":0,"query":"SELECT x FROM jobs",)"
                          R"("errormsg":"unknown field 'x'","columns":[],"rows":[]})");
}

TEST(TableWriter, CsvQuoting)
{
    EXPECT_EQ(to_csv(sample(), true), "idint,status\n1000,VALID\n-7,\"a \"\"quoted\"\", \\ text\n\"\n");
    EXPECT_EQ(to_csv(sample(), false), "1000,VALID\n-7,\"a \"\"quoted\"\", \\ text\n\"\n");
}

TEST(TableWriter, CsvHeaderOnlyWhenNoRows)
{
    table t;
    t.columns = {"a,b", "c"};
    EXPECT_EQ(to_csv(t, true), "\"a,b\",c\n");
    EXPECT_EQ(to_csv(t, false), "");
}

}  // namespace
