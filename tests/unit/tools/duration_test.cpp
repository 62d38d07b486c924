#include "common/duration.hpp"

#include <gtest/gtest.h>

namespace {

using vovrest::tools::format_duration;
using vovrest::tools::parse_duration;
using namespace std::chrono_literals;

TEST(Duration, Units)
{
    EXPECT_EQ(parse_duration("500ms"), 500ms);
    EXPECT_EQ(parse_duration("2s"), 2000ms);
    EXPECT_EQ(parse_duration("1m"), 60'000ms);
    EXPECT_EQ(parse_duration("1h"), 3'600'000ms);
    EXPECT_EQ(parse_duration("0"), 0ms);
    EXPECT_EQ(parse_duration("0s"), 0ms);
}

TEST(Duration, MicrosecondsRoundUp)
{
    EXPECT_EQ(parse_duration("250us"), 1ms);
    EXPECT_EQ(parse_duration("2000us"), 2ms);
    EXPECT_EQ(parse_duration("2001us"), 3ms);
}

TEST(Duration, FractionsAndSums)
{
    EXPECT_EQ(parse_duration("1.5s"), 1500ms);
    EXPECT_EQ(parse_duration("0.25m"), 15'000ms);
    EXPECT_EQ(parse_duration("1m30s"), 90'000ms);
    EXPECT_EQ(parse_duration("1h2m3s4ms"), 3'723'004ms);
}

TEST(Duration, Rejects)
{
    for (const char* bad :
         {"", "5", "ms", "5x", "5 s", "-5s", "1.s", ".5s", "s5", "5sm", "1e3ms", "99999999999999999999h"})
        EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
}

TEST(Duration, FormatsWhatItReadsBack)
{
    EXPECT_EQ(format_duration(0ms), "0");
    EXPECT_EQ(format_duration(250ms), "250ms");
    EXPECT_EQ(format_duration(2000ms), "2s");
    EXPECT_EQ(format_duration(90'000ms), "1m30s");
    EXPECT_EQ(format_duration(3'600'000ms), "1h");
    EXPECT_EQ(format_duration(1500ms), "1s500ms");
    for (auto d : {0ms, 1ms, 999ms, 1001ms, 61'000ms, 3'723'004ms, 86'400'000ms})
        EXPECT_EQ(parse_duration(format_duration(d)), d) << d.count();
}

}  // namespace
