#include "form.hpp"

#include <gtest/gtest.h>

namespace {

using namespace vovrest::testing::detail;

TEST(Form, ParsesPairsInOrder)
{
    auto f = parse_form("username=demo&password=p%40ss+word&empty=&flag");
    ASSERT_TRUE(f.has_value());
    ASSERT_EQ(f->size(), 4u);
    EXPECT_EQ((*f)[0], (std::pair<std::string, std::string>{"username", "demo"}));
    EXPECT_EQ((*f)[1].second, "p@ss word");
    EXPECT_EQ((*f)[2].second, "");
    EXPECT_EQ((*f)[3].first, "flag");
    EXPECT_EQ((*f)[3].second, "");
    ASSERT_NE(find_field(*f, "password"), nullptr);
    EXPECT_EQ(*find_field(*f, "password"), "p@ss word");
    EXPECT_EQ(find_field(*f, "missing"), nullptr);
}

TEST(Form, SkipsEmptyPairsAndKeepsFirstDuplicate)
{
    auto f = parse_form("&a=1&&a=2&");
    ASSERT_TRUE(f.has_value());
    ASSERT_EQ(f->size(), 2u);
    EXPECT_EQ(*find_field(*f, "a"), "1");
    EXPECT_TRUE(parse_form("")->empty());
}

TEST(Form, DecodesNamesAndValues)
{
    auto f = parse_form("wh%65re=status%3D%3DVALID%26%26user%3D%3D%22a+b%22");
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ((*f)[0].first, "where");
    EXPECT_EQ((*f)[0].second, "status==VALID&&user==\"a b\"");
}

TEST(Form, RejectsBrokenEscapes)
{
    EXPECT_FALSE(parse_form("a=%").has_value());
    EXPECT_FALSE(parse_form("a=%4").has_value());
    EXPECT_FALSE(parse_form("a=%zz").has_value());
    EXPECT_FALSE(parse_form("%g0=1").has_value());
}

TEST(Form, PercentDecodePlus)
{
    EXPECT_EQ(percent_decode("a+b%2B", true), "a b+");
    EXPECT_EQ(percent_decode("a+b%2B", false), "a+b+");
    EXPECT_EQ(percent_decode("%41%62", false), "Ab");
}

TEST(Form, ContentType)
{
    EXPECT_TRUE(is_form_content_type("application/x-www-form-urlencoded"));
    EXPECT_TRUE(is_form_content_type("Application/X-WWW-Form-URLEncoded; charset=UTF-8"));
    EXPECT_FALSE(is_form_content_type(""));
    EXPECT_FALSE(is_form_content_type("application/json"));
    EXPECT_FALSE(is_form_content_type("application/x-www-form-urlencodedx"));
}

TEST(Form, WipeOverwritesValues)
{
    auto f = parse_form("password=secret");
    ASSERT_TRUE(f.has_value());
    wipe(*f);
    EXPECT_NE((*f)[0].second, "secret");
    EXPECT_EQ((*f)[0].second.size(), 6u);
}

}  // namespace
