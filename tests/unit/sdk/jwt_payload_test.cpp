#include <vovrest/detail/jwt_payload.hpp>

#include "token_test_support.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using vovrest::detail::decode_base64url;
using vovrest::detail::decode_jwt_payload;
using vovrest::test::base64url;
using vovrest::test::jwt_from_payload;
using vovrest::test::make_jwt;

TEST(jwt_payload, base64url_round_trip_all_lengths)
{
    std::string text;
    for (int i = 0; i < 40; ++i)
    {
        std::string decoded;
        ASSERT_TRUE(decode_base64url(base64url(text), decoded)) << i;
        EXPECT_EQ(decoded, text);
        text.push_back(static_cast<char>(i * 37 + 11));
    }
}

TEST(jwt_payload, base64url_accepts_padding_rejects_garbage)
{
    std::string out;
    EXPECT_TRUE(decode_base64url("YWI=", out));
    EXPECT_EQ(out, "ab");
    EXPECT_TRUE(decode_base64url("YWI", out));
    EXPECT_EQ(out, "ab");
    EXPECT_FALSE(decode_base64url("YW+/", out));  // standard base64 alphabet, not base64url
    EXPECT_FALSE(decode_base64url("Y", out));     // impossible length
    EXPECT_FALSE(decode_base64url("YR", out));    // non-zero trailing bits
    EXPECT_FALSE(decode_base64url("a b", out));
}

TEST(jwt_payload, reads_integer_claims)
{
    const auto p = decode_jwt_payload(make_jwt(1700000000, 1700003600));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->iat, 1700000000.0);
    EXPECT_EQ(p->exp, 1700003600.0);
}

TEST(jwt_payload, reads_double_claims)
{
    const auto p = decode_jwt_payload(make_jwt(100.5, 101.25));
    ASSERT_TRUE(p);
    EXPECT_DOUBLE_EQ(*p->iat, 100.5);
    EXPECT_DOUBLE_EQ(*p->exp, 101.25);
}

TEST(jwt_payload, missing_or_non_numeric_claims_are_absent)
{
    auto p = decode_jwt_payload(make_jwt(std::nullopt, std::nullopt));
    ASSERT_TRUE(p);
    EXPECT_FALSE(p->iat);
    EXPECT_FALSE(p->exp);

    p = decode_jwt_payload(jwt_from_payload(R"({"exp":"1700000000","iat":null})"));
    ASSERT_TRUE(p);
    EXPECT_FALSE(p->exp);
    EXPECT_FALSE(p->iat);

    p = decode_jwt_payload(jwt_from_payload(R"({"exp":18446744073709551615})"));
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->exp);
}

TEST(jwt_payload, two_part_token_without_signature_is_accepted)
{
    const std::string token = base64url("{}") + "." + base64url(R"({"exp":5})");
    const auto p = decode_jwt_payload(token);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->exp, 5.0);
}

TEST(jwt_payload, garbage_gives_nullopt)
{
    for (const std::string& bad :
         {std::string(), std::string("."), std::string(".."), std::string("opaque-token-without-dots"),
          std::string("a.!!!.c"), base64url("{}") + "." + base64url("not json") + ".x",
          base64url("{}") + "." + base64url("[1,2,3]") + ".x", base64url("{}") + "." + base64url(R"({"exp":1)") + ".x",
          std::string("a..c"), std::string(3000, '.')})
    {
        EXPECT_FALSE(decode_jwt_payload(bad)) << bad;
    }
}

TEST(jwt_payload, random_bytes_never_throw)
{
    std::uint32_t state = 12345;
    for (int i = 0; i < 2000; ++i)
    {
        std::string input;
        const int length = static_cast<int>(state % 64);
        for (int j = 0; j < length; ++j)
        {
            state = state * 1664525u + 1013904223u;
            const char pool[] = "eyJ0.-_abcXYZ012=+/{}\"";
            input.push_back(pool[(state >> 16) % (sizeof pool - 1)]);
        }
        (void)decode_jwt_payload(input);
    }
    SUCCEED();
}

}  // namespace
