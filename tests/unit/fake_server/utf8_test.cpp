// Every answer of the fake server is valid UTF-8 JSON, whatever bytes the request held.
#include "service_fixture.hpp"
#include "utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace vovrest::testing::detail;
using namespace vovrest::testing::detail::test;

TEST(Utf8, WellFormedSequences)
{
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("plain ASCII"));
    EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));  // é € 😀
    EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));                           // U+10FFFF
}

TEST(Utf8, IllFormedSequences)
{
    for (const char* bad : {"\xFF", "\x80", "caf\xE9", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                            "\xC3", "\xE2\x82", "\xF0\x9F\x98"})
    {
        EXPECT_FALSE(is_valid_utf8(bad)) << bad;
    }
}

TEST(Utf8, EachStrayByteBecomesAReplacementCharacter)
{
    EXPECT_EQ(to_valid_utf8("caf\xE9!"), "caf\xEF\xBF\xBD!");
    EXPECT_EQ(to_valid_utf8("\xC3\xA9\xC3"), "\xC3\xA9\xEF\xBF\xBD");
    EXPECT_EQ(to_valid_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(to_valid_utf8("ok"), "ok");
}

using utf8_service_test = service_test;

// Boost.JSON (the SDK's parser) rejects a whole document for one byte that is not UTF-8.
TEST_F(utf8_service_test, EchoedRequestBytesKeepTheAnswerValidJson)
{
    const std::string auth = login();
    reply_view r = get("/api/v3/jobs/12\xFF", auth);
    EXPECT_EQ(r.reply.status, 404u);
    EXPECT_EQ(r.error(), "no such job 12\xEF\xBF\xBD");

    r = send("G\xC3T", "/api/v3/jobs", auth);
    EXPECT_EQ(r.reply.status, 405u);
    EXPECT_EQ(r.error(), "method G\xEF\xBF\xBDT not allowed here (allowed: POST)");

    const std::int64_t id = submit(auth, R"({"command":"x"})");
    r = get("/api/v3/jobs/" + std::to_string(id) + "/stat%E9s", auth);
    EXPECT_EQ(r.reply.status, 200u);
    EXPECT_EQ(r.body().at("errormsg").as_string(), "unknown field 'stat\xEF\xBF\xBDs'");
}

TEST_F(utf8_service_test, QueryParameterThatIsNotUtf8Is400)
{
    const std::string auth = login();
    for (const char* q : {"where=user==caf%E9", "select=%FF", "order=%C3", "format=%FF"})
    {
        reply_view r = get(std::string("/api/v3/query?") + q, auth);
        EXPECT_EQ(r.reply.status, 400u) << q;
        EXPECT_NE(r.error().find("not valid UTF-8"), std::string::npos) << q;
    }
    // Well-formed UTF-8 is a value like any other; unknown parameters are ignored whatever they hold.
    EXPECT_EQ(get("/api/v3/query?where=user==caf%C3%A9&x=%FF", auth).reply.status, 200u);
}

}  // namespace
