// The only translation unit of the SDK that includes Beast and Asio.SSL.
#include <vovrest/detail/connection_pool.hpp>
#include <vovrest/detail/http_transport.hpp>
#include <vovrest/detail/wire_format.hpp>
#include <vovrest/diagnostics.hpp>
#include <vovrest/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

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

// Peeks at an idle socket without consuming anything: EAGAIN means nobody spoke, which is the
// only state in which a keep-alive connection may be reused.
bool socket_quiet(tcp::socket& socket) noexcept
{
    if (!socket.is_open())
        return false;
    char byte;
    const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

class tcp_connection final : public connection
{
public:
    explicit tcp_connection(const asio::any_io_executor& ex) : socket(ex) {}
    bool alive_while_idle() noexcept override { return socket_quiet(socket); }
    void close() noexcept override
    {
        error_code ignored;
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
    }
    tcp::socket& lowest() noexcept { return socket; }

    tcp::socket socket;
    beast::flat_buffer buffer;
    std::string head;  // the request head, rewritten for each request in the same memory
};

class tls_connection final : public connection
{
public:
    tls_connection(const asio::any_io_executor& ex, ssl::context& ctx) : socket(ex, ctx) {}
    bool alive_while_idle() noexcept override { return socket_quiet(socket.next_layer()); }
    // No TLS close_notify exchange: the connection is dropped, and waiting for the peer would put
    // a network round trip into every close.
    void close() noexcept override
    {
        error_code ignored;
        socket.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
        socket.next_layer().close(ignored);
    }
    tcp::socket& lowest() noexcept { return socket.next_layer(); }

    ssl::stream<tcp::socket> socket;
    beast::flat_buffer buffer;
    std::string head;
};

// How one exchange on one connection ended, before any retry decision.
struct exchange_outcome
{
    error_code ec;
    bool bytes_sent = false;
    bool keep_alive = false;
};

}  // namespace

struct http_transport::impl
{
    asio::any_io_executor executor;
    base_url url;
    session_params params;
    session_observer& observer;
    std::optional<ssl::context> tls;
    connection_pool pool;
    std::string port_text;
    std::string host_header;

    impl(asio::any_io_executor ex, base_url u, const session_params& p, session_observer& obs)
        : executor(std::move(ex)),
          url(std::move(u)),
          params(p),
          observer(obs),
          pool(p.max_connections, p.idle_timeout, obs),
          port_text(std::to_string(url.port)),
          host_header(url.host_header())
    {
        if (url.https)
            tls.emplace(make_tls_context());
    }

    ssl::context make_tls_context()
    {
        ssl::context ctx(ssl::context::tls_client);
        ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                        ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        error_code ec;
        if (params.tls.insecure_skip_verify)
        {
            ctx.set_verify_mode(ssl::verify_none);
            return ctx;
        }
        ctx.set_verify_mode(ssl::verify_peer);
        if (params.tls.use_system_store)
            ctx.set_default_verify_paths(ec);
        ec.clear();  // no system store is not an error when a ca_file is given
        if (!params.tls.ca_file.empty())
            ctx.load_verify_file(params.tls.ca_file, ec);
        if (ec)
            throw error_with_diagnostics(error::tls_failed, {0, "cannot load ca_file " + params.tls.ca_file, {}, {}, {}});
        if (!params.tls.ca_dir.empty())
            ctx.add_verify_path(params.tls.ca_dir, ec);
        if (ec)
            throw error_with_diagnostics(error::tls_failed, {0, "cannot use ca_dir " + params.tls.ca_dir, {}, {}, {}});
        return ctx;
    }

    // Resolves and connects (and for https: SNI, host name check, handshake), each step under its
    // own deadline.
    asio::awaitable<std::pair<error_code, connection_pool::connection_ptr>> open(operation_context& op)
    {
        tcp::resolver resolver(executor);
        op.arm(params.connect_timeout);
        auto [rec, endpoints] = co_await resolver.async_resolve(url.host, port_text, op.step_token());
        if (rec)
            co_return std::pair{op.failure_or(error::connection_failed), nullptr};

        std::unique_ptr<connection> conn;
        tcp::socket* socket = nullptr;
        tls_connection* secure = nullptr;
        if (tls)
        {
            auto c = std::make_unique<tls_connection>(executor, *tls);
            socket = &c->lowest();
            secure = c.get();
            conn = std::move(c);
        }
        else
        {
            auto c = std::make_unique<tcp_connection>(executor);
            socket = &c->lowest();
            conn = std::move(c);
        }
        auto [cec, ep] = co_await asio::async_connect(*socket, endpoints, op.step_token());
        if (cec)
            co_return std::pair{op.failure_or(error::connection_failed), nullptr};
        socket->set_option(tcp::no_delay(true));

        if (secure)
        {
            if (!params.tls.insecure_skip_verify)
                secure->socket.set_verify_callback(ssl::host_name_verification(url.host));
            // SNI: only for names, never for IP literals (RFC 6066).
            error_code parse_ec;
            asio::ip::make_address(url.host, parse_ec);
            if (parse_ec && !SSL_set_tlsext_host_name(secure->socket.native_handle(), url.host.c_str()))
                co_return std::pair{error_code(error::tls_failed), nullptr};
            op.arm(params.handshake_timeout);
            auto [hec] = co_await secure->socket.async_handshake(ssl::stream_base::client, op.step_token());
            if (hec)
                co_return std::pair{op.failure_or(error::tls_failed), nullptr};
        }
        observer.bump(observer.connections_opened);
        observer.emit(event_kind::connection_opened);
        co_return std::pair{error_code{}, std::move(conn)};
    }

    template <class Stream>
    asio::awaitable<exchange_outcome> exchange_on(Stream& stream, beast::flat_buffer& buffer, std::string& head,
                                                  operation_context& op, http_request& request, http_result& result)
    {
        exchange_outcome outcome;
        // The head is written by hand into the connection's own buffer (no per-request fields
        // container), and the body is sent from the request itself (no copy to wipe).
        if (!write_request_head(head, request.method, request.target, host_header, params.user_agent,
                                request.authorization, request.content_type, request.body.size()))
        {
            outcome.ec = error::bad_request;
            co_return outcome;
        }
        const std::array<asio::const_buffer, 2> wire{asio::buffer(head),
                                                     asio::buffer(request.content_type.empty() ? std::string_view()
                                                                                               : std::string_view(request.body))};
        op.arm(params.request_timeout);
        auto [wec, written] = co_await asio::async_write(stream, wire, op.step_token());
        outcome.bytes_sent = written > 0 || !wec;
        if (wec)
        {
            outcome.ec = op.failure_or(error::connection_failed);
            co_return outcome;
        }

        http::response_parser<http::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(params.max_header_bytes));
        parser.body_limit(params.max_body_bytes);
        if (request.method == "HEAD")
            parser.skip(true);
        auto [rec, read] = co_await http::async_read(stream, buffer, parser, op.step_token());
        op.disarm();
        if (rec)
        {
            if (op.timed_out() || op.cancelled())
                outcome.ec = op.interruption();
            else if (rec.category() == error_code(http::error::bad_target).category() &&
                     rec != http::error::end_of_stream && rec != http::error::partial_message)
                outcome.ec = error::bad_response;  // not HTTP, or over a size limit
            else
                outcome.ec = error::connection_failed;
            co_return outcome;
        }
        auto& answer = parser.get();
        result.status = answer.result_int();
        result.headers.clear();
        result.headers.reserve(static_cast<std::size_t>(std::distance(answer.begin(), answer.end())));
        for (const auto& field : answer)
            result.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        result.body = std::move(answer.body());
        outcome.keep_alive = answer.keep_alive();
        co_return outcome;
    }

    asio::awaitable<error_code> exchange(operation_context& op, http_request& request, http_result& result)
    {
        constexpr int max_unsent_retries = 2;  // request provably never reached the server
        int unsent_retries = 0;
        bool resent_after_bytes = false;
        bool want_fresh = false;  // after a failure on a kept-alive connection
        result.needs_token = false;
        for (;;)
        {
            connection_pool::connection_ptr conn;
            error_code aec;
            if (!pool.try_acquire(conn, aec, request.idempotent()))
            {
                op.arm({});
                auto [wec, waited] = co_await pool.async_acquire(op.executor(), request.ahead_of_queue, op.step_token());
                aec = wec;
                conn = std::move(waited);
            }
            if (aec)
                co_return aec == asio::error::operation_aborted ? op.interruption() : aec;
            if (conn && want_fresh && conn->reused)
            {
                // Its slot is reused for a new connection: another idle one may be stale too.
                conn->close();
                observer.bump(observer.connections_dropped);
                observer.emit(event_kind::connection_dropped);
                conn.reset();
            }
            if (!conn)
            {
                auto [oec, opened] = co_await open(op);
                if (oec)
                {
                    pool.release_slot();
                    if (oec == error::connection_failed && unsent_retries++ < max_unsent_retries &&
                        !op.timed_out() && !op.cancelled())
                    {
                        note_retry();
                        continue;
                    }
                    co_return oec;
                }
                conn = std::move(opened);
            }
            if (request.authorizer && !request.authorizer->attach(request))
            {
                // Nothing was written: the connection serves the next caller.
                pool.release(std::move(conn), true);
                result.needs_token = true;
                co_return error_code{};
            }

            exchange_outcome outcome;
            if (tls)
            {
                auto& c = static_cast<tls_connection&>(*conn);
                outcome = co_await exchange_on(c.socket, c.buffer, c.head, op, request, result);
            }
            else
            {
                auto& c = static_cast<tcp_connection&>(*conn);
                outcome = co_await exchange_on(c.socket, c.buffer, c.head, op, request, result);
            }
            if (!outcome.ec)
            {
                pool.release(std::move(conn), outcome.keep_alive);
                co_return error_code{};
            }
            pool.release(std::move(conn), false);
            if (outcome.ec == error::timeout && outcome.bytes_sent && !request.idempotent())
                co_return error_code(error::outcome_unknown);  // the server may have it
            if (outcome.ec == asio::error::operation_aborted || outcome.ec == error::timeout)
                co_return outcome.ec;
            want_fresh = true;
            if (!outcome.bytes_sent)
            {
                if (unsent_retries++ < max_unsent_retries && outcome.ec == error::connection_failed)
                {
                    note_retry();
                    continue;
                }
                co_return outcome.ec;
            }
            // Bytes left: only an idempotent request may go again, once, on a fresh connection.
            if (request.idempotent())
            {
                if (!resent_after_bytes && outcome.ec == error::connection_failed)
                {
                    resent_after_bytes = true;
                    note_retry();
                    continue;
                }
                co_return outcome.ec;
            }
            // A POST may have been carried out: never resent, so that no job is submitted twice.
            co_return error_code(error::outcome_unknown);
        }
    }

    void note_retry()
    {
        observer.bump(observer.retries);
        observer.emit(event_kind::retry);
    }
};

http_transport::http_transport(asio::any_io_executor ex, base_url url, const session_params& params,
                               session_observer& observer)
    : impl_(std::make_unique<impl>(std::move(ex), std::move(url), params, observer))
{
}

http_transport::~http_transport() = default;

asio::awaitable<error_code> http_transport::exchange(operation_context& op, http_request& request,
                                                     http_result& result)
{
    return impl_->exchange(op, request, result);
}

void http_transport::shutdown()
{
    impl_->pool.shutdown();
}

}  // namespace vovrest::detail
