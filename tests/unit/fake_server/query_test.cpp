#include "query.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <string_view>

namespace {

using namespace vovrest::testing::detail;

constexpr std::array<std::string_view, 4> fields{"idint", "status", "user", "host"};

std::vector<std::vector<cell>> sample_rows()
{
    auto row = [](std::int64_t id, const char* status, const char* user, const char* host) {
        return std::vector<cell>{cell{id}, cell{std::string(status)}, cell{std::string(user)}, cell{std::string(host)}};
    };
    return {
        row(1000, "VALID", "alice", "h2"),
        row(1001, "FAILED", "bob", "h1"),
        row(1002, "VALID", "a b", "h3"),
        row(1003, "RUNNING", "alice", "h1"),
    };
}

query_request parse(std::string_view encoded)
{
    auto r = parse_query_string(encoded);
    if (auto* e = std::get_if<std::string>(&r))
        ADD_FAILURE() << *e;
    return std::get<query_request>(r);
}

std::vector<std::int64_t> ids(const table& t)
{
    std::vector<std::int64_t> out;
    for (const auto& row : t.rows)
        out.push_back(std::get<std::int64_t>(row.at(0)));
    return out;
}

table run(std::string_view encoded)
{
    return run_query(parse(encoded), "jobs", fields, sample_rows());
}

using ids_t = std::vector<std::int64_t>;

TEST(QueryParams, DefaultsAndDecoding)
{
    auto q = parse("");
    EXPECT_EQ(q.select, "*");
    EXPECT_EQ(q.from, "jobs");
    EXPECT_EQ(q.format, query_format::json);
    q = parse("select=idint%2Cstatus&from=jobs&where=status%3D%3DVALID&order=host+DESC&limit=10&format=csv&x=y");
    EXPECT_EQ(q.select, "idint,status");
    EXPECT_EQ(q.where, "status==VALID");
    EXPECT_EQ(q.order, "host DESC");
    EXPECT_EQ(q.limit, "10");
    EXPECT_EQ(q.format, query_format::csv);
    EXPECT_EQ(echo(q), "SELECT idint,status FROM jobs WHERE status==VALID ORDERBY host DESC LIMIT 10");
    EXPECT_EQ(parse("format=CSV-NOHEADER").format, query_format::csv_noheader);
}

TEST(QueryParams, Errors)
{
    EXPECT_TRUE(std::holds_alternative<std::string>(parse_query_string("format=xml")));
    EXPECT_TRUE(std::holds_alternative<std::string>(parse_query_string("where=%zz")));
}

TEST(Query, Equality)
{
    EXPECT_EQ(ids(run("select=idint&where=status==VALID")), (ids_t{1000, 1002}));
    EXPECT_EQ(ids(run("select=idint&where=status!=VALID")), (ids_t{1001, 1003}));
    EXPECT_EQ(ids(run("select=idint&where=idint==1001")), (ids_t{1001}));
    EXPECT_EQ(ids(run("select=idint&where=idint=1001")), (ids_t{1001}));
    EXPECT_EQ(ids(run("select=idint&where=idint>=1002")), (ids_t{1002, 1003}));
    EXPECT_EQ(ids(run("select=idint&where=idint<1001")), (ids_t{1000}));
}

TEST(Query, AndOrAndParentheses)
{
    EXPECT_EQ(ids(run("select=idint&where=status%3D%3DVALID%26%26user%3D%3Dalice")), (ids_t{1000}));
    EXPECT_EQ(ids(run("select=idint&where=status==VALID user==alice")), (ids_t{1000}));  // VOV juxtaposition
    EXPECT_EQ(ids(run("select=idint&where=status==FAILED||status==RUNNING")), (ids_t{1001, 1003}));
    EXPECT_EQ(ids(run("select=idint&where=user==alice %26%26 (status==VALID || host==h1)")), (ids_t{1000, 1003}));
    // && binds tighter than ||.
    EXPECT_EQ(ids(run("select=idint&where=user==bob || user==alice %26%26 status==VALID")), (ids_t{1000, 1001}));
}

TEST(Query, QuotedValues)
{
    EXPECT_EQ(ids(run("select=idint&where=user==%22a+b%22")), (ids_t{1002}));
    EXPECT_EQ(ids(run("select=idint&where=user=='a b'")), (ids_t{1002}));
    EXPECT_EQ(ids(run("select=idint&where=status == \"VALID\"")), (ids_t{1000, 1002}));
}

TEST(Query, FieldNamesAreCaseInsensitive)
{
    table t = run("select=IDINT,Status&where=STATUS==VALID&order=IdInt+desc");
    EXPECT_EQ(t.errormsg, "");
    EXPECT_EQ(t.columns, (std::vector<std::string>{"idint", "status"}));
    EXPECT_EQ(ids(t), (ids_t{1002, 1000}));
}

TEST(Query, UnknownFieldGivesErrormsgAndNoRows)
{
    for (const char* q :
         {"select=nosuch", "select=idint&where=nosuch==1", "select=idint&order=nosuch", "select=idint,nosuch"})
    {
        table t = run(q);
        EXPECT_NE(t.errormsg.find("nosuch"), std::string::npos) << q;
        EXPECT_TRUE(t.rows.empty()) << q;
        EXPECT_TRUE(t.columns.empty()) << q;
    }
}

TEST(Query, SyntaxErrorsGiveErrormsg)
{
    for (const char* q :
         {"where=status==", "where=status", "where=(status==VALID", "where=status==VALID%26%26",
          "where=status==%22VALID", "where=!status", "limit=x", "limit=-1", "order=idint+sideways", "from=hosts"})
    {
        table t = run(q);
        EXPECT_FALSE(t.errormsg.empty()) << q;
        EXPECT_TRUE(t.rows.empty()) << q;
    }
}

TEST(Query, OrderAndLimit)
{
    EXPECT_EQ(ids(run("select=idint&order=host")), (ids_t{1001, 1003, 1000, 1002}));  // stable
    EXPECT_EQ(ids(run("select=idint&order=host+DESC")), (ids_t{1002, 1000, 1001, 1003}));
    EXPECT_EQ(ids(run("select=idint&order=host,idint+desc")), (ids_t{1003, 1001, 1000, 1002}));
    EXPECT_EQ(ids(run("select=idint&order=idint+desc&limit=2")), (ids_t{1003, 1002}));
    EXPECT_EQ(ids(run("select=idint&limit=0")).size(), 4u);
    EXPECT_EQ(ids(run("select=idint&limit=100")).size(), 4u);
}

TEST(Query, SelectStarAndEcho)
{
    table t = run("select=*&where=idint==1003");
    EXPECT_EQ(t.columns, (std::vector<std::string>{"idint", "status", "user", "host"}));
    ASSERT_EQ(t.rows.size(), 1u);
    EXPECT_EQ(std::get<std::string>(t.rows[0][3]), "h1");
    EXPECT_EQ(t.query, "SELECT * FROM jobs WHERE idint==1003");
}

TEST(Query, CsvOfAResult)
{
    table t = run("select=idint,user&where=idint<=1002&order=idint&format=csv");
    EXPECT_EQ(to_csv(t, true), "idint,user\n1000,alice\n1001,bob\n1002,a b\n");
    EXPECT_EQ(to_csv(t, false), "1000,alice\n1001,bob\n1002,a b\n");
}

TEST(Query, ContainsOperator)
{
    EXPECT_EQ(ids(run("select=idint&where=user~lic")), (ids_t{1000, 1003}));
}

std::string nested(std::size_t depth, std::string_view inner = "idint==1001")
{
    return std::string(depth, '(') + std::string(inner) + std::string(depth, ')');
}

TEST(Query, NestingUpToTheLimitIsAccepted)
{
    auto rule = selection_rule::compile(nested(selection_rule::max_nesting), fields);
    ASSERT_TRUE(std::holds_alternative<selection_rule>(rule)) << std::get<std::string>(rule);
    query_request request;
    request.select = "idint";
    request.where = nested(selection_rule::max_nesting);
    table t = run_query(request, "jobs", fields, sample_rows());
    EXPECT_EQ(t.errormsg, "");
    EXPECT_EQ(ids(t), (ids_t{1001}));
}

TEST(Query, NestingBeyondTheLimitIsAnErrorNotACrash)
{
    // The parser recursed once per '(' without a bound: 100,000 of them overflowed the stack.
    for (std::size_t depth : {std::size_t{100'000}, std::size_t{5'000}, selection_rule::max_nesting + 1})
    {
        for (const std::string& where : {nested(depth), std::string(depth, '(')})
        {
            auto rule = selection_rule::compile(where, fields);
            ASSERT_TRUE(std::holds_alternative<std::string>(rule)) << depth;
            EXPECT_EQ(std::get<std::string>(rule), "selection rule nested deeper than 64 parentheses");
            query_request request;
            request.where = where;
            table t = run_query(request, "jobs", fields, sample_rows());
            EXPECT_EQ(t.errormsg, "selection rule nested deeper than 64 parentheses");
            EXPECT_TRUE(t.rows.empty());
            EXPECT_TRUE(t.columns.empty());
        }
    }
}

}  // namespace
