// Operations run inside the calling coroutine (a serialized session awaited with
// as_tuple(use_awaitable) from its own executor): the caller's cancellation and the deadlines
// still end them with an error code, and their connection is given back.
#include "run_coroutine.hpp"
#include "sdk_fixture.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <thread>
#include <tuple>
#include <variant>

namespace vovrest::test {
namespace {

using namespace std::chrono_literals;
using namespace boost::asio::experimental::awaitable_operators;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

session_params single_threaded_params(const testing::fake_server& server)
{
    auto params = client_params(server);
    params.single_threaded = true;
    return params;
}

// The caller gives up (a timer wins an `||`): its request ends as cancelled, the connection it
// held is closed and its slot serves the next request, which opens a new connection.
TEST(in_caller, caller_cancellation_ends_the_request_and_frees_its_connection)
{
    auto sp = server_params();
    sp.faults.never_respond = true;
    testing::fake_server server(sp);
    server.start();
    asio::io_context io;
    auto params = single_threaded_params(server);
    params.max_connections = 1;
    // Far beyond the caller's 100 ms, so that only the caller can end the first request, even on
    // a machine that stalls; the second request shows the slot was freed by timing out.
    params.request_timeout = 1s;
    session s(io.get_executor(), params);
    s.set_token("Bearer", server.issue_token_for("demo", std::chrono::hours(1)));

    auto [first, second] = run_coroutine(
        io, [](session& sess) -> asio::awaitable<std::tuple<boost::system::error_code, boost::system::error_code>> {
            diagnostics diag;
            boost::system::error_code first_ec;
            asio::steady_timer give_up(co_await asio::this_coro::executor, 100ms);
            co_await ([](session& s2, diagnostics& d, boost::system::error_code& out) -> asio::awaitable<void> {
                auto [ec, answer] = co_await s2.async_get("/api/v3/project/1/project", {}, d, use_tuple);
                out = ec;
            }(sess, diag, first_ec) || give_up.async_wait(asio::use_awaitable));
            auto [ec, answer] = co_await sess.async_get("/api/v3/project/1/project", {}, diag, use_tuple);
            co_return std::tuple<boost::system::error_code, boost::system::error_code>(first_ec, ec);
        }(s));

    EXPECT_EQ(first, asio::error::operation_aborted);  // the caller's doing, not its timeout
    EXPECT_EQ(second, error::timeout);                 // its own request_timeout: it got the freed slot
    EXPECT_EQ(s.counters().connections_opened, 2u);
}

// A coroutine cancelled through the slot it was spawned with (terminal cancellation, as
// co_spawn passes it on) ends its request as cancelled, in the frame or not.
TEST(in_caller, cancelling_the_callers_coroutine_ends_its_request)
{
    for (bool single_threaded : {true, false})
    {
        auto sp = server_params();
        sp.faults.never_respond = true;
        testing::fake_server server(sp);
        server.start();
        asio::io_context io;
        auto params = client_params(server);
        params.single_threaded = single_threaded;
        params.request_timeout = 1s;  // only the cancellation can end the request first
        asio::cancellation_signal cancel;
        // Once the request has its connection, the caller is cancelled (event-driven, no timer).
        params.on_event = [&](const session_event& e) {
            if (e.kind == event_kind::connection_opened)
                asio::post(io, [&] { cancel.emit(asio::cancellation_type::terminal); });
        };
        session s(io.get_executor(), params);
        s.set_token("Bearer", server.issue_token_for("demo", std::chrono::hours(1)));

        boost::system::error_code result;
        bool done = false;
        asio::co_spawn(
            io,
            [](session& sess, boost::system::error_code& out) -> asio::awaitable<void> {
                diagnostics diag;
                auto [ec, answer] = co_await sess.async_get("/api/v3/project/1/project", {}, diag, use_tuple);
                out = ec;
            }(s, result),
            asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr) { done = true; }));
        io.run();
        EXPECT_TRUE(done);
        EXPECT_EQ(result, asio::error::operation_aborted) << "single_threaded=" << single_threaded;
    }
}

// operation_timeout bounds the wait for a token of a request run inside the caller.
TEST(in_caller, operation_timeout_bounds_the_wait_for_a_token)
{
    auto sp = server_params();
    sp.faults.token_latency = std::chrono::seconds(5);
    testing::fake_server server(sp);
    server.start();
    asio::io_context io;
    auto params = single_threaded_params(server);
    params.operation_timeout = 200ms;
    session s(io.get_executor(), params);

    auto [ec, diag] =
        run_coroutine(io, [](session& sess) -> asio::awaitable<std::tuple<boost::system::error_code, diagnostics>> {
            diagnostics d;
            auto [failure, answer] = co_await sess.async_get("/api/v3/project/1/project", {}, d, use_tuple);
            sess.shutdown();  // the renewal the caller left behind is not waited for
            co_return std::tuple<boost::system::error_code, diagnostics>(failure, d);
        }(s));

    EXPECT_EQ(ec, error::timeout);
    EXPECT_EQ(diag.method, "GET");
    EXPECT_EQ(diag.path, "/api/v3/project/1/project");
}

// 50 coroutines, each spawned on the executor `home(io)` gives it, make 20 GETs each through one
// session (made by `make_session(io, params)`) while two threads run the io_context; everything
// must succeed with one token request (TSan watches the threads).
template <class Home, class MakeSession>
void fifty_coroutines_on_two_threads(Home home, MakeSession make_session)
{
    auto sp = server_params();
    sp.threads = 2;
    testing::fake_server server(sp);
    server.start();
    asio::io_context io(2);
    auto params = client_params(server);
    params.single_threaded = false;  // two threads: only strands serialize
    std::unique_ptr<session> s = make_session(io, params);
    outcomes out;
    std::atomic<int> requests{0};
    for (int i = 0; i < 50; ++i)
    {
        asio::co_spawn(
            home(io, *s),
            [](session& sess, std::atomic<int>& n) -> asio::awaitable<void> {
                for (int k = 0; k < 20; ++k)
                {
                    co_await sess.get("/api/v3/project/1/version");
                    ++n;
                }
            }(*s, requests),
            [&out](std::exception_ptr failure) {
                if (failure)
                    out.fail(asio::error::fault, "a coroutine failed");
                else
                    ++out.succeeded;
            });
    }
    std::thread second([&io] { io.run(); });
    io.run();
    second.join();

    EXPECT_EQ(out.succeeded, 50);
    EXPECT_EQ(requests.load(), 1000);
    EXPECT_EQ(s->counters().requests, 1000u);
    EXPECT_EQ(server.stats().token_requests, 1u);
}

// A session given a strand is serialized without the promise: coroutines on that strand run their
// requests inside their frames.
TEST(in_caller, strand_session_on_two_threads)
{
    fifty_coroutines_on_two_threads([](asio::io_context&, session& s) { return s.get_executor(); },
                                    [](asio::io_context& io, const session_params& p) {
                                        return std::make_unique<session>(asio::make_strand(io), p);
                                    });
}

// A server's usual shape: a plain session shared by coroutines that each run on a strand of their
// own. Their requests run inside their frames, on their strands.
TEST(in_caller, coroutines_on_their_own_strands_share_a_plain_session)
{
    fifty_coroutines_on_two_threads(
        [](asio::io_context& io, session&) { return asio::any_io_executor(asio::make_strand(io)); },
        [](asio::io_context& io, const session_params& p) { return std::make_unique<session>(io.get_executor(), p); });
}

}  // namespace
}  // namespace vovrest::test
