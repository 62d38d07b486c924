// How the fake server reads a request off a connection: Beast's request_parser with the fields in
// the connection's arena and the server's limits, and what of it the service sees. Shared by the
// network shell (fake_server.cpp) and the fuzz target that reads requests the same way. Includes
// Beast: private to vovrest::testing, and to be included only where Beast is needed anyway.
#pragma once

#include "accelerator_service.hpp"
#include "field_arena.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <cstdint>

namespace vovrest::testing::detail {

// A request head larger than this is answered 431 and the connection closed.
constexpr std::uint32_t request_header_limit = 16 * 1024;

using request_parser = boost::beast::http::request_parser<boost::beast::http::string_body, arena_allocator<char>>;
using parsed_request = request_parser::value_type;

// Sets the server's limits on a parser about to read a request; bodies over max_body_bytes are
// answered 413.
inline void limit_request(request_parser& parser, std::size_t max_body_bytes)
{
    parser.header_limit(request_header_limit);
    parser.body_limit(max_body_bytes);
}

// Parses a request head from what `buffer` already holds, consuming what it used, exactly as
// http::async_read_header starts (so that a head already received costs no read operation). No
// error and !parser.is_header_done(): async_read_header goes on from there.
inline boost::system::error_code parse_buffered_head(request_parser& parser, boost::beast::flat_buffer& buffer)
{
    parser.eager(false);
    boost::system::error_code ec;
    while (buffer.size() > 0 && !parser.is_header_done())
    {
        const std::size_t used = parser.put(buffer.data(), ec);
        buffer.consume(used);
        if (ec == boost::beast::http::error::need_more || (!ec && used == 0))
            return {};
        if (ec)
            return ec;
    }
    return {};
}

// The parts of a request the service reads (views into `request`).
inline service_request service_request_of(const parsed_request& request)
{
    namespace http = boost::beast::http;
    return service_request{
        .method = request.method_string(),
        .target = request.target(),
        .authorization = request[http::field::authorization],
        .content_type = request[http::field::content_type],
        .body = request.body(),
    };
}

}  // namespace vovrest::testing::detail
