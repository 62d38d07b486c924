// field_arena: the per-connection memory for a request's header fields.
#include "field_arena.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <tuple>
#include <utility>

namespace {

using namespace vovrest::testing::detail;
namespace http = boost::beast::http;

using arena_parser = http::request_parser<http::string_body, arena_allocator<char>>;

arena_parser make_parser(field_arena& arena)
{
    return arena_parser(std::piecewise_construct, std::make_tuple(), std::make_tuple(arena_allocator<char>(arena)));
}

// Feeds the whole request at once; the parser must be done after it.
void parse(arena_parser& parser, const std::string& request)
{
    parser.eager(true);  // the body too, not only the header
    boost::system::error_code ec;
    const std::size_t used = parser.put(boost::asio::buffer(request), ec);
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_EQ(used, request.size());
    ASSERT_TRUE(parser.is_done());
}

TEST(FieldArena, StartsOverWhenEverythingIsGivenBack)
{
    field_arena arena;
    void* a = arena.allocate(10, 1);
    void* b = arena.allocate(24, 8);
    EXPECT_TRUE(arena.owns(a));
    EXPECT_TRUE(arena.owns(b));
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b) % 8, 0u);
    EXPECT_EQ(arena.used(), 40u);
    arena.deallocate(a, 10, 1);
    EXPECT_EQ(arena.used(), 40u);  // b still lives
    arena.deallocate(b, 24, 8);
    EXPECT_EQ(arena.used(), 0u);
    EXPECT_EQ(arena.allocate(8, 8), a);
}

TEST(FieldArena, OverflowGoesToTheHeap)
{
    field_arena arena;
    void* inside = arena.allocate(field_arena::capacity - 16, 1);
    void* outside = arena.allocate(64, 8);
    EXPECT_TRUE(arena.owns(inside));
    EXPECT_FALSE(arena.owns(outside));
    arena.deallocate(outside, 64, 8);
    arena.deallocate(inside, field_arena::capacity - 16, 1);
    EXPECT_EQ(arena.used(), 0u);
}

TEST(FieldArena, BeastParserKeepsItsFieldsThere)
{
    field_arena arena;
    for (int round = 0; round < 3; ++round)
    {
        auto parser = make_parser(arena);
        parse(parser, "GET /api/v3/project/1/version?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Authorization: Bearer:abc.def.ghi\r\nUser-Agent: test\r\nAccept: application/json\r\n\r\n");
        const auto& request = parser.get();
        EXPECT_EQ(request.target(), "/api/v3/project/1/version?x=1");
        EXPECT_EQ(request[http::field::authorization], "Bearer:abc.def.ghi");
        EXPECT_EQ(request[http::field::accept], "application/json");
        EXPECT_TRUE(request.keep_alive());
        EXPECT_GT(arena.used(), 0u);
    }
    EXPECT_EQ(arena.used(), 0u);  // each parser gave everything back
}

TEST(FieldArena, HeadersLargerThanTheArena)
{
    field_arena arena;
    const std::string big(field_arena::capacity / 2, 'v');
    {
        auto parser = make_parser(arena);
        parse(parser, "POST /api/v3/jobs HTTP/1.1\r\nX-One: " + big + "\r\nX-Two: " + big + "\r\nX-Three: " + big
                          + "\r\nContent-Length: 2\r\n\r\n{}");
        const auto& request = parser.get();
        EXPECT_EQ(request["X-One"], big);
        EXPECT_EQ(request["X-Three"], big);
        EXPECT_EQ(request.body(), "{}");
    }
    EXPECT_EQ(arena.used(), 0u);
}

}  // namespace
