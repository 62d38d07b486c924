// async_server: vovrest embedded in an asynchronous server. A small Beast HTTP server whose
// handlers run on several threads and share ONE session: one token, one connection pool, however
// many clients. GET /health; GET /jobs/{id} answers {"id","status","host"} from the Accelerator.
// Usage: sample_async_server [--port N] [--requests N]   (port 0 picks a free one; the first line
// printed is "listening on <url>"; stops after N responses or on SIGINT/SIGTERM). NC_URL, USER and
// VOV_PASSWORD (or a prompt without echo) as in the other samples.
#include <vovrest/vovrest.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;

namespace {

// What every handler shares. All of it may be used from any thread.
struct server
{
    vovrest::session& s;
    asio::io_context& io;
    std::atomic<long> responses_left;  // --requests; 0: no limit

    // The session fails its calls in flight, then every thread's run() returns.
    void stop()
    {
        s.shutdown();
        io.stop();
    }
    void served()
    {
        if (responses_left.fetch_sub(1) == 1)
            stop();
    }
};

// For co_spawn instead of asio::detached, which would swallow the exception.
void report(std::exception_ptr e)
{
    try
    {
        if (e)
            std::rethrow_exception(e);
    }
    catch (const std::exception& x)
    {
        std::cerr << "async_server: " << x.what() << '\n';
    }
}

struct reply
{
    http::status status;
    boost::json::object body;
};

// The SDK call suspends only this request's coroutine; other requests go on meanwhile.
asio::awaitable<reply> route(vovrest::session& s, std::string target)
{
    reply r{http::status::ok, {}};
    const auto id = target.starts_with("/jobs/") ? vovrest::job_id::parse(target.substr(6)) : std::nullopt;
    if (target == "/health")
        r.body["status"] = "ok";
    else if (!id)
        r = reply{http::status::not_found, {{"error", "no such route"}}};
    else
        try
        {
            const vovrest::job_record job = co_await vovrest::jobs::get(s, *id);
            r.body["id"] = job.id.to_string();
            r.body["status"] = job.status;
            r.body["host"] = job.host;
        }
        catch (const vovrest::error_with_diagnostics& e)
        {
            // An unknown job is the client's 404; anything else is the Accelerator failing us: 502.
            r.status = e.code() == vovrest::error::not_found ? http::status::not_found : http::status::bad_gateway;
            r.body["error"] = e.what();  // the server's text; never the token
        }
    co_return r;
}

// One client connection, on a strand of its own: its socket is never touched by two threads at
// once, and the session runs this coroutine's calls inside its frame (a coroutine on a strand
// needs no operation of its own). (A real server would also put a deadline on each read:
// beast::tcp_stream.)
asio::awaitable<void> serve(server& srv, tcp::socket socket)
{
    boost::beast::flat_buffer buffer;
    for (bool keep_alive = true; keep_alive;)
    {
        http::request<http::string_body> req;
        auto [ec, n] = co_await http::async_read(socket, buffer, req, asio::as_tuple(asio::use_awaitable));
        if (ec)
            co_return;  // the client closed, or sent something that is not HTTP
        reply r{http::status::method_not_allowed, {}};
        r.body["error"] = "GET only";
        if (req.method() == http::verb::get)  // not `?:` with co_await: g++ 12 miscompiles it
            r = co_await route(srv.s, std::string(req.target()));
        http::response<http::string_body> res{r.status, req.version()};
        res.set(http::field::content_type, "application/json");
        res.keep_alive(keep_alive = req.keep_alive());
        res.body() = boost::json::serialize(r.body);
        res.prepare_payload();
        auto [write_error, written] = co_await http::async_write(socket, res, asio::as_tuple(asio::use_awaitable));
        if (write_error)
            co_return;  // the client went away
        srv.served();
    }
}

asio::awaitable<void> listen(server& srv, tcp::acceptor acceptor)
{
    co_await srv.s.authorize();  // a wrong password shows at start, not at the first client
    std::cout << "listening on http://127.0.0.1:" << acceptor.local_endpoint().port() << std::endl;
    for (;;)
    {
        tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
        asio::co_spawn(asio::make_strand(acceptor.get_executor()), serve(srv, std::move(socket)), report);
    }
}

}  // namespace

int main(int argc, char** argv)
{
    vovrest::session_params params;
    params.url = std::getenv("NC_URL") ? std::getenv("NC_URL") : "";
    params.username = std::getenv("USER") ? std::getenv("USER") : "";
    params.password =
        std::getenv("VOV_PASSWORD") ? vovrest::password_from_env("VOV_PASSWORD") : vovrest::password_prompt();
    unsigned short port = 0;
    long requests = 0;
    for (int i = 1; i + 1 < argc; i += 2)
    {
        const std::string flag = argv[i];
        if (flag == "--port")
            port = static_cast<unsigned short>(std::atoi(argv[i + 1]));
        else if (flag == "--requests")
            requests = std::atol(argv[i + 1]);
    }
    try
    {
        asio::io_context io;
        vovrest::session s(io.get_executor(), std::move(params));
        server srv{s, io, requests};
        asio::signal_set signals(io, SIGINT, SIGTERM);
        signals.async_wait([&srv](boost::system::error_code, int) { srv.stop(); });
        tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), port});
        int status = 0;
        asio::co_spawn(io, listen(srv, std::move(acceptor)), [&](std::exception_ptr e) {
            report(e);  // the listener ends only by failing: a wrong password, say
            status = 1;
            srv.stop();
        });
        // Several threads run one io_context; the session may be used from all of them at once.
        std::vector<std::jthread> threads;
        for (int i = 0; i < 3; ++i)
            threads.emplace_back([&io] { io.run(); });
        io.run();
        threads.clear();  // joins
        return status;
    }
    catch (const std::exception& e)
    {
        std::cerr << "async_server: " << e.what() << '\n';
        return 1;
    }
}
