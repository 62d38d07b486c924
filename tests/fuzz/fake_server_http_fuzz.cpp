// The fake server's reading of requests off a keep-alive connection, with its limits
// (request_reading.hpp, as fake_server.cpp uses it: a read, the head parsed from the buffer and
// read on if need be, then the body; the fields in one arena reused request after request), each
// request then answered by accelerator_service.
// Up to four pipelined requests per input; the bytes arrive in reads split where the fuzzer
// chooses. An Authorization header whose value is VALID is replaced by a valid token for the user
// demo, so that requests reach the code behind the signature check.
//
// Input: the byte stream from the front; from the back (FuzzedDataProvider), the body limit and
// up to 16 read sizes.
#include "request_reading.hpp"
#include "service_reply_checks.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/read.hpp>

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace {

namespace http = boost::beast::http;
namespace td = vovrest::testing::detail;
using vovrest::fuzz::check;

// A SyncReadStream that returns the given reads one by one, then the end of the stream.
class scripted_stream
{
public:
    explicit scripted_stream(std::vector<std::string_view> reads) : reads_(std::move(reads)) {}

    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& buffers, boost::system::error_code& ec)
    {
        while (next_ < reads_.size() && reads_[next_].empty())
            ++next_;
        if (next_ == reads_.size())
        {
            ec = boost::asio::error::eof;
            return 0;
        }
        ec = {};
        std::string_view& read = reads_[next_];
        const std::size_t n = boost::asio::buffer_copy(buffers, boost::asio::buffer(read.data(), read.size()));
        read.remove_prefix(n);
        return n;
    }

    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& buffers)
    {
        boost::system::error_code ec;
        const std::size_t n = read_some(buffers, ec);
        if (ec)
            throw boost::system::system_error(ec);
        return n;
    }

private:
    std::vector<std::string_view> reads_;
    std::size_t next_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    FuzzedDataProvider in(data, size);
    vovrest::testing::fake_server_params params;
    if (in.ConsumeBool())
        params.max_body_bytes = in.ConsumeIntegralInRange<std::size_t>(0, 4096);
    std::vector<std::size_t> read_sizes(in.ConsumeIntegralInRange<std::size_t>(0, 16));
    for (auto& n : read_sizes)
        n = in.ConsumeIntegralInRange<std::size_t>(1, 1 << 17);
    const std::string bytes = in.ConsumeRemainingBytesAsString();

    std::vector<std::string_view> reads;
    std::string_view rest = bytes;
    for (std::size_t n : read_sizes)
    {
        reads.push_back(rest.substr(0, n));
        rest.remove_prefix(reads.back().size());
    }
    reads.push_back(rest);

    const std::chrono::system_clock::time_point wall{std::chrono::seconds{1'700'000'000}};
    const std::chrono::steady_clock::time_point steady{std::chrono::hours{10}};
    td::service_clock clock;
    clock.wall = [wall] { return wall; };
    clock.steady = [steady] { return steady; };
    td::accelerator_service service(params, clock);
    const std::string valid = "Bearer:" + service.issue_token_for("demo", std::chrono::hours{1});

    scripted_stream stream(std::move(reads));
    td::field_arena arena;
    boost::beast::flat_buffer buffer;
    for (int served = 0; served < 4; ++served)
    {
        td::request_parser parser(std::piecewise_construct, std::make_tuple(),
                                  std::make_tuple(td::arena_allocator<char>(arena)));
        td::limit_request(parser, params.max_body_bytes);
        // As the server reads: one read when nothing is buffered, the head parsed from the
        // buffer, the rest of the head read if need be, then the body.
        boost::system::error_code ec;
        if (buffer.size() == 0)
        {
            const std::size_t n = stream.read_some(buffer.prepare(boost::beast::read_size(buffer, 65536)), ec);
            if (ec)
                break;  // the client went away
            buffer.commit(n);
        }
        ec = td::parse_buffered_head(parser, buffer);
        if (!ec && !parser.is_header_done())
            http::read_header(stream, buffer, parser, ec);
        if (!ec && !parser.is_done())
            http::read(stream, buffer, parser, ec);
        if (ec)
            break;  // answered 413, 431 or 400, or the client went away: the connection ends
        const td::parsed_request& request = parser.get();
        check(request.body().size() <= params.max_body_bytes);

        td::service_request r = td::service_request_of(request);
        if (r.authorization == "VALID")
            r.authorization = valid;
        vovrest::fuzz::check_reply(r, service.handle(r));
        if (!request.keep_alive())
            break;
    }
    return 0;
}
