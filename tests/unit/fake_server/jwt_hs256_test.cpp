#include "jwt_hs256.hpp"

#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

#include <array>

namespace {

using namespace vovrest::testing::detail;
namespace json = boost::json;

constexpr std::array<unsigned char, 5> key{'k', 'e', 'y', '0', '1'};
constexpr std::array<unsigned char, 5> other_key{'k', 'e', 'y', '0', '2'};

std::vector<std::string> split(const std::string& token)
{
    std::vector<std::string> parts;
    std::size_t begin = 0;
    while (true)
    {
        std::size_t dot = token.find('.', begin);
        parts.push_back(token.substr(begin, dot - begin));
        if (dot == std::string::npos)
            return parts;
        begin = dot + 1;
    }
}

TEST(JwtEncoding, KnownVectors)
{
    // RFC 4648 test vectors, without padding.
    EXPECT_EQ(base64url_encode(""), "");
    EXPECT_EQ(base64url_encode("f"), "Zg");
    EXPECT_EQ(base64url_encode("fo"), "Zm8");
    EXPECT_EQ(base64url_encode("foo"), "Zm9v");
    EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
    EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
    EXPECT_EQ(base64url_decode("Zm9vYg"), "foob");
    EXPECT_EQ(base64url_decode("Zm9vYg=="), "foob");
    EXPECT_EQ(base64url_decode("-_8"), "\xfb\xff");
}

TEST(JwtEncoding, RejectsGarbage)
{
    EXPECT_FALSE(base64url_decode("Zm9v+g").has_value());  // standard alphabet
    EXPECT_FALSE(base64url_decode("Z").has_value());
    EXPECT_FALSE(base64url_decode("Zh").has_value());  // non-zero leftover bits
}

TEST(JwtEncoding, RoundTripsEveryByte)
{
    std::string all;
    for (int i = 0; i < 256; ++i)
        all.push_back(static_cast<char>(i));
    for (std::size_t n = 0; n <= all.size(); n += 37)
        EXPECT_EQ(base64url_decode(base64url_encode(all.substr(0, n))), all.substr(0, n));
}

TEST(JwtSigning, RoundTrip)
{
    json::object payload{{"sub", "demo"}, {"iat", 100}, {"exp", 160}, {"jti", "x-1"}};
    std::string token = jwt_sign_hs256(payload, key);
    auto parts = split(token);
    ASSERT_EQ(parts.size(), 3u);
    EXPECT_EQ(base64url_decode(parts[0]), R"({"alg":"HS256","typ":"JWT"})");
    auto verified = jwt_verify_hs256(token, key);
    ASSERT_TRUE(std::holds_alternative<json::object>(verified));
    EXPECT_EQ(std::get<json::object>(verified), payload);
}

TEST(JwtSigning, KnownSignature)
{
    // HMAC-SHA256 computed independently (Python hmac) over the same header and payload.
    json::object payload{{"sub", "demo"}};
    std::string token = jwt_sign_hs256(payload, key);
    EXPECT_EQ(token, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJkZW1vIn0."
                     "lOWPMCAyGYOIWr8N-ixjkYQxeBcVBbDsAiYDAgHOBRk");
}

TEST(JwtSigning, WrongKeyIsSignatureError)
{
    std::string token = jwt_sign_hs256(json::object{{"sub", "demo"}}, key);
    auto verified = jwt_verify_hs256(token, other_key);
    ASSERT_TRUE(std::holds_alternative<jwt_error>(verified));
    EXPECT_EQ(std::get<jwt_error>(verified), jwt_error::signature);
}

TEST(JwtSigning, TamperedSignature)
{
    std::string token = jwt_sign_hs256(json::object{{"sub", "demo"}}, key);
    char& last = token[token.size() - 2];
    last = last == 'A' ? 'B' : 'A';
    auto verified = jwt_verify_hs256(token, key);
    ASSERT_TRUE(std::holds_alternative<jwt_error>(verified));
    EXPECT_EQ(std::get<jwt_error>(verified), jwt_error::signature);
}

TEST(JwtSigning, TamperedPayload)
{
    std::string token = jwt_sign_hs256(json::object{{"sub", "demo"}, {"exp", 100}}, key);
    auto parts = split(token);
    std::string forged = parts[0] + "." + base64url_encode(R"({"sub":"admin","exp":100})") + "." + parts[2];
    auto verified = jwt_verify_hs256(forged, key);
    ASSERT_TRUE(std::holds_alternative<jwt_error>(verified));
    EXPECT_EQ(std::get<jwt_error>(verified), jwt_error::signature);
}

TEST(JwtSigning, AlgNoneIsRejected)
{
    std::string forged =
        base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." + base64url_encode(R"({"sub":"admin"})") + ".";
    auto verified = jwt_verify_hs256(forged, key);
    ASSERT_TRUE(std::holds_alternative<jwt_error>(verified));
    EXPECT_EQ(std::get<jwt_error>(verified), jwt_error::signature);
}

TEST(JwtSigning, Malformed)
{
    std::string good = jwt_sign_hs256(json::object{{"sub", "demo"}}, key);
    auto parts = split(good);
    for (const std::string& bad :
         {std::string{}, std::string{"abc"}, parts[0] + "." + parts[1], good + ".x", parts[0] + ".!!." + parts[2],
          parts[0] + "." + base64url_encode("[1,2]") + "." + parts[2],
          base64url_encode("not json") + "." + parts[1] + "." + parts[2]})
    {
        auto verified = jwt_verify_hs256(bad, key);
        ASSERT_TRUE(std::holds_alternative<jwt_error>(verified)) << bad;
        EXPECT_EQ(std::get<jwt_error>(verified), jwt_error::malformed) << bad;
    }
}

}  // namespace
