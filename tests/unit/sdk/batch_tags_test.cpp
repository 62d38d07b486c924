// The tags of a batch: the jobnames sent, and which job a jobname read back belongs to.
#include <vovrest/detail/batch_tags.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using vovrest::job_spec;
using namespace vovrest::detail;

std::vector<job_spec> named(std::vector<std::string> names)
{
    std::vector<job_spec> specs(names.size());
    for (std::size_t i = 0; i < names.size(); ++i)
    {
        specs[i].command = "true";
        specs[i].jobname = names[i];
    }
    return specs;
}

TEST(batch_tags, generated_tags_keep_a_jobname_in_front_and_match_only_themselves)
{
    const auto specs = named({"", "nightly", "", ""});
    const batch_tags tags(specs, true, false, "vr", "0123456789ab");
    EXPECT_EQ(tags.marker(), "vr-0123456789ab-");
    EXPECT_EQ(tags.jobname(0), "vr-0123456789ab-0");
    EXPECT_EQ(tags.jobname(1), "nightly.vr-0123456789ab-1");
    EXPECT_EQ(tags.job_of("vr-0123456789ab-0"), 0u);
    EXPECT_EQ(tags.job_of("nightly.vr-0123456789ab-1"), 1u);
    EXPECT_EQ(tags.job_of("vr-0123456789ab-1"), std::nullopt);        // job 1 has its name in front
    EXPECT_EQ(tags.job_of("other.vr-0123456789ab-0"), std::nullopt);  // job 0 has none
    EXPECT_EQ(tags.job_of("nightlyXvr-0123456789ab-1"), std::nullopt);
    EXPECT_EQ(tags.job_of("vr-0123456789ab-00"), std::nullopt);
    EXPECT_EQ(tags.job_of("vr-0123456789ab-4"), std::nullopt);  // no such job
    EXPECT_EQ(tags.job_of("vr-0123456789ab-2 "), std::nullopt);
    EXPECT_EQ(tags.job_of("vr-ffffffffffff-2"), std::nullopt);  // another batch
    EXPECT_FALSE(tags.caller_tag(1));
}

TEST(batch_tags, caller_jobnames_are_tags_only_when_unique_in_the_batch)
{
    const auto specs = named({"a", "a", "b c", "", "d"});
    const batch_tags tags(specs, true, true, "vr", "b");
    EXPECT_EQ(tags.jobname(0), "a.vr-b-0");
    EXPECT_EQ(tags.jobname(1), "a.vr-b-1");
    EXPECT_EQ(tags.jobname(2), "b c");
    EXPECT_EQ(tags.jobname(3), "vr-b-3");
    EXPECT_EQ(tags.jobname(4), "d");
    EXPECT_TRUE(tags.caller_tag(2));
    EXPECT_FALSE(tags.caller_tag(0));
    EXPECT_EQ(tags.job_of("d"), 4u);
    EXPECT_EQ(tags.job_of("b c"), 2u);
    EXPECT_EQ(tags.job_of("a"), std::nullopt);  // not a tag: it was repeated
    EXPECT_EQ(tags.job_of("a.vr-b-1"), 1u);
}

TEST(batch_tags, without_reconciliation_names_go_as_given_and_nothing_is_a_tag)
{
    const auto specs = named({"x", ""});
    const batch_tags tags(specs, false, true, "vr", "b");
    EXPECT_EQ(tags.jobname(0), "x");
    EXPECT_EQ(tags.jobname(1), "");
    EXPECT_EQ(tags.job_of("x"), std::nullopt);
    EXPECT_EQ(tags.job_of("vr-b-1"), std::nullopt);
}

TEST(batch_tags, tag_prefix_and_rule_values)
{
    EXPECT_TRUE(valid_tag_prefix("vovrest"));
    EXPECT_TRUE(valid_tag_prefix("night_ly-2"));
    EXPECT_FALSE(valid_tag_prefix(""));
    EXPECT_FALSE(valid_tag_prefix("a.b"));
    EXPECT_FALSE(valid_tag_prefix("a b"));
    EXPECT_FALSE(valid_tag_prefix(std::string(33, 'a')));
    EXPECT_EQ(rule_value("vovrest-3fa9-17"), "vovrest-3fa9-17");
    EXPECT_EQ(rule_value("nightly.v-1"), "nightly.v-1");
    EXPECT_EQ(rule_value("a b"), "\"a b\"");
    EXPECT_EQ(rule_value("say \"hi\"\\"), "\"say \\\"hi\\\"\\\\\"");
    EXPECT_EQ(rule_value("x==y"), "\"x==y\"");
    EXPECT_EQ(rule_value(""), "\"\"");
}

}  // namespace
