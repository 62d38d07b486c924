// What vovrest prints from the server: control characters escaped in text, JSON one line with
// plain decimal numbers and terminal-safe strings, table answers checked without a tree.
#include "cli_output.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <gtest/gtest.h>

#include <sstream>

namespace {

using namespace vovrest::cli;

TEST(CliOutput, TextEscapesWhatATerminalWouldObey)
{
    EXPECT_EQ(printable_line("plain text, ünïcode"), "plain text, ünïcode");
    EXPECT_EQ(printable_line("Bearer\r\nX-Injected: yes"), "Bearer\\r\\nX-Injected: yes");
    EXPECT_EQ(printable_line("\x1b[2Jcleared"), "\\x1b[2Jcleared");
    EXPECT_EQ(printable_line("tab\there"), "tab\\there");
    EXPECT_EQ(printable_line(std::string("nul\0x", 5)), "nul\\x00x");
    EXPECT_EQ(printable_line("del\x7f"), "del\\x7f");
    EXPECT_EQ(printable_line("c1 \xc2\x9b"
                             "31m"),
              "c1 \\u009b31m");  // 8-bit CSI
    EXPECT_EQ(printable_line("bad \xff\xfe utf8"), "bad \\xff\\xfe utf8");
    EXPECT_EQ(printable_text("two\nlines\twith tab\r\n"), "two\nlines\twith tab\\r\n");
}

TEST(CliOutput, JsonNumbersArePlainDecimals)
{
    const auto v =
        boost::json::parse(R"({"seconds":0.203255326,"jobs_per_s":98398.40556010818,"n":3,"big":1e21,"neg":-2.5e-7})");
    EXPECT_EQ(
        json_text(v),
        R"({"seconds":0.203255326,"jobs_per_s":98398.40556010818,"n":3,"big":1000000000000000000000,"neg":-0.00000025})");
}

TEST(CliOutput, JsonStringsAreSafeOnATerminal)
{
    EXPECT_EQ(json_string("a\"b\\c\nd\x1b"
                          "e\x7f"
                          "f\xc2\x85g\xffh"),
              R"("a\"b\\c\nd\u001be\u007ff\u0085g\ufffdh")");
    EXPECT_EQ(json_string("ünïcode"), "\"ünïcode\"");
}

TEST(CliOutput, ServerJsonPrintedOnOneLineUnchangedInMeaning)
{
    const std::string body = "{\n  \"rows\": [[\"a b\", \"esc\\u001b\", \"c1 \xc2\x9b\"]],\n  \"n\": 1.5e-1\n}\n";
    const json_body checked = check_json_body(body);
    ASSERT_TRUE(checked.valid);
    const std::string line = json_body_text(body, true);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_EQ(line.find("\xc2\x9b"), std::string::npos);
    EXPECT_EQ(boost::json::parse(line), boost::json::parse(body));
    EXPECT_EQ(json_body_text("not json\x1b", false), R"("not json\u001b")");
}

TEST(CliOutput, StreamedOutputEqualsTheStringForms)
{
    for (const std::string& text : {std::string("id,name\n1,\x1b[31mred\n2,ok"), std::string("a\r\nb\n"), std::string(),
                                    std::string("\xc2\x9b\xff tail")})
    {
        std::ostringstream out;
        write_printable_text(out, text);
        const std::string expected = printable_text(text);
        EXPECT_EQ(out.str(), expected.empty() || expected.back() == '\n' ? expected : expected + "\n");
    }
    for (const std::string& body :
         {std::string("{ \"a\" : [1, 2],\n \"b\": \"x\x7fy\xc2\x85\" }"), std::string("[]"), std::string("not json")})
    {
        const bool valid = check_json_body(body).valid;
        std::ostringstream out;
        write_json_body(out, body, valid);
        EXPECT_EQ(out.str(), json_body_text(body, valid) + "\n");
    }
}

TEST(CliOutput, TableErrormsgFoundAtTheTopOnly)
{
    EXPECT_EQ(check_json_body(R"({"errormsg":"","rows":[]})").errormsg, "");
    EXPECT_EQ(check_json_body(R"({"rows":[{"errormsg":"inner"}],"errormsg":"unknown field x"})").errormsg,
              "unknown field x");
    EXPECT_EQ(check_json_body(R"({"errormsg":{"nested":"x"}})").errormsg, "");
    EXPECT_FALSE(check_json_body(R"({"errormsg":"x")").valid);
    EXPECT_FALSE(check_json_body("").valid);
    EXPECT_TRUE(check_json_body("[1,2]").valid);
}

}  // namespace
