// How the transport reads an answer (sdk/src/response_reader.hpp, driven as http_transport.cpp
// drives it: tests/fuzz/http_response_reading.hpp), for the splits of a chunked body a server
// chooses: every split gives the same answer, and fields after the body are not its header.
#include "fuzz/http_response_reading.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace vovrest::fuzz {
namespace {

using outcome = response_read::outcome;

constexpr std::string_view chunked_head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                          "Transfer-Encoding: chunked\r\n\r\n";

response_read read(const std::vector<std::string_view>& reads, bool eof = false)
{
    return read_one_response(reads, eof, false);
}

// An empty chunked body whose last chunk arrives alone, then its end one byte at a time: Beast
// 1.81 asserted on the second of these reads (a debug build aborted).
TEST(response_reader, a_last_chunk_that_arrives_alone_then_byte_by_byte)
{
    const response_read r = read({chunked_head, "0\r\n", "\r", "\n"});
    ASSERT_EQ(r.result, outcome::complete) << r.ec.message();
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, "");
    EXPECT_EQ(r.reads, 4u);
    EXPECT_EQ(r.left_over, 0u);
    EXPECT_TRUE(r.keep_alive);
}

TEST(response_reader, a_chunked_answer_read_one_byte_at_a_time)
{
    const std::string stream = std::string(chunked_head) + "2\r\n{}\r\n1;ext=1\r\n \r\n0\r\n\r\n";
    std::vector<std::string_view> reads;
    for (std::size_t i = 0; i < stream.size(); ++i)
        reads.push_back(std::string_view(stream).substr(i, 1));
    const response_read r = read(reads);
    ASSERT_EQ(r.result, outcome::complete) << r.ec.message();
    EXPECT_EQ(r.body, "{} ");
    EXPECT_EQ(r.reads, stream.size());
    EXPECT_EQ(r.consumed, stream.size());
}

// The bytes held back (fewer than a chunked body can end in) are not lost when the server closes:
// the answer is partial, as it is when the same bytes come in one read.
TEST(response_reader, a_connection_closed_after_part_of_the_last_chunk_is_a_partial_answer)
{
    const std::string in_one_read = std::string(chunked_head) + "0\r\n\r";
    for (const auto& reads :
         {std::vector<std::string_view>{chunked_head, "0\r\n", "\r"}, std::vector<std::string_view>{in_one_read}})
    {
        const response_read r = read(reads, true);
        ASSERT_EQ(r.result, outcome::failed);
        EXPECT_EQ(r.ec, boost::beast::http::error::partial_message);
    }
    const response_read waiting = read({chunked_head, "0\r\n", "\r"});
    EXPECT_EQ(waiting.result, outcome::waiting);
}

// A trailer is not the header (RFC 9110 6.5.2): a Location sent after the body (where a job id
// could be put) is not read as the answer's, however the bytes are split.
TEST(response_reader, fields_after_a_chunked_body_are_not_header_fields)
{
    const std::string stream =
        std::string(chunked_head) + "2\r\n{}\r\n0\r\nLocation: /api/v3/jobs/999999\r\nKeep-Alive: timeout=1\r\n\r\n";
    for (const std::size_t split : {stream.size(), stream.size() - 3, chunked_head.size() + 9})
    {
        const std::string_view all = stream;
        const response_read r = read({all.substr(0, split), all.substr(split)});
        ASSERT_EQ(r.result, outcome::complete) << r.ec.message();
        EXPECT_EQ(r.body, "{}");
        ASSERT_EQ(r.headers.size(), 2u);
        EXPECT_EQ(r.headers[0].first, "Content-Type");
        EXPECT_EQ(r.headers[1].first, "Transfer-Encoding");
    }
}

}  // namespace
}  // namespace vovrest::fuzz
