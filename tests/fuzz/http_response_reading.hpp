// How the SDK reads one HTTP response from a connection, as a function of the bytes that arrive:
// the transport's own reader (sdk/src/response_reader.hpp, Beast's basic_parser writing into an
// http_result) with the transport's limits (max_header_bytes, max_body_bytes, no body for HEAD),
// fed through feed() the way the transport feeds it (one buffer, each read appended). The fuzz
// target http_response_fuzz drives it with the reads split where the fuzzer chooses.
#pragma once

#include "response_reader.hpp"

#include <vovrest/detail/http_message.hpp>
#include <vovrest/session_params.hpp>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vovrest::fuzz {

struct response_read_limits
{
    std::size_t max_header_bytes = session_params{}.max_header_bytes;
    std::size_t max_body_bytes = session_params{}.max_body_bytes;
};

struct response_read
{
    enum class outcome
    {
        complete,  // one whole response
        waiting,   // every read consumed, the message not finished, the peer still there
        failed,    // not HTTP, over a limit, or the peer closed in the middle (ec)
    };
    outcome result = outcome::waiting;
    boost::system::error_code ec;
    unsigned status = 0;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    bool keep_alive = false;
    std::size_t completions = 0;  // how many times the reader said "complete" (one at most)
    std::size_t reads = 0;        // reads taken from `reads`, the one that completed included
    std::size_t consumed = 0;     // bytes of the stream the response was made of
    std::size_t left_over = 0;    // bytes that arrived beyond it: the connection cannot be reused
};

// Reads one response from a stream that delivers `reads` (one element per read_some) and then,
// when `eof`, the end of the stream. Reading stops at the first complete message: every byte
// received after it, in the read that completed it or later, counts as left over.
inline response_read read_one_response(std::span<const std::string_view> reads, bool eof, bool head_request,
                                       const response_read_limits& limits = {})
{
    namespace http = boost::beast::http;
    response_read out;
    detail::http_result answer;
    detail::response_reader parser(answer, limits.max_header_bytes, limits.max_body_bytes, head_request);

    boost::beast::flat_buffer buffer;
    std::size_t received = 0;
    const auto finish = [&](response_read::outcome result) {
        out.result = result;
        if (result == response_read::outcome::complete)
        {
            ++out.completions;
            out.consumed = received - buffer.size();
            out.left_over = buffer.size();
            for (std::size_t i = out.reads; i < reads.size(); ++i)
                out.left_over += reads[i].size();
            out.status = answer.status;
            out.body = answer.body;
            out.headers = answer.headers;
            out.keep_alive = parser.keep_alive();
        }
        return out;
    };

    for (;;)
    {
        // Parse what the buffer holds (Beast's read_some: put until need_more or an error).
        while (buffer.size() > 0 && !parser.is_done())
        {
            boost::system::error_code ec;
            const std::size_t used = parser.feed(buffer.data(), ec);
            buffer.consume(used);
            if (ec == http::error::need_more)
                break;
            if (ec)
            {
                out.ec = ec;
                return finish(response_read::outcome::failed);
            }
            if (used == 0 && !parser.is_done())
                __builtin_trap();  // no progress and no error: http::read would spin forever
        }
        if (parser.is_done())
            return finish(response_read::outcome::complete);
        if (out.reads == reads.size())
            break;
        const std::string_view next = reads[out.reads++];
        auto space = buffer.prepare(next.size());
        std::memcpy(space.data(), next.data(), next.size());
        buffer.commit(next.size());
        received += next.size();
    }
    if (!eof)
        return finish(response_read::outcome::waiting);
    if (!parser.got_some())
    {
        out.ec = http::error::end_of_stream;
        return finish(response_read::outcome::failed);
    }
    boost::system::error_code ec;
    parser.put_eof(ec);
    if (ec)
    {
        out.ec = ec;
        return finish(response_read::outcome::failed);
    }
    return finish(response_read::outcome::complete);
}

}  // namespace vovrest::fuzz
