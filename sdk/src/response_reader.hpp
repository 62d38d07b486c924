// Reads one HTTP/1.1 answer straight into an http_result: Beast's basic_parser (the same
// validation, limits and chunked decoding as its response_parser) with the fields and the body
// written where they end up, instead of into a fields container that is then copied. Private to
// the SDK: included by http_transport.cpp and by its fuzz target only (it brings in Beast).
// Thread-safety: none; one reader per answer.
#pragma once

#include <vovrest/detail/http_message.hpp>

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace vovrest::detail {

class response_reader final : public boost::beast::http::basic_parser<false>
{
public:
    using error_code = boost::system::error_code;

    // `out` receives the status, the fields in order and the body; a new reader per answer (an
    // interim 1xx answer included): Beast parsers are used once.
    response_reader(http_result& out, std::size_t max_header_bytes, std::size_t max_body_bytes, bool head_request)
        : out_(out)
    {
        header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(max_header_bytes, UINT32_MAX)));
        body_limit(max_body_bytes);
        eager(true);
        skip(head_request);
    }

    // put() for the bytes received so far (all of them, from the first one not yet used). While a
    // chunked body is read, fewer than 5 bytes are held back until more come: Beast 1.81 asserts
    // that a final chunk it saw alone ("0\r\n", waiting for its trailer) is put again with at
    // least 5 bytes (basic_parser.ipp, parse_chunk_header; fixed upstream by boostorg/beast#2861),
    // and a debug build would abort on a server that sends the next byte alone. Nothing is lost:
    // no chunked body ends in fewer than 5 bytes ("0\r\n\r\n"), and at the end of the stream
    // put_eof() reports the message as partial whatever was held back.
    std::size_t feed(boost::asio::const_buffer bytes, error_code& ec)
    {
        if (bytes.size() < min_chunked_tail && is_header_done() && chunked() && !is_done())
        {
            ec = boost::beast::http::error::need_more;
            return 0;
        }
        return put(bytes, ec);
    }

    unsigned status() const noexcept { return out_.status; }
    // The server's Keep-Alive: timeout=N, when it sent one.
    std::optional<std::chrono::seconds> keep_alive_timeout() const noexcept { return keep_alive_timeout_; }

    // "timeout=5, max=100" -> 5 s (at most a day).
    static std::optional<std::chrono::seconds> parse_keep_alive_timeout(std::string_view value) noexcept
    {
        const auto at = value.find("timeout=");
        if (at == std::string_view::npos)
            return std::nullopt;
        value.remove_prefix(at + 8);
        unsigned seconds = 0;
        const auto [end, err] = std::from_chars(value.data(), value.data() + value.size(), seconds);
        if (err != std::errc{} || end == value.data())
            return std::nullopt;
        return std::chrono::seconds(std::min(seconds, 24u * 3600u));
    }

private:
    static constexpr std::size_t expected_fields = 8;
    static constexpr std::size_t min_chunked_tail = 5;
    using string_view = boost::beast::string_view;

    void on_request_impl(boost::beast::http::verb, string_view, string_view, int, error_code& ec) override
    {
        ec = boost::beast::http::error::bad_method;  // never called for a response parser
    }

    void on_response_impl(int code, string_view, int, error_code&) override
    {
        out_.status = static_cast<unsigned>(code);
        out_.headers.clear();
        // Room for a usual answer's fields at once: growing 1, 2, 4, 8 moved every pair each time.
        out_.headers.reserve(expected_fields);
        out_.body.clear();
    }

    void on_field_impl(boost::beast::http::field name, string_view name_text, string_view value, error_code&) override
    {
        // Fields after a chunked body (a trailer) are dropped: nothing here asks for one, and a
        // trailer is not the answer's header (RFC 9110 6.5.2: a Location there is no Location).
        if (is_header_done())
            return;
        out_.headers.emplace_back(std::string(name_text), std::string(value));
        if (name == boost::beast::http::field::keep_alive)
            keep_alive_timeout_ = parse_keep_alive_timeout(value);
    }

    void on_header_impl(error_code&) override {}

    void on_body_init_impl(const boost::optional<std::uint64_t>& content_length, error_code&) override
    {
        // The parser has already refused a length over the body limit.
        if (content_length)
            out_.body.reserve(static_cast<std::size_t>(*content_length));
    }

    std::size_t on_body_impl(string_view body, error_code&) override
    {
        out_.body.append(body.data(), body.size());
        return body.size();
    }

    void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}

    std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override
    {
        out_.body.append(body.data(), body.size());
        return body.size();
    }

    void on_finish_impl(error_code&) override {}

    http_result& out_;
    std::optional<std::chrono::seconds> keep_alive_timeout_;
};

}  // namespace vovrest::detail
