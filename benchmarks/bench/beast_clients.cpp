// The hand-written clients vovrest is measured against, all on Boost.Beast:
// - raw: N coroutines share K keep-alive connections and one token fetched once; request
//   messages are built once per connection. The floor of what Asio + Beast can do.
// - naive: raw, but a new token is fetched (on the same connection) before every request, as a
//   script calling the original helper before each call does.
// - blocking: K threads, synchronous Beast, one connection each, a token behind a std::mutex,
//   renewed under the lock when it is about to expire (the usual hand-rolled C++ client).
// The only translation unit of the benchmark that includes Beast and Asio.SSL.
#include "bench.hpp"

#include <vovrest/detail/jwt_payload.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>

#include <cctype>
#include <deque>
#include <mutex>
#include <iostream>
#include <thread>
#include <type_traits>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace vovrest_bench {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

template <class Stream>
constexpr bool is_tls = !std::is_same_v<Stream, tcp::socket>;

ssl::context make_client_tls()
{
    ssl::context ctx(ssl::context::tls_client);
    ctx.set_verify_mode(ssl::verify_none);  // the fake server's certificate is self-signed
    return ctx;
}

template <class Stream>
Stream make_stream(asio::io_context& io, ssl::context& ctx)
{
    if constexpr (is_tls<Stream>)
        return Stream(io, ctx);
    else
    {
        (void)ctx;
        return Stream(io);
    }
}

template <class Stream>
tcp::socket& lowest(Stream& s)
{
    if constexpr (is_tls<Stream>)
        return s.next_layer();
    else
        return s;
}

// Synchronous connect (and handshake), before the measurement or after a broken connection.
template <class Stream>
void connect(Stream& s, const target& where)
{
    tcp::resolver resolver(lowest(s).get_executor());
    asio::connect(lowest(s), resolver.resolve(where.host, where.port));
    lowest(s).set_option(tcp::no_delay(true));
    if constexpr (is_tls<Stream>)
        s.handshake(ssl::stream_base::client);
}

std::string form_encode(std::string_view text)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char ch : text)
    {
        const auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
            out.push_back(ch);
        else
        {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

http::request<http::string_body> token_request(const target& where)
{
    http::request<http::string_body> req(http::verb::post, "/api/v3/token", 11);
    req.set(http::field::host, where.host_header);
    req.set(http::field::content_type, "application/x-www-form-urlencoded");
    req.body() = "username=" + form_encode(where.user) + "&password=" + form_encode(where.password);
    req.prepare_payload();
    return req;
}

struct token
{
    std::string header;  // "<type>:<token>"
    double exp = 0;      // wall-clock seconds; 0: unknown
};

token parse_token(const http::response<http::string_body>& res)
{
    if (res.result_int() != 200)
        throw std::runtime_error("token request answered " + std::to_string(res.result_int()));
    const auto body = boost::json::parse(res.body()).as_object();
    token t;
    const auto access = body.at("access_token").as_string();
    t.header = std::string(body.at("token_type").as_string()) + ":" + std::string(access);
    if (auto claims = vovrest::detail::decode_jwt_payload(access); claims && claims->exp)
        t.exp = *claims->exp;
    return t;
}

template <class Stream>
token fetch_token_sync(Stream& s, beast::flat_buffer& buffer, const target& where)
{
    auto req = token_request(where);
    http::write(s, req);
    http::response<http::string_body> res;
    http::read(s, buffer, res);
    return parse_token(res);
}

http::request<http::string_body> api_request(const options& opt, const target& where)
{
    const bool submit = opt.mode == "submit";
    http::request<http::string_body> req(submit ? http::verb::post : http::verb::get,
                                         submit ? "/api/v3/jobs" : opt.path, 11);
    req.set(http::field::host, where.host_header);
    req.set(http::field::user_agent, "vovrest-bench");
    req.set(http::field::accept, "application/json");
    if (submit)
        req.set(http::field::content_type, "application/json");
    return req;
}

bool answered_ok(const options& opt, unsigned status)
{
    return status == (opt.mode == "submit" ? 201u : 200u);
}

// ---- raw and naive ----

template <class Stream>
struct raw_connection
{
    std::unique_ptr<Stream> stream;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::response<http::string_body> response;
};

// The smallest fair pool: a free list and a FIFO of waiters, resumed by posting.
template <class Conn>
class raw_pool
{
public:
    explicit raw_pool(asio::any_io_executor ex) : ex_(std::move(ex)) {}

    Conn* try_acquire()
    {
        std::lock_guard lock(mutex_);
        if (idle_.empty())
            return nullptr;
        Conn* c = idle_.back();
        idle_.pop_back();
        return c;
    }

    template <class CompletionToken>
    auto async_acquire(CompletionToken&& token)
    {
        return asio::async_initiate<CompletionToken, void(Conn*)>(
            [this](auto handler) {
                std::unique_lock lock(mutex_);
                if (!idle_.empty())
                {
                    Conn* c = idle_.back();
                    idle_.pop_back();
                    lock.unlock();
                    resume(std::move(handler), c);
                    return;
                }
                waiters_.emplace_back(std::move(handler));
            },
            token);
    }

    void release(Conn* c)
    {
        std::unique_lock lock(mutex_);
        if (waiters_.empty())
        {
            idle_.push_back(c);
            return;
        }
        auto h = std::move(waiters_.front());
        waiters_.pop_front();
        lock.unlock();
        resume(std::move(h), c);
    }

private:
    template <class Handler>
    void resume(Handler&& h, Conn* c)
    {
        // Every raw coroutine runs on the io_context itself: posting there is posting to its executor.
        asio::post(ex_, [h = std::forward<Handler>(h), c]() mutable { std::move(h)(c); });
    }

    asio::any_io_executor ex_;
    std::mutex mutex_;
    std::vector<Conn*> idle_;
    std::deque<asio::any_completion_handler<void(Conn*)>> waiters_;
};

template <class Stream>
struct raw_shared
{
    raw_shared(const options& o, const target& w, run_control& c, bool n, asio::io_context& i, ssl::context& t)
        : opt(o), where(w), ctl(c), naive(n), io(i), tls(t), pool(i.get_executor())
    {}
    const options& opt;
    const target& where;
    run_control& ctl;
    bool naive;
    asio::io_context& io;
    ssl::context& tls;
    raw_pool<raw_connection<Stream>> pool;
    std::atomic<std::uint64_t> jobs{0};
    std::atomic<int> reported{0};
};

template <class Stream>
asio::awaitable<bool> raw_exchange(raw_connection<Stream>& c, http::request<http::string_body>& req)
{
    auto [wec, written] = co_await http::async_write(*c.stream, req, use_tuple);
    if (wec)
        co_return false;
    c.response = {};
    auto [rec, read] = co_await http::async_read(*c.stream, c.buffer, c.response, use_tuple);
    co_return !rec;
}

template <class Stream>
asio::awaitable<void> raw_worker(std::shared_ptr<raw_shared<Stream>> sh)
{
    using conn_type = raw_connection<Stream>;
    auto& ctl = sh->ctl;
    const bool submit = sh->opt.mode == "submit";
    http::request<http::string_body> token_req;
    if (sh->naive)
        token_req = token_request(sh->where);
    while (ctl.keep_going())
    {
        const auto start = clock::now();
        conn_type* c = sh->pool.try_acquire();
        if (c == nullptr)
            c = co_await sh->pool.async_acquire(asio::use_awaitable);
        bool ok = true;
        if (sh->naive)
        {
            ctl.token_request();
            ok = co_await raw_exchange(*c, token_req);
            if (ok)
            {
                try
                {
                    c->request.set(http::field::authorization, parse_token(c->response).header);
                }
                catch (const std::exception&)
                {
                    ok = false;
                }
            }
        }
        if (ok)
        {
            if (submit)
            {
                c->request.body() = job_body(sh->jobs.fetch_add(1, std::memory_order_relaxed));
                c->request.prepare_payload();
            }
            ok = co_await raw_exchange(*c, c->request);
            ok = ok && answered_ok(sh->opt, c->response.result_int());
        }
        if (!ok)
        {
            if (sh->reported.fetch_add(1) < 3)
                std::cerr << "raw request failed: status " << c->response.result_int() << '\n';
            // Start again on a fresh connection (rare: no faults are injected). Synchronous.
            error_code ignored;
            lowest(*c->stream).close(ignored);
            c->buffer.clear();
            c->stream = std::make_unique<Stream>(make_stream<Stream>(sh->io, sh->tls));
            try
            {
                connect(*c->stream, sh->where);
            }
            catch (const std::exception&)
            {}
        }
        sh->pool.release(c);
        ctl.record(start, clock::now(), ok);
    }
}

template <class Stream>
void run_raw_on(const options& opt, const target& where, run_control& ctl, bool naive)
{
    asio::io_context io(static_cast<int>(opt.threads));
    auto tls = make_client_tls();
    auto shared = std::make_shared<raw_shared<Stream>>(opt, where, ctl, naive, io, tls);

    // K connections, and the one token (raw), before the measurement.
    std::vector<std::unique_ptr<raw_connection<Stream>>> connections;
    std::string authorization;
    for (unsigned i = 0; i < opt.connections; ++i)
    {
        auto c = std::make_unique<raw_connection<Stream>>();
        c->stream = std::make_unique<Stream>(make_stream<Stream>(io, tls));
        connect(*c->stream, where);
        if (i == 0 && !naive)
        {
            ctl.token_request();
            authorization = fetch_token_sync(*c->stream, c->buffer, where).header;
        }
        c->request = api_request(opt, where);
        if (!naive)
            c->request.set(http::field::authorization, authorization);
        c->request.prepare_payload();
        shared->pool.release(c.get());
        connections.push_back(std::move(c));
    }

    ctl.begin();
    spawn_callers(
        io, opt.concurrency, [shared] { return raw_worker<Stream>(shared); },
        [&ctl](std::exception_ptr e) { ctl.worker_ended(e, "raw"); });
    run_on_threads(io, opt.threads);
}

// ---- blocking ----

struct shared_token
{
    std::mutex mutex;
    token current;
    std::uint64_t generation = 0;
};

double wall_seconds() noexcept
{
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

template <class Stream>
void blocking_thread(const options& opt, const target& where, run_control& ctl, shared_token& tok,
                     std::atomic<std::uint64_t>& jobs, std::atomic<int>& reported)
{
    asio::io_context io;
    auto tls = make_client_tls();
    auto stream = std::make_unique<Stream>(make_stream<Stream>(io, tls));
    beast::flat_buffer buffer;
    try
    {
        connect(*stream, where);
    }
    catch (const std::exception& e)
    {
        std::cerr << "blocking: connect failed: " << e.what() << '\n';
        ctl.error();
        return;
    }
    auto req = api_request(opt, where);
    const bool submit = opt.mode == "submit";
    http::response<http::string_body> res;
    while (ctl.keep_going())
    {
        const auto start = clock::now();
        bool ok = false;
        try
        {
            for (int attempt = 0; attempt < 2; ++attempt)
            {
                std::uint64_t generation = 0;
                {
                    // Renewed under the lock, one second before exp: every other thread waits.
                    std::lock_guard lock(tok.mutex);
                    if (tok.current.header.empty() || (tok.current.exp > 0 && wall_seconds() >= tok.current.exp - 1.0))
                    {
                        ctl.token_request();
                        tok.current = fetch_token_sync(*stream, buffer, where);
                        ++tok.generation;
                    }
                    req.set(http::field::authorization, tok.current.header);
                    generation = tok.generation;
                }
                if (submit)
                    req.body() = job_body(jobs.fetch_add(1, std::memory_order_relaxed));
                req.prepare_payload();
                http::write(*stream, req);
                res = {};
                http::read(*stream, buffer, res);
                if (res.result_int() == 401 && attempt == 0)
                {
                    std::lock_guard lock(tok.mutex);
                    if (tok.generation == generation)
                        tok.current.header.clear();
                    continue;
                }
                ok = answered_ok(opt, res.result_int());
                break;
            }
        }
        catch (const std::exception& e)
        {
            if (reported.fetch_add(1) < 3)
                std::cerr << "blocking request failed: " << e.what() << '\n';
            stream = std::make_unique<Stream>(make_stream<Stream>(io, tls));
            buffer.clear();
            try
            {
                connect(*stream, where);
            }
            catch (const std::exception&)
            {}
        }
        ctl.record(start, clock::now(), ok);
    }
}

template <class Stream>
void run_blocking_on(const options& opt, const target& where, run_control& ctl)
{
    shared_token tok;
    std::atomic<std::uint64_t> jobs{0};
    std::atomic<int> reported{0};
    {
        // The first token before the measurement, as the others get theirs.
        asio::io_context io;
        auto tls = make_client_tls();
        auto stream = make_stream<Stream>(io, tls);
        connect(stream, where);
        beast::flat_buffer buffer;
        ctl.token_request();
        tok.current = fetch_token_sync(stream, buffer, where);
        tok.generation = 1;
    }
    ctl.begin();
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < opt.connections; ++i)
        threads.emplace_back([&] { blocking_thread<Stream>(opt, where, ctl, tok, jobs, reported); });
    for (auto& t : threads)
        t.join();
}

}  // namespace

void run_raw(const options& opt, const target& where, run_control& ctl, bool naive)
{
    if (where.https)
        run_raw_on<ssl::stream<tcp::socket>>(opt, where, ctl, naive);
    else
        run_raw_on<tcp::socket>(opt, where, ctl, naive);
}

void run_blocking(const options& opt, const target& where, run_control& ctl)
{
    if (where.https)
        run_blocking_on<ssl::stream<tcp::socket>>(opt, where, ctl);
    else
        run_blocking_on<tcp::socket>(opt, where, ctl);
}

}  // namespace vovrest_bench
