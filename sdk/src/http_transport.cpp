// The only translation unit of the SDK that includes Beast and Asio.SSL: opening connections, and
// the TCP and TLS connections themselves (writing a request, reading its one answer with Beast's
// parser fed by hand, the idle peek and the idle watch).
#include "response_reader.hpp"

#include <vovrest/detail/http_transport.hpp>
#include <vovrest/detail/wire_format.hpp>
#include <vovrest/diagnostics.hpp>
#include <vovrest/error.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <optional>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace vovrest::detail {
namespace {

// Bytes asked of the socket per read: a whole small answer at once, a large one in few reads.
constexpr std::size_t read_chunk = 16 * 1024;
// Interim (1xx) answers skipped before the final one; more is not a server to trust.
constexpr unsigned max_interim_answers = 8;

// Peeks at a socket without consuming anything: EAGAIN means nobody spoke, which is the only
// state in which a kept-alive connection may carry the next request.
bool socket_quiet(tcp::socket& socket) noexcept
{
    if (!socket.is_open())
        return false;
    char byte;
    const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void close_socket(tcp::socket& socket) noexcept
{
    error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
}

// The io_context behind an executor: its own, or a strand's over it; null for anything else.
asio::io_context* io_context_of(const asio::any_io_executor& ex) noexcept
{
    if (const auto* plain = ex.target<asio::io_context::executor_type>())
        return &plain->context();
    if (const auto* strand = ex.target<asio::strand<asio::io_context::executor_type>>())
        return &strand->get_inner_executor().context();
    return nullptr;
}

// Waits for readability without counting as the io_context's work: a session never keeps its
// io_context running on its own, so io.run() returns once the caller's work is done even while
// idle connections are watched. The reactor counts a pending wait as work; that count is given
// back at once and taken again when the wait ends (the scheduler gives it back after the handler).
template <class Socket, class Done>
void untracked_wait_readable(Socket& socket, asio::io_context* io, Done done)
{
    if (io == nullptr)
        return;  // no watch outside an io_context: the peek before writing still protects
    socket.async_wait(Socket::wait_read, [io, done = std::move(done)](error_code ec) mutable {
        io->get_executor().on_work_started();
        done(ec);
    });
    io->get_executor().on_work_finished();
}

bool post_to(asio::io_context* io, std::function<void()> fn)
{
    if (io == nullptr)
        return false;
    asio::post(*io, std::move(fn));
    return true;
}

bool is_end_of_stream(const error_code& ec) noexcept
{
    return ec == asio::error::eof || ec == ssl::error::stream_truncated;
}

// The reason a read or write failed, in words: the deadline or the caller, else the system's.
std::string io_cause(const operation_context& op, const error_code& ec, std::string_view step)
{
    if (op.timed_out())
        return std::string(step) + " took longer than its deadline";
    if (op.cancelled())
        return std::string(step) + " was cancelled";
    return std::string(step) + ": " + ec.message();
}

template <class Stream>
asio::awaitable<write_outcome> write_on(Stream& stream, operation_context& op, std::string_view head,
                                        std::string_view body)
{
    write_outcome outcome;
    const std::array<asio::const_buffer, 2> wire{asio::buffer(head), asio::buffer(body)};
    auto [ec, written] = co_await asio::async_write(stream, wire, op.step_token());
    if (ec)
    {
        outcome.bytes_sent = written > 0;
        outcome.ec = op.failure_or(error::connection_failed);
        outcome.cause = io_cause(op, ec, "sending the request");
    }
    else
    {
        outcome.bytes_sent = true;
    }
    co_return outcome;
}

// Reads one final answer from `stream`, feeding Beast's parser by hand: bytes that arrive are
// parsed as they come, interim answers are skipped, and whatever is left in `buffer` after the
// answer (the start of something the server was not asked for) makes the connection unusable.
template <class Stream>
asio::awaitable<read_outcome> read_on(Stream& stream, beast::flat_buffer& buffer, operation_context& op,
                                      const read_limits& limits, bool head_request, http_result& out)
{
    read_outcome outcome;
    for (unsigned interim = 0;; ++interim)
    {
        response_reader parser(out, limits.max_header_bytes, limits.max_body_bytes, head_request);
        bool closed_by_peer = false;
        while (!parser.is_done())
        {
            if (buffer.size() != 0)
            {
                error_code pec;
                const std::size_t used = parser.feed(buffer.data(), pec);
                buffer.consume(used);
                if (pec && pec != http::error::need_more)
                {
                    outcome.ec = error::bad_response;
                    outcome.cause = "the answer is not valid HTTP: " + pec.message();
                    co_return outcome;
                }
                if (parser.is_done() || (used != 0 && buffer.size() != 0))
                    continue;
            }
            auto [rec, n] = co_await stream.async_read_some(buffer.prepare(read_chunk), op.step_token());
            buffer.commit(n);
            if (n != 0)
                outcome.answer_started = true;
            if (!rec)
                continue;
            if (is_end_of_stream(rec) && !op.timed_out() && !op.cancelled() && parser.is_header_done())
            {
                // A body that runs to the end of the connection (no length given) ends here.
                error_code eec;
                parser.put_eof(eec);
                if (!eec)
                {
                    closed_by_peer = true;
                    break;
                }
            }
            outcome.ec = op.failure_or(error::connection_failed);
            if (outcome.ec == error::connection_failed)
                outcome.cause = outcome.answer_started
                                    ? "the connection broke in the middle of the answer: " + rec.message()
                                    : "the server closed the connection without answering: " + rec.message();
            else
                outcome.cause = io_cause(op, rec, "waiting for the answer");
            co_return outcome;
        }

        const unsigned status = parser.status();
        if (status >= 100 && status < 200)
        {
            // Interim answers (100 Continue, 103 Early Hints) are skipped (RFC 9110 15.2); a
            // switch of protocols was never asked for.
            if (status == 101 || interim + 1 >= max_interim_answers || closed_by_peer)
            {
                outcome.ec = error::bad_response;
                outcome.cause =
                    status == 101 ? "the server switched protocols unasked" : "too many interim (1xx) answers";
                co_return outcome;
            }
            continue;
        }
        outcome.keep_alive_timeout = parser.keep_alive_timeout();
        // Reusable only if nothing at all follows the answer.
        outcome.reusable = parser.keep_alive() && !closed_by_peer && buffer.size() == 0;
        buffer.clear();
        co_return outcome;
    }
}

class tcp_connection final : public connection
{
public:
    tcp_connection(const asio::any_io_executor& ex, asio::io_context* context) : socket(ex), io(context) {}

    asio::awaitable<write_outcome> write(operation_context& op, std::string_view head, std::string_view body) override
    {
        return write_on(socket, op, head, body);
    }
    asio::awaitable<read_outcome> read(operation_context& op, const read_limits& limits, bool head_request,
                                       http_result& out) override
    {
        return read_on(socket, buffer, op, limits, head_request, out);
    }
    bool quiet() noexcept override { return socket_quiet(socket); }
    void close() noexcept override { close_socket(socket); }

    tcp::socket socket;
    beast::flat_buffer buffer;
    asio::io_context* io;

protected:
    bool post_soon(std::function<void()> fn) override { return post_to(io, std::move(fn)); }

    void wait_readable(std::uint64_t watch_id) override
    {
        untracked_wait_readable(
            socket, io, [self = shared_from_this(), watch_id](error_code ec) { self->watch_ended(watch_id, ec); });
    }
};

class tls_connection final : public connection
{
public:
    tls_connection(const asio::any_io_executor& ex, asio::io_context* context, ssl::context& ctx)
        : socket(ex, ctx), io(context)
    {}

    asio::awaitable<write_outcome> write(operation_context& op, std::string_view head, std::string_view body) override
    {
        return write_on(socket, op, head, body);
    }
    asio::awaitable<read_outcome> read(operation_context& op, const read_limits& limits, bool head_request,
                                       http_result& out) override
    {
        return read_on(socket, buffer, op, limits, head_request, out);
    }
    // A TLS record that arrives while idle (close_notify above all) counts as stray bytes.
    bool quiet() noexcept override { return socket_quiet(socket.next_layer()); }
    // No close_notify exchange: the connection is dropped, and waiting for the peer would put a
    // network round trip into every close.
    void close() noexcept override { close_socket(socket.next_layer()); }

    ssl::stream<tcp::socket> socket;
    beast::flat_buffer buffer;
    asio::io_context* io;

protected:
    // The TCP socket's readability, not a TLS read: nothing is consumed and the TLS engine is not
    // touched, so the connection stays usable until something actually arrives.
    bool post_soon(std::function<void()> fn) override { return post_to(io, std::move(fn)); }

    void wait_readable(std::uint64_t watch_id) override
    {
        untracked_wait_readable(socket.next_layer(), io, [self = shared_from_this(), watch_id](error_code ec) {
            self->watch_ended(watch_id, ec);
        });
    }
};

// Why a handshake failed, in words: the certificate's problem when verification refused it.
std::string handshake_cause(ssl::stream<tcp::socket>& stream, const operation_context& op, const error_code& ec)
{
    if (op.timed_out() || op.cancelled())
        return io_cause(op, ec, "the TLS handshake");
    const long verify = SSL_get_verify_result(stream.native_handle());
    if (verify != X509_V_OK)
        return std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
    return "the TLS handshake failed: " + ec.message();
}

}  // namespace

struct http_transport::impl
{
    asio::io_context* io;
    // Sockets live on the io_context's own executor when there is one: their completions go to
    // the operation's executor anyway, and a plain executor tracks no work of its own.
    asio::any_io_executor executor;
    base_url url;
    std::chrono::steady_clock::duration connect_timeout;
    std::chrono::steady_clock::duration handshake_timeout;
    bool verify_peer;
    std::optional<ssl::context> tls;
    std::string port_text;

    impl(asio::any_io_executor ex, base_url u, const session_params& p)
        : io(io_context_of(ex)),
          executor(io ? asio::any_io_executor(io->get_executor()) : std::move(ex)),
          url(std::move(u)),
          connect_timeout(p.connect_timeout),
          handshake_timeout(p.handshake_timeout),
          verify_peer(!p.tls.insecure_skip_verify),
          port_text(std::to_string(url.port))
    {
        if (url.https)
            tls.emplace(make_tls_context(p.tls));
    }

    static ssl::context make_tls_context(const tls_params& params)
    {
        ssl::context ctx(ssl::context::tls_client);
        ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3
                        | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        error_code ec;
        if (params.insecure_skip_verify)
        {
            ctx.set_verify_mode(ssl::verify_none);
            return ctx;
        }
        ctx.set_verify_mode(ssl::verify_peer);
        if (params.use_system_store)
            ctx.set_default_verify_paths(ec);
        ec.clear();  // no system store is not an error when a ca_file is given
        if (!params.ca_file.empty())
            ctx.load_verify_file(params.ca_file, ec);
        if (ec)
            throw error_with_diagnostics(error::tls_failed,
                                         client_failure("cannot load ca_file " + params.ca_file + ": " + ec.message()));
        if (!params.ca_dir.empty())
            ctx.add_verify_path(params.ca_dir, ec);
        if (ec)
            throw error_with_diagnostics(error::tls_failed,
                                         client_failure("cannot use ca_dir " + params.ca_dir + ": " + ec.message()));
        return ctx;
    }

    asio::awaitable<open_outcome> open(operation_context& op)
    {
        open_outcome outcome;
        tcp::resolver resolver(executor);
        op.arm(connect_timeout);
        auto [rec, endpoints] = co_await resolver.async_resolve(url.host, port_text, op.step_token());
        if (rec)
        {
            outcome.ec = op.failure_or(error::connection_failed);
            outcome.cause = io_cause(op, rec, "resolving " + url.host);
            co_return outcome;
        }

        std::shared_ptr<connection> conn;
        tcp::socket* socket = nullptr;
        tls_connection* secure = nullptr;
        if (tls)
        {
            auto c = std::make_shared<tls_connection>(executor, io, *tls);
            socket = &c->socket.next_layer();
            secure = c.get();
            conn = std::move(c);
        }
        else
        {
            auto c = std::make_shared<tcp_connection>(executor, io);
            socket = &c->socket;
            conn = std::move(c);
        }
        auto [cec, endpoint] = co_await asio::async_connect(*socket, endpoints, op.step_token());
        if (cec)
        {
            outcome.ec = op.failure_or(error::connection_failed);
            outcome.cause = io_cause(op, cec, "connecting to " + url.host + ":" + port_text);
            co_return outcome;
        }
        error_code ignored;
        socket->set_option(tcp::no_delay(true), ignored);

        if (secure)
        {
            if (verify_peer)
                secure->socket.set_verify_callback(ssl::host_name_verification(url.host));
            // SNI: only for names, never for IP literals (RFC 6066).
            error_code parse_ec;
            asio::ip::make_address(url.host, parse_ec);
            if (parse_ec && !SSL_set_tlsext_host_name(secure->socket.native_handle(), url.host.c_str()))
            {
                outcome.ec = error::tls_failed;
                outcome.cause = "cannot set the server name (SNI) for " + url.host;
                co_return outcome;
            }
            op.arm(handshake_timeout);
            auto [hec] = co_await secure->socket.async_handshake(ssl::stream_base::client, op.step_token());
            if (hec)
            {
                outcome.ec = op.failure_or(error::tls_failed);
                outcome.cause = handshake_cause(secure->socket, op, hec);
                co_return outcome;
            }
        }
        outcome.conn = std::move(conn);
        co_return outcome;
    }
};

http_transport::http_transport(asio::any_io_executor ex, base_url url, const session_params& params)
    : impl_(std::make_unique<impl>(std::move(ex), std::move(url), params))
{}

http_transport::~http_transport() = default;

asio::awaitable<open_outcome> http_transport::open(operation_context& op)
{
    return impl_->open(op);
}

}  // namespace vovrest::detail
