// The query builder: which parameters it sends, and their encoding on the wire.
#include <vovrest/detail/wire_format.hpp>
#include <vovrest/query.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace vovrest::test {
namespace {

TEST(query_builder, defaults_to_jobs_as_json)
{
    query q;
    EXPECT_EQ(q.params(), (query_params{{"from", "jobs"}, {"format", "json"}}));
    EXPECT_EQ(q.target(), "/api/v3/query?from=jobs&format=json");
}

TEST(query_builder, sends_every_part_in_order)
{
    auto q = query()
                 .select({"id", "status"})
                 .from("jobs")
                 .where("status==VALID")
                 .order("id")
                 .limit(10)
                 .format(query_format::csv);
    EXPECT_EQ(q.params(), (query_params{{"select", "id,status"},
                                        {"from", "jobs"},
                                        {"where", "status==VALID"},
                                        {"order", "id"},
                                        {"limit", "10"},
                                        {"format", "csv"}}));
    EXPECT_EQ(q.target(),
              "/api/v3/query?select=id%2Cstatus&from=jobs&where=status%3D%3DVALID&order=id&limit=10&format=csv");
}

TEST(query_builder, encodes_rules_with_spaces_and_symbols)
{
    auto q = query().where("jobname==\"a b\" && priority>4").order("host DESC, id").format(query_format::csv_noheader);
    EXPECT_EQ(q.target(), "/api/v3/query?from=jobs&where=jobname%3D%3D%22a%20b%22%20%26%26%20priority%3E4"
                          "&order=host%20DESC%2C%20id&format=csv-noheader");
}

TEST(query_builder, limit_zero_means_none)
{
    auto q = query().limit(5).limit(0);
    for (const auto& [name, value] : q.params())
        EXPECT_NE(name, "limit");
}

// target() writes its string directly instead of going through params(): the two must agree,
// empty select fields and the largest limit included.
TEST(query_builder, target_is_params_encoded)
{
    std::vector<query> queries{query(),
                               query().from("").format(query_format::csv),
                               query().select({"id"}).limit(std::numeric_limits<std::size_t>::max()),
                               query().select({"", "id", "", "status"}).where("a b").order("id"),
                               query().select({"", ""}).from("hosts&x=y").format(query_format::csv_noheader),
                               query().select({"id", "status"}).where("status==VALID").order("id").limit(10)};
    for (const auto& q : queries)
    {
        std::string expected = "/api/v3/query";
        char separator = '?';
        for (const auto& [name, value] : q.params())
        {
            expected += separator;
            separator = '&';
            detail::append_encoded(expected, name, false);
            expected += '=';
            detail::append_encoded(expected, value, false);
        }
        EXPECT_EQ(q.target(), expected);
    }
}

}  // namespace
}  // namespace vovrest::test
