// The fake server's network shell: sockets, TLS, HTTP/1.1 keep-alive and the connection-level
// faults around the sans-I/O accelerator_service. This is the only translation unit of
// vovrest::testing that includes Asio and Beast.
//
// Threads and lifetime: one io_context run by params.threads threads. The acceptor and the
// revocation timer live on one strand (control), each connection on a strand of its own (with
// one thread, on the io_context itself: one thread is a strand already); stop() posts a close
// to every one of them and joins the threads once the io_context has run out of work, so no
// thread, socket or coroutine outlives stop().
//
// The control routes GET /__fake/stats and POST /__fake/revoke need no token and ignore every
// fault knob (latency, never_respond, closes): a test can always read the counters.
//
// Counting: connections_accepted counts every socket accepted, those then refused over the cap
// (the smaller of connection_limit and faults.max_connections) included; connections_dropped
// counts every connection closed by a fault knob (close_fraction, silent_close_fraction,
// drop_before_response_fraction) or by the cap; idle_timeouts and header_timeouts count the
// connections closed by each timeout (not counted as dropped: no fault fired).
// The fractions are rolled per request, in that order: drop, announced close, silent close.
// Bodies over max_body_bytes get 413 and headers over 16 KiB get 431 from the shell, and the
// connection is closed (after reading what the client still sends, for a second at most).
//
// Timeouts: a connection waiting for a request has a deadline (idle_timeout until the first
// byte of a request on a kept-alive connection; header_timeout from that byte until the head is
// complete, or from accept for the first request); none while a request is answered or its body
// read. One timer on the control strand sweeps the connections a few times per timeout and
// closes those past their deadline, without an answer: a request costs a clock read and an
// atomic store, not a timer of its own.
#include <vovrest/testing/fake_server.hpp>

#include "accelerator_service.hpp"
#include "fault_dice.hpp"
#include "field_arena.hpp"
#include "request_reading.hpp"
#include "self_signed_certificate.hpp"
#include "stats_json.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <limits>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <unordered_set>
#include <utility>

namespace vovrest::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

constexpr std::chrono::seconds handshake_timeout{10};
constexpr std::chrono::seconds shutdown_timeout{2};
// After an error answered in the middle of a request (413, 431), the rest of the request is
// read and thrown away for a while, so that closing does not reset the connection before the
// client has read the answer.
constexpr std::chrono::seconds linger_timeout{1};
constexpr std::size_t linger_max_bytes = 8 * 1024 * 1024;

using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

template <class Stream>
constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

void report_exception(const char* where, std::exception_ptr e) noexcept
{
    if (!e)
        return;
    try
    {
        std::rethrow_exception(e);
    }
    catch (const std::exception& ex)
    {
        std::fprintf(stderr, "vovrest fake_server: %s: %s\n", where, ex.what());
    }
    catch (...)
    {
        std::fprintf(stderr, "vovrest fake_server: %s: unknown exception\n", where);
    }
}

// co_spawn's completion: asio::detached would swallow an exception; this one says it.
struct log_exceptions
{
    const char* where;
    void operator()(std::exception_ptr e) const noexcept { report_exception(where, e); }
};

// Steady-clock nanoseconds; no_deadline: the connection is not waiting for a request.
constexpr std::int64_t no_deadline = std::numeric_limits<std::int64_t>::max();

// What a connection with a deadline is waiting for.
enum class waiting_for : std::uint8_t
{
    nothing,
    request,
    head
};

// One live connection as stop() and the timeout sweep see it. close() must run on executor().
class connection_base
{
public:
    virtual ~connection_base() = default;
    virtual asio::any_io_executor executor() = 0;
    virtual void close() = 0;
    virtual void reset() = 0;

    // Written on executor() only; the sweep reads the deadline from the control strand.
    std::atomic<std::int64_t> deadline{no_deadline};
    waiting_for waiting = waiting_for::nothing;
    bool closed = false;
};

template <class Stream>
class connection final : public connection_base
{
public:
    template <class... Args>
    explicit connection(tcp::socket socket, Args&... args)
        : stream(std::move(socket), args...), timer(stream.get_executor())
    {}

    asio::any_io_executor executor() override { return stream.get_executor(); }

    // What requests are read from and responses written to. A plain connection goes straight to
    // its socket: the tcp_stream's timeouts are only armed after an error and at shutdown, and
    // its layer cost an executor and a shared_ptr copy per operation. TLS needs its stream.
    auto& io()
    {
        if constexpr (is_tls<Stream>)
            return stream;
        else
            return stream.socket();
    }

    void close() override
    {
        closed = true;
        deadline.store(no_deadline, std::memory_order_relaxed);
        timer.cancel();
        beast::get_lowest_layer(stream).close();
    }

    // A crash: the peer sees a reset, not an orderly close.
    void reset() override
    {
        crashed = true;
        boost::system::error_code ignored;
        beast::get_lowest_layer(stream).socket().set_option(asio::socket_base::linger(true, 0), ignored);
        close();
    }

    Stream stream;
    asio::steady_timer timer;   // latency
    std::string out;            // the response being written, its capacity kept for the next
    detail::field_arena arena;  // the fields of the request being read
    bool crashed = false;
};

struct shell_counters
{
    std::atomic<std::uint64_t> connections_accepted{0};
    std::atomic<std::uint64_t> connections_dropped{0};
    std::atomic<std::uint64_t> closes_announced{0};
    std::atomic<std::uint64_t> silent_closes{0};
    std::atomic<std::uint64_t> drops_before_response{0};
    std::atomic<std::uint64_t> connections_refused_over_cap{0};
    std::atomic<std::uint64_t> idle_timeouts{0};
    std::atomic<std::uint64_t> header_timeouts{0};
    std::atomic<std::uint64_t> answers_lost_to_crash{0};
};

// Keeps token_requests_in_flight_max honest: a token request counts from the moment it is read
// until its reply exists, latency included, whatever way the coroutine ends.
class token_in_flight
{
public:
    explicit token_in_flight(detail::accelerator_service& service) : service_(service)
    {
        service_.token_request_started();
    }
    ~token_in_flight() { service_.token_request_finished(); }
    token_in_flight(const token_in_flight&) = delete;
    token_in_flight& operator=(const token_in_flight&) = delete;

private:
    detail::accelerator_service& service_;
};

std::string read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("fake_server: cannot read " + path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const std::string& content)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (!out)
        throw std::runtime_error("fake_server: cannot write " + path);
}

asio::ip::address resolve_listen_host(asio::io_context& ioc, const std::string& host)
{
    boost::system::error_code ec;
    auto address = asio::ip::make_address(host.empty() ? std::string("127.0.0.1") : host, ec);
    if (!ec)
        return address;
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(host, "0");
    if (results.empty())
        throw std::runtime_error("fake_server: cannot resolve " + host);
    return results.begin()->endpoint().address();
}

std::string url_host(const asio::ip::address& address)
{
    if (address.is_unspecified())
        return address.is_v4() ? "127.0.0.1" : "[::1]";
    if (address.is_v6())
        return "[" + address.to_string() + "]";
    return address.to_string();
}

detail::service_reply json_reply(unsigned status, std::string body)
{
    detail::service_reply reply;
    reply.status = status;
    reply.body = std::move(body);
    return reply;
}

// The bytes Beast's serializer would write for this reply (status line; Server, Content-Type,
// the reply's own headers, Connection as keep_alive() sets it, Content-Length; the body),
// rendered into one reusable buffer: the serializer (a buffers_cat_view walked per write, one
// allocation per field) cost 8,000 more instructions per request under callgrind.
void render_response(std::string& out, const detail::service_reply& reply, unsigned version, bool keep_alive)
{
    const auto append = [&out](std::string_view s) { out.append(s.data(), s.size()); };
    out.clear();
    append("HTTP/");
    out += static_cast<char>('0' + version / 10);
    out += '.';
    out += static_cast<char>('0' + version % 10);
    out += ' ';
    append(std::to_string(reply.status));
    out += ' ';
    append(http::obsolete_reason(static_cast<http::status>(reply.status)));
    append("\r\nServer: vovrest-fake-server\r\nContent-Type: ");
    append(reply.content_type);
    append("\r\n");
    for (const auto& [name, value] : reply.headers)
    {
        append(name);
        append(": ");
        append(value);
        append("\r\n");
    }
    if (version >= 11 && !keep_alive)
        append("Connection: close\r\n");
    else if (version < 11 && keep_alive)
        append("Connection: keep-alive\r\n");
    append("Content-Length: ");
    append(std::to_string(reply.body.size()));
    append("\r\n\r\n");
    append(reply.body);
}

}  // namespace

struct fake_server::impl
{
    explicit impl(fake_server_params p)
        : params(std::move(p)), service(params), faults(params.faults), dice(params.seed)
    {
        if (params.threads == 0)
            params.threads = 1;
    }

    fake_server_params params;
    detail::accelerator_service service;

    mutable std::mutex mutex;  // guards the members down to the next blank line
    fake_faults faults;
    std::unordered_set<std::shared_ptr<connection_base>> connections;
    bool stopping = true;
    std::uint16_t bound_port = 0;
    std::string bound_url;
    std::string cert_pem;

    detail::fault_dice dice;
    shell_counters counters;
    std::atomic<std::uint32_t> open_connections{0};

    // Wakes fake_server::wait_until() when a counter or the job count may have changed. With
    // nobody waiting a change costs a fence and one load; no request takes the lock.
    std::atomic<int> change_waiters{0};
    mutable std::mutex change_mutex;
    std::condition_variable change_cv;
    std::uint64_t change_version = 0;  // guarded by change_mutex
    void changed()
    {
        // Pairs with the fence in wait_until(): either this sees the waiter, or the waiter's
        // next look at the counters sees this change.
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (change_waiters.load(std::memory_order_relaxed) == 0)
            return;
        {
            std::lock_guard lock(change_mutex);
            ++change_version;
        }
        change_cv.notify_all();
    }

    // Rebuilt by each start(); touched by start() and stop() only, or on the control strand.
    std::unique_ptr<asio::io_context> ioc;
    std::optional<asio::strand<asio::io_context::executor_type>> control;
    std::optional<tcp::acceptor> acceptor;
    std::optional<asio::steady_timer> revoke_timer;
    bool revoke_stopped = false;  // control strand only
    std::optional<asio::steady_timer> sweep_timer;
    bool sweep_stopped = false;  // control strand only
    std::optional<ssl::context> tls;
    std::vector<std::thread> threads;
    bool running = false;

    fake_faults current_faults() const
    {
        std::lock_guard lock(mutex);
        return faults;
    }

    void start();
    void stop(bool crash);
    void set_faults(const fake_faults& f);
    fake_server_stats stats() const;

    void make_tls_context();
    asio::any_io_executor connection_executor();
    asio::awaitable<void> accept_loop();
    asio::awaitable<void> revoke_loop();
    asio::awaitable<void> sweep_loop();
    void start_connection(tcp::socket socket);
    std::uint32_t connection_cap() const;
    static void set_deadline(connection_base& c, waiting_for what, std::chrono::milliseconds timeout);
    void expire(connection_base& c, std::int64_t now);
    void forget(const std::shared_ptr<connection_base>& c);

    detail::service_reply control_reply(http::verb method, std::string_view path);

    template <class Stream>
    static asio::awaitable<void> serve(impl* self, std::shared_ptr<connection<Stream>> conn);
    template <class Stream>
    static asio::awaitable<bool> pause(connection<Stream>& conn, std::chrono::milliseconds delay);
    template <class Stream>
    static asio::awaitable<void> close_gracefully(connection<Stream>& conn);
    template <class Stream>
    static asio::awaitable<void> answer_error_and_close(connection<Stream>& conn, unsigned status, std::string body);
};

void fake_server::impl::make_tls_context()
{
    tls.emplace(ssl::context::tls_server);
    tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3
                     | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    std::string pem;
    if (params.tls.cert_file.empty())
    {
        auto generated = detail::make_self_signed_certificate();
        tls->use_certificate_chain(asio::buffer(generated.certificate));
        tls->use_private_key(asio::buffer(generated.private_key), ssl::context::pem);
        OPENSSL_cleanse(generated.private_key.data(), generated.private_key.size());
        pem = std::move(generated.certificate);
    }
    else
    {
        // A key file left out means the certificate file holds the key too.
        const std::string& key_file = params.tls.key_file.empty() ? params.tls.cert_file : params.tls.key_file;
        tls->use_certificate_chain_file(params.tls.cert_file);
        tls->use_private_key_file(key_file, ssl::context::pem);
        pem = read_file(params.tls.cert_file);
    }
    if (!params.tls.write_cert_file.empty())
        write_file(params.tls.write_cert_file, pem);
    std::lock_guard lock(mutex);
    cert_pem = std::move(pem);
}

void fake_server::impl::start()
{
    if (running)
        throw std::logic_error("fake_server: already started");
    if (params.tls.enabled)
        make_tls_context();
    else
        tls.reset();

    ioc = std::make_unique<asio::io_context>(static_cast<int>(params.threads));
    control.emplace(asio::make_strand(*ioc));
    std::uint16_t port = params.port;
    if (port == 0)
    {
        std::lock_guard lock(mutex);
        port = bound_port;  // a restart listens where the clients know the server
    }
    try
    {
        const tcp::endpoint endpoint{resolve_listen_host(*ioc, params.listen_host), port};
        acceptor.emplace(*control);
        acceptor->open(endpoint.protocol());
        acceptor->set_option(asio::socket_base::reuse_address(true));
        acceptor->bind(endpoint);
        acceptor->listen(asio::socket_base::max_listen_connections);
    }
    catch (...)
    {
        acceptor.reset();
        control.reset();
        ioc.reset();
        throw;
    }
    revoke_timer.emplace(*control);
    revoke_stopped = false;
    sweep_timer.emplace(*control);
    sweep_stopped = false;
    {
        const auto local = acceptor->local_endpoint();
        std::lock_guard lock(mutex);
        stopping = false;
        bound_port = local.port();
        bound_url = (tls ? "https://" : "http://") + url_host(local.address()) + ":" + std::to_string(bound_port);
    }
    asio::co_spawn(*control, accept_loop(), log_exceptions{"accept loop"});
    asio::co_spawn(*control, revoke_loop(), log_exceptions{"revoke loop"});
    asio::co_spawn(*control, sweep_loop(), log_exceptions{"timeout sweep"});

    running = true;
    for (unsigned i = 0; i < params.threads; ++i)
    {
        threads.emplace_back([context = ioc.get()] {
            for (;;)
            {
                try
                {
                    context->run();
                    return;
                }
                catch (...)
                {
                    report_exception("server thread", std::current_exception());
                }
            }
        });
    }
}

void fake_server::impl::stop(bool crash)
{
    if (!running)
        return;
    std::vector<std::shared_ptr<connection_base>> open;
    {
        std::lock_guard lock(mutex);
        stopping = true;
        open.assign(connections.begin(), connections.end());
    }
    asio::post(*control, [this] {
        boost::system::error_code ignored;
        acceptor->close(ignored);
        revoke_stopped = true;
        revoke_timer->cancel();
        sweep_stopped = true;
        sweep_timer->cancel();
    });
    for (auto& c : open)
    {
        if (crash)
            asio::post(c->executor(), [c] { c->reset(); });
        else
            asio::post(c->executor(), [c] { c->close(); });
    }
    open.clear();

    for (auto& t : threads)
        t.join();
    threads.clear();

    {
        std::lock_guard lock(mutex);
        connections.clear();
    }
    revoke_timer.reset();
    sweep_timer.reset();
    acceptor.reset();
    control.reset();
    ioc.reset();  // whatever handler is left is destroyed here, on this thread
    running = false;
    changed();  // a wait_until() may be waiting for the server to stop as well
}

void fake_server::impl::set_faults(const fake_faults& f)
{
    service.set_faults(f);
    std::lock_guard lock(mutex);
    faults = f;
    // The revocation loop picks the new period up when its timer is cancelled.
    if (!stopping && control)
        asio::post(*control, [this] {
            if (revoke_timer)
                revoke_timer->cancel();
        });
}

fake_server_stats fake_server::impl::stats() const
{
    fake_server_stats s;
    service.add_stats_to(s);
    s.connections_accepted = counters.connections_accepted.load();
    s.connections_dropped = counters.connections_dropped.load();
    s.closes_announced = counters.closes_announced.load();
    s.silent_closes = counters.silent_closes.load();
    s.drops_before_response = counters.drops_before_response.load();
    s.connections_refused_over_cap = counters.connections_refused_over_cap.load();
    s.connections_open = open_connections.load();
    s.idle_timeouts = counters.idle_timeouts.load();
    s.header_timeouts = counters.header_timeouts.load();
    s.answers_lost_to_crash = counters.answers_lost_to_crash.load();
    return s;
}

// One thread is an implicit strand: a strand per connection would only add a queue and a lock
// to every completion. (A function, not a ?: inside the co_await below: g++ 12 destroys the
// temporaries of both branches of a ?: in a co_await expression, one that never existed.)
asio::any_io_executor fake_server::impl::connection_executor()
{
    if (params.threads == 1)
        return ioc->get_executor();
    return asio::make_strand(*ioc);
}

asio::awaitable<void> fake_server::impl::accept_loop()
{
    asio::steady_timer backoff(*control);
    for (;;)
    {
        auto [ec, socket] = co_await acceptor->async_accept(connection_executor(), asio::as_tuple(asio::use_awaitable));
        if (!acceptor->is_open() || ec == asio::error::operation_aborted)
            co_return;
        if (ec)
        {
            // Out of descriptors and the like: try again a little later rather than spin.
            backoff.expires_after(std::chrono::milliseconds(10));
            co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        counters.connections_accepted.fetch_add(1);
        changed();
        start_connection(std::move(socket));
    }
}

asio::awaitable<void> fake_server::impl::revoke_loop()
{
    for (;;)
    {
        const auto period = current_faults().revoke_every;
        if (period > std::chrono::milliseconds::zero())
            revoke_timer->expires_after(period);
        else
            revoke_timer->expires_at(asio::steady_timer::time_point::max());
        auto [ec] = co_await revoke_timer->async_wait(asio::as_tuple(asio::use_awaitable));
        if (revoke_stopped)
            co_return;
        if (ec)
            continue;  // the period changed
        service.revoke_all_tokens();
    }
}

// A few sweeps per timeout: a connection is closed at most a quarter of its timeout late.
asio::awaitable<void> fake_server::impl::sweep_loop()
{
    std::chrono::milliseconds shortest = std::chrono::milliseconds::max();
    for (const auto timeout : {params.idle_timeout, params.header_timeout})
        if (timeout > std::chrono::milliseconds::zero())
            shortest = std::min(shortest, timeout);
    if (shortest == std::chrono::milliseconds::max())
        co_return;  // no timeout
    const auto period = std::clamp(shortest / 4, std::chrono::milliseconds(5), std::chrono::milliseconds(1000));
    std::vector<std::shared_ptr<connection_base>> due;
    for (;;)
    {
        sweep_timer->expires_after(period);
        co_await sweep_timer->async_wait(asio::as_tuple(asio::use_awaitable));
        if (sweep_stopped)
            co_return;
        const std::int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
        {
            std::lock_guard lock(mutex);
            for (const auto& c : connections)
                if (c->deadline.load(std::memory_order_relaxed) <= now)
                    due.push_back(c);
        }
        // The connection decides on its own executor: it may have moved on meanwhile.
        for (auto& c : due)
            asio::post(c->executor(), [this, c, now] { expire(*c, now); });
        due.clear();
    }
}

void fake_server::impl::expire(connection_base& c, std::int64_t now)
{
    if (c.closed || c.deadline.load(std::memory_order_relaxed) > now)
        return;
    if (c.waiting == waiting_for::head)
        counters.header_timeouts.fetch_add(1);
    else
        counters.idle_timeouts.fetch_add(1);
    changed();
    c.close();
}

void fake_server::impl::set_deadline(connection_base& c, waiting_for what, std::chrono::milliseconds timeout)
{
    c.waiting = what;
    std::int64_t deadline = no_deadline;
    if (what != waiting_for::nothing && timeout > std::chrono::milliseconds::zero())
    {
        const auto now = std::chrono::steady_clock::now();
        // A timeout beyond the clock's range (centuries) is no deadline rather than an overflow.
        const auto room =
            std::chrono::floor<std::chrono::milliseconds>(std::chrono::steady_clock::time_point::max() - now);
        if (timeout < room)
            deadline = (now + timeout).time_since_epoch().count();
    }
    c.deadline.store(deadline, std::memory_order_relaxed);
}

// connection_limit, lowered by faults.max_connections when that is set (0: no cap at all).
std::uint32_t fake_server::impl::connection_cap() const
{
    const std::uint32_t fault_cap = current_faults().max_connections;
    if (params.connection_limit == 0 || fault_cap == 0)
        return std::max(params.connection_limit, fault_cap);
    return std::min(params.connection_limit, fault_cap);
}

void fake_server::impl::start_connection(tcp::socket socket)
{
    // Only this strand adds connections, so the check and the increment cannot interleave
    // with another accept; a connection ending meanwhile only makes room.
    const auto cap = connection_cap();
    if (cap != 0 && open_connections.load() >= cap)
    {
        counters.connections_refused_over_cap.fetch_add(1);
        counters.connections_dropped.fetch_add(1);
        boost::system::error_code ignored;
        socket.close(ignored);
        return;
    }

    auto spawn = [this](auto conn) {
        {
            std::lock_guard lock(mutex);
            if (stopping)
                return;  // the socket closes with conn
            connections.insert(conn);
        }
        open_connections.fetch_add(1);
        changed();
        asio::co_spawn(conn->executor(), serve(this, conn), log_exceptions{"connection"});
    };
    if (tls)
        spawn(std::make_shared<connection<tls_stream>>(std::move(socket), *tls));
    else
        spawn(std::make_shared<connection<plain_stream>>(std::move(socket)));
}

void fake_server::impl::forget(const std::shared_ptr<connection_base>& c)
{
    open_connections.fetch_sub(1);
    changed();
    std::lock_guard lock(mutex);
    connections.erase(c);
}

detail::service_reply fake_server::impl::control_reply(http::verb method, std::string_view path)
{
    if (path == "/__fake/stats")
    {
        if (method != http::verb::get)
            return json_reply(405, R"({"error":"method not allowed"})");
        return json_reply(200, detail::to_json(stats()));
    }
    if (path == "/__fake/revoke")
    {
        if (method != http::verb::post)
            return json_reply(405, R"({"error":"method not allowed"})");
        service.revoke_all_tokens();
        return json_reply(200, R"({"revoked":true})");
    }
    return json_reply(404, R"({"error":"no such control route"})");
}

template <class Stream>
asio::awaitable<bool> fake_server::impl::pause(connection<Stream>& conn, std::chrono::milliseconds delay)
{
    if (delay <= std::chrono::milliseconds::zero())
        co_return !conn.closed;
    conn.timer.expires_after(delay);
    co_await conn.timer.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return !conn.closed;
}

template <class Stream>
asio::awaitable<void> fake_server::impl::close_gracefully(connection<Stream>& conn)
{
    if constexpr (is_tls<Stream>)
    {
        // close_notify, then wait a little for the client's (it may never come).
        beast::get_lowest_layer(conn.stream).expires_after(shutdown_timeout);
        co_await conn.stream.async_shutdown(asio::as_tuple(asio::use_awaitable));
    }
    else
    {
        boost::system::error_code ignored;
        conn.stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
    conn.close();
}

template <class Stream>
asio::awaitable<void> fake_server::impl::answer_error_and_close(connection<Stream>& conn, unsigned status,
                                                                std::string body)
{
    render_response(conn.out, json_reply(status, std::move(body)), 11, false);
    auto [ec, n] = co_await asio::async_write(conn.io(), asio::buffer(conn.out), asio::as_tuple(asio::use_awaitable));
    if (ec || conn.closed)
    {
        conn.close();
        co_return;
    }
    if constexpr (is_tls<Stream>)
    {
        conn.close();
    }
    else
    {
        auto& socket = conn.stream;
        boost::system::error_code ignored;
        socket.socket().shutdown(tcp::socket::shutdown_send, ignored);
        socket.expires_after(linger_timeout);
        std::array<char, 16 * 1024> sink;
        std::size_t total = 0;
        while (total < linger_max_bytes)
        {
            auto [read_ec, read] =
                co_await socket.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
            if (read_ec || conn.closed)
                break;
            total += read;
        }
        conn.close();
    }
}

template <class Stream>
asio::awaitable<void> fake_server::impl::serve(impl* self, std::shared_ptr<connection<Stream>> conn)
{
    struct registration
    {
        impl* self;
        std::shared_ptr<connection_base> conn;
        ~registration() { self->forget(conn); }
    } const registered{self, conn};

    if constexpr (is_tls<Stream>)
    {
        auto& lowest = beast::get_lowest_layer(conn->stream);
        lowest.expires_after(handshake_timeout);
        auto [ec] =
            co_await conn->stream.async_handshake(ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
        lowest.expires_never();
        if (ec || conn->closed)
            co_return;
    }

    beast::flat_buffer buffer;
    // The first request's head is due header_timeout after accept (after the handshake).
    set_deadline(*conn, waiting_for::head, self->params.header_timeout);
    for (bool first = true;; first = false)
    {
        if (buffer.size() == 0)
        {
            // Between requests: the first byte of the next one is due idle_timeout from now.
            if (!first)
                set_deadline(*conn, waiting_for::request, self->params.idle_timeout);
            auto [read_ec, n] = co_await conn->io().async_read_some(buffer.prepare(beast::read_size(buffer, 65536)),
                                                                    asio::as_tuple(asio::use_awaitable));
            if (read_ec || conn->closed)
                co_return;  // the client went away, or a deadline passed
            buffer.commit(n);
        }

        detail::request_parser parser(std::piecewise_construct, std::make_tuple(),
                                      std::make_tuple(detail::arena_allocator<char>(conn->arena)));
        detail::limit_request(parser, self->params.max_body_bytes);
        // The head is usually whole in the buffer already: parsed there, no read operation.
        boost::system::error_code ec = detail::parse_buffered_head(parser, buffer);
        if (!ec && !parser.is_header_done())
        {
            // Its first byte has just come: the rest of the head is due header_timeout from now.
            if (!first)
                set_deadline(*conn, waiting_for::head, self->params.header_timeout);
            auto [header_ec, header_bytes] =
                co_await http::async_read_header(conn->io(), buffer, parser, asio::as_tuple(asio::use_awaitable));
            ec = header_ec;
        }
        set_deadline(*conn, waiting_for::nothing, {});
        if (!ec && !conn->closed && !parser.is_done())
        {
            if (beast::iequals(parser.get()[http::field::expect], "100-continue"))
            {
                http::response<http::empty_body> go_on{http::status::continue_, 11};
                auto [continue_ec, n] =
                    co_await http::async_write(conn->io(), go_on, asio::as_tuple(asio::use_awaitable));
                ec = continue_ec;
            }
            if (!ec && !conn->closed)
            {
                auto [body_ec, body_bytes] =
                    co_await http::async_read(conn->io(), buffer, parser, asio::as_tuple(asio::use_awaitable));
                ec = body_ec;
            }
        }
        if (conn->closed)
            co_return;
        if (ec == http::error::body_limit)
        {
            co_await answer_error_and_close(*conn, 413,
                                            R"({"error":"request body larger than )"
                                                + std::to_string(self->params.max_body_bytes) + R"( bytes"})");
            co_return;
        }
        if (ec == http::error::header_limit)
        {
            co_await answer_error_and_close(*conn, 431, R"({"error":"request header too large"})");
            co_return;
        }
        if (ec && ec.category() == http::make_error_code(http::error::bad_method).category()
            && ec != http::error::end_of_stream && ec != http::error::partial_message)
        {
            co_await answer_error_and_close(*conn, 400, R"({"error":"malformed HTTP request"})");
            co_return;
        }
        if (ec)
            co_return;  // the client went away

        auto& request = parser.get();
        const std::string_view target = request.target();
        const std::string_view path = target.substr(0, target.find('?'));
        const unsigned version = request.version();

        if (path.starts_with("/__fake/"))
        {
            const bool keep_alive = request.keep_alive();
            render_response(conn->out, self->control_reply(request.method(), path), version, keep_alive);
            auto [write_ec, n] =
                co_await asio::async_write(conn->io(), asio::buffer(conn->out), asio::as_tuple(asio::use_awaitable));
            if (write_ec || conn->closed)
                co_return;
            if (!keep_alive)
            {
                co_await close_gracefully(*conn);
                co_return;
            }
            continue;
        }

        const fake_faults faults = self->current_faults();
        if (faults.never_respond)
            continue;  // read on; the client's timeout ends this

        const bool is_token = request.method() == http::verb::post && path == "/api/v3/token";
        std::optional<token_in_flight> in_flight;
        if (is_token)
            in_flight.emplace(self->service);
        // pause() is only entered for a delay: a coroutine frame per request otherwise.
        if (faults.latency > std::chrono::milliseconds::zero() && !co_await pause(*conn, faults.latency))
            co_return;
        if (is_token && faults.token_latency > std::chrono::milliseconds::zero()
            && !co_await pause(*conn, faults.token_latency))
            co_return;

        detail::service_reply reply = self->service.handle(detail::service_request_of(request));
        in_flight.reset();
        self->changed();
        // The form body may hold a password.
        if (is_token)
            OPENSSL_cleanse(request.body().data(), request.body().size());
        if (faults.answer_delay > std::chrono::milliseconds::zero() && !co_await pause(*conn, faults.answer_delay))
        {
            if (conn->crashed)
            {
                self->counters.answers_lost_to_crash.fetch_add(1);
                self->changed();
            }
            co_return;
        }

        if (self->dice.roll(faults.drop_before_response_fraction))
        {
            self->counters.drops_before_response.fetch_add(1);
            self->counters.connections_dropped.fetch_add(1);
            self->changed();
            conn->close();
            co_return;
        }
        bool keep_alive = request.keep_alive();
        if (self->dice.roll(faults.close_fraction))
        {
            self->counters.closes_announced.fetch_add(1);
            self->counters.connections_dropped.fetch_add(1);
            keep_alive = false;
        }
        const bool silent_close = keep_alive && self->dice.roll(faults.silent_close_fraction);

        render_response(conn->out, reply, version, keep_alive);
        auto [write_ec, n] =
            co_await asio::async_write(conn->io(), asio::buffer(conn->out), asio::as_tuple(asio::use_awaitable));
        if (write_ec || conn->closed)
            co_return;
        if (silent_close)
        {
            self->counters.silent_closes.fetch_add(1);
            self->counters.connections_dropped.fetch_add(1);
            conn->close();
            co_return;
        }
        if (!keep_alive)
        {
            co_await close_gracefully(*conn);
            co_return;
        }
    }
}

fake_server::fake_server(fake_server_params params) : impl_(std::make_unique<impl>(std::move(params))) {}

fake_server::~fake_server()
{
    impl_->stop(false);
}

void fake_server::start()
{
    impl_->start();
}

void fake_server::stop()
{
    impl_->stop(false);
}

void fake_server::crash()
{
    impl_->stop(true);
}

std::string fake_server::url() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->bound_url;
}

std::uint16_t fake_server::port() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->bound_port;
}

std::string fake_server::certificate_pem() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->cert_pem;
}

fake_server_stats fake_server::stats() const
{
    return impl_->stats();
}

bool fake_server::wait_until(const std::function<bool(const fake_server_stats&)>& done,
                             std::chrono::milliseconds timeout) const
{
    impl& i = *impl_;
    const auto give_up = std::chrono::steady_clock::now() + timeout;
    i.change_waiters.fetch_add(1);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    bool held = false;
    for (;;)
    {
        std::uint64_t seen;
        {
            std::lock_guard lock(i.change_mutex);
            seen = i.change_version;
        }
        // Outside the lock: `done` may call back into the server (job_count()).
        if (done(i.stats()))
        {
            held = true;
            break;
        }
        std::unique_lock lock(i.change_mutex);
        if (!i.change_cv.wait_until(lock, give_up, [&] { return i.change_version != seen; }))
            break;
    }
    i.change_waiters.fetch_sub(1);
    return held;
}

void fake_server::revoke_all_tokens()
{
    impl_->service.revoke_all_tokens();
}

void fake_server::set_faults(const fake_faults& faults)
{
    impl_->set_faults(faults);
}

std::string fake_server::issue_token_for(const std::string& user, std::chrono::seconds lifetime)
{
    return impl_->service.issue_token_for(user, lifetime);
}

std::size_t fake_server::job_count() const
{
    return impl_->service.job_count();
}

}  // namespace vovrest::testing
