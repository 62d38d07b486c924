// Encoders and parsers of what crosses the wire, and the URL reduction of the original helper.
#include <vovrest/base_url.hpp>
#include <vovrest/detail/wire_format.hpp>
#include <vovrest/error.hpp>

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace vovrest::detail {
namespace {

TEST(wire_format, form_and_query_encoding)
{
    std::string out;
    append_encoded(out, "p@ss word&x=1~", true);
    EXPECT_EQ(out, "p%40ss+word%26x%3D1~");
    out.clear();
    append_encoded(out, "status==VALID && id>3", false);
    EXPECT_EQ(out, "status%3D%3DVALID%20%26%26%20id%3E3");
    out.clear();
    append_encoded(out, "\xC3\xA9", false);  // UTF-8 bytes, each escaped
    EXPECT_EQ(out, "%C3%A9");
}

TEST(wire_format, token_response_shapes)
{
    token_grant grant;
    ASSERT_TRUE(parse_token_response(R"({"token_type":"Bearer","access_token":"abc","expires_in":3600})", grant));
    EXPECT_EQ(grant.token_type, "Bearer");
    EXPECT_EQ(grant.access_token, "abc");
    ASSERT_TRUE(grant.expires_in);
    EXPECT_EQ(grant.expires_in->count(), 3600);

    ASSERT_TRUE(parse_token_response(R"({"token_type":"Bearer","access_token":"abc","expires_in":1.5e1})", grant));
    EXPECT_EQ(grant.expires_in->count(), 15);
    ASSERT_TRUE(parse_token_response(R"({"token_type":"Bearer","access_token":"abc","expires_in":"soon"})", grant));
    EXPECT_FALSE(grant.expires_in);  // a shape we do not know is ignored, not trusted

    EXPECT_FALSE(parse_token_response(R"({"token_type":"Bearer"})", grant));
    EXPECT_FALSE(parse_token_response(R"({"token_type":"Bearer","access_token":""})", grant));
    EXPECT_FALSE(parse_token_response(R"({"token_type":1,"access_token":"x"})", grant));
    EXPECT_FALSE(parse_token_response("[]", grant));
    EXPECT_FALSE(parse_token_response("not json", grant));
}

// A token answer whose strings would add headers (CR/LF), drive a terminal (ESC) or swell every
// request's header is refused, with a reason that shows no part of the token.
TEST(wire_format, token_response_with_control_characters_or_too_large_is_refused)
{
    const std::string jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.c2ln";
    auto answer = [](const std::string& type, const std::string& token) {
        return R"({"token_type":")" + type + R"(","access_token":")" + token + R"(","expires_in":3600})";
    };
    struct refused
    {
        std::string body;
        std::string_view why;
    };
    const std::vector<refused> cases{
        {answer("Bearer\\r\\nX-Injected: yes", jwt), "token_type holds a control character"},
        {answer("Bearer", jwt + "\\u001b[31m"), "access_token holds a control character"},
        {answer("Bearer", jwt + "\\u0000"), "access_token holds a control character"},
        {answer("Bearer", jwt + "\\u007f"), "access_token holds a control character"},
        {answer("Bearer\\t", jwt), "token_type holds a control character"},
        {answer("Bearer", jwt + std::string(max_token_bytes, 'A')), "access_token is larger than 16 KiB"},
        {answer(std::string(max_token_bytes + 1, 'B'), jwt), "token_type is larger than 16 KiB"},
        {answer("Bearer", jwt) + std::string(max_token_answer_bytes, ' '), "answer is larger than 64 KiB"},
        {"not json", "not a JSON object"},
        {R"({"token_type":"Bearer"})", "no token_type and access_token"},
    };
    for (const auto& c : cases)
    {
        token_grant grant;
        std::string_view why;
        EXPECT_FALSE(parse_token_response(c.body, grant, why)) << c.body.substr(0, 120);
        EXPECT_NE(why.find(c.why), std::string_view::npos) << why;
        EXPECT_EQ(why.find("eyJ"), std::string_view::npos);
        EXPECT_TRUE(grant.access_token.empty());
    }
    // At the limits, and with characters above ASCII: accepted.
    token_grant grant;
    std::string_view why;
    const std::string largest = jwt + std::string(max_token_bytes - jwt.size(), 'A');
    ASSERT_TRUE(parse_token_response(answer("Bearer", largest), grant, why)) << why;
    EXPECT_EQ(grant.access_token, largest);
    EXPECT_TRUE(why.empty());
    EXPECT_TRUE(parse_token_response(answer("B\\u00e9arer", jwt), grant, why)) << why;
}

TEST(wire_format, server_message_prefers_error_then_errormsg)
{
    EXPECT_EQ(server_message(R"({"error":"bad password"})"), "bad password");
    EXPECT_EQ(server_message(R"({"errormsg":"unknown field foo","rows":[]})"), "unknown field foo");
    EXPECT_EQ(server_message(R"({"errormsg":"","rows":[]})"), "");
    EXPECT_EQ(server_message("<html>502</html>"), "");
    EXPECT_EQ(server_message(R"({"error":")" + std::string(2000, 'x') + "\"}").size(), 512u);
}

TEST(wire_format, retry_after_in_seconds)
{
    EXPECT_EQ(parse_retry_after("3"), std::chrono::steady_clock::duration(std::chrono::seconds(3)));
    EXPECT_EQ(parse_retry_after(" 10 "), std::chrono::steady_clock::duration(std::chrono::seconds(10)));
    EXPECT_FALSE(parse_retry_after(""));
    EXPECT_FALSE(parse_retry_after("-1"));
    EXPECT_FALSE(parse_retry_after("999999999"));
}

TEST(wire_format, retry_after_as_an_http_date)
{
    using namespace std::chrono;
    const system_clock::time_point now = sys_days(year(2015) / October / day(21)) + hours(7) + minutes(27);
    EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), steady_clock::duration(seconds(60)));
    EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:26:00 GMT", now), steady_clock::duration::zero());  // past
    EXPECT_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:00 UTC", now));
    EXPECT_FALSE(parse_retry_after("Wed, 31 Feb 2015 07:28:00 GMT", now));
    EXPECT_FALSE(parse_retry_after("Wed, 21 Foo 2015 07:28:00 GMT", now));
    EXPECT_FALSE(parse_retry_after("Thu, 22 Oct 2015 07:28:00 GMT", now));  // more than a day away
}

TEST(wire_format, extra_headers_and_targets_are_checked)
{
    EXPECT_EQ(check_extra_header("X-Trace", "abc"), "");
    EXPECT_NE(check_extra_header("X Trace", "abc"), "");
    EXPECT_NE(check_extra_header("X-Trace", "a\r\nInjected: yes"), "");
    EXPECT_NE(check_extra_header("authorization", "Bearer x"), "");
    EXPECT_NE(check_extra_header("Content-Length", "3"), "");
    EXPECT_NE(check_extra_header("", "x"), "");
    EXPECT_EQ(check_target("/api/v3/jobs?x=1"), "");
    EXPECT_NE(check_target("/api/v3/jobs\r\nX: y"), "");
    EXPECT_NE(check_target(std::string("/a\0b", 4)), "");
}

TEST(wire_format, extra_headers_are_written_after_the_sessions_own)
{
    std::string head;
    const std::vector<std::pair<std::string, std::string>> extra{{"X-Trace", "42"}};
    ASSERT_TRUE(write_request_head(head, "GET", "/x", "h:1", "ua", "", "", 0, extra));
    EXPECT_EQ(head,
              "GET /x HTTP/1.1\r\nHost: h:1\r\nUser-Agent: ua\r\nAccept: application/json\r\nX-Trace: 42\r\n\r\n");
}

TEST(wire_format, status_to_error)
{
    EXPECT_FALSE(error_for_status(200));
    EXPECT_FALSE(error_for_status(201));
    EXPECT_EQ(error_for_status(302), error::redirect_refused);
    EXPECT_EQ(error_for_status(400), error::bad_request);
    EXPECT_EQ(error_for_status(401), error::unauthorized);
    EXPECT_EQ(error_for_status(403), error::forbidden);
    EXPECT_EQ(error_for_status(404), error::not_found);
    EXPECT_EQ(error_for_status(409), error::bad_request);
    EXPECT_EQ(error_for_status(413), error::payload_too_large);
    EXPECT_EQ(error_for_status(429), error::rate_limited);
    EXPECT_EQ(error_for_status(503), error::server_error);
}

TEST(wire_format, header_lookup_ignores_case)
{
    std::vector<std::pair<std::string, std::string>> headers{{"Content-Type", "a"}, {"retry-after", "5"}};
    EXPECT_EQ(find_header(headers, "content-type"), "a");
    EXPECT_EQ(find_header(headers, "Retry-After"), "5");
    EXPECT_EQ(find_header(headers, "Location"), "");
}

TEST(base_url, reduced_to_scheme_host_port)
{
    boost::system::error_code ec;
    auto u = parse_base_url("https://nchost:6271/project/x?y=1", ec);
    ASSERT_TRUE(u) << ec.message();
    EXPECT_TRUE(u->https);
    EXPECT_EQ(u->host, "nchost");
    EXPECT_EQ(u->port, 6271);
    EXPECT_EQ(u->to_string(), "https://nchost:6271");

    u = parse_base_url("http://mercury:6444/project", ec);
    ASSERT_TRUE(u);
    EXPECT_EQ(u->to_string(), "http://mercury:6444");
    u = parse_base_url("http://host", ec);
    ASSERT_TRUE(u);
    EXPECT_EQ(u->port, 80);
    u = parse_base_url("http://[::1]:10574", ec);
    ASSERT_TRUE(u);
    EXPECT_EQ(u->host, "::1");
    EXPECT_EQ(u->host_header(), "[::1]:10574");

    for (const char* bad : {"", "nchost:6271", "ftp://host", "http://", "http://user:pw@host", "http://host:0",
                            "http://host:99999", "http://host:x"})
    {
        EXPECT_FALSE(parse_base_url(bad, ec)) << bad;
        EXPECT_EQ(ec, error::invalid_url) << bad;
    }
}

}  // namespace
}  // namespace vovrest::detail

namespace vovrest::detail {
namespace {

TEST(wire_format, request_head_bytes)
{
    std::string head;
    ASSERT_TRUE(write_request_head(head, "POST", "/api/v3/jobs", "127.0.0.1:6271", "vovrest/0.1", "Bearer:abc",
                                   "application/json", 17));
    EXPECT_EQ(head, "POST /api/v3/jobs HTTP/1.1\r\n"
                    "Host: 127.0.0.1:6271\r\n"
                    "User-Agent: vovrest/0.1\r\n"
                    "Accept: application/json\r\n"
                    "Authorization: Bearer:abc\r\n"
                    "Content-Type: application/json\r\n"
                    "Content-Length: 17\r\n"
                    "\r\n");
    ASSERT_TRUE(write_request_head(head, "GET", "/x?a=1", "h:80", "ua", "", "", 0));
    EXPECT_EQ(head, "GET /x?a=1 HTTP/1.1\r\nHost: h:80\r\nUser-Agent: ua\r\nAccept: application/json\r\n\r\n");
    ASSERT_TRUE(write_request_head(head, "DELETE", "/x", "h:80", "ua", "T:t", "", 0));
    EXPECT_EQ(head.find("Content-Length"), std::string::npos);
    ASSERT_TRUE(write_request_head(head, "PUT", "/x", "h:80", "ua", "T:t", "", 0));
    EXPECT_NE(head.find("Content-Length: 0\r\n"), std::string::npos);
}

TEST(wire_format, request_head_refuses_header_injection)
{
    std::string head;
    EXPECT_FALSE(write_request_head(head, "GET", "/x", "h:80", "ua", "Bearer:abc\r\nX-Evil: 1", "", 0));
    EXPECT_FALSE(write_request_head(head, "GET", "/x HTTP/1.1\r\nX: y", "h:80", "ua", "", "", 0));
    EXPECT_FALSE(write_request_head(head, "GET", "/x", "h:80", "ua", std::string_view("a\0b", 3), "", 0));
}

}  // namespace
}  // namespace vovrest::detail

namespace vovrest::detail {
namespace {

// Empty views (whose data() may be null) are valid everywhere: no user agent, no token.
TEST(wire_format, request_head_with_empty_values)
{
    std::string head;
    ASSERT_TRUE(
        write_request_head(head, "GET", "/", "h:1", std::string_view(), std::string_view(), std::string_view(), 0));
    EXPECT_EQ(head, "GET / HTTP/1.1\r\nHost: h:1\r\nUser-Agent: \r\nAccept: application/json\r\n\r\n");
}

}  // namespace
}  // namespace vovrest::detail
