// Calls beyond max_connections wait for their turn before any of their operation state exists:
// every one still succeeds, only the calls with a turn wait for the first token, and a call
// waiting for its turn ends with its deadline, its caller's cancellation or shutdown, with
// nothing sent; an invalid call never waits.
#include "run_coroutine.hpp"
#include "sdk_fixture.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <thread>
#include <tuple>
#include <vector>

namespace vovrest::test {
namespace {

using namespace std::chrono_literals;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
const std::string version_path = "/api/v3/project/1/version";

TEST(admission, more_callers_than_connections_wait_for_their_turn_not_for_the_token)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    auto params = client_params(server);
    params.max_connections = 3;
    session s(io.get_executor(), params);
    outcomes out;
    run_many(io, 300, out, [&s](int) { return get_once(s, version_path); });

    EXPECT_EQ(out.succeeded, 300);
    EXPECT_EQ(out.failed(), 0);
    EXPECT_EQ(server.stats().token_requests, 1u);
    // The first token is waited for by the three calls with a turn; the others waited for their
    // turn, by which time the token was there.
    EXPECT_EQ(s.counters().waiters, 3u);
    EXPECT_EQ(s.counters().requests, 300u);
    EXPECT_LE(server.stats().connections_accepted, 3u);
}

// A call whose request the server never answers holds the only turn (max_connections = 1) until
// its request_timeout; the calls after it wait for theirs. Coroutines start in the order they are
// spawned, and a handler posted after them runs once they have all asked for their turn.
struct admission_with_a_held_turn : ::testing::Test
{
    testing::fake_server server{[] {
        auto sp = server_params();
        sp.faults.never_respond = true;
        return sp;
    }()};
    asio::io_context io;
    std::unique_ptr<session> s;

    struct result
    {
        explicit result(std::string n) : name(std::move(n)) {}
        std::string name;
        boost::system::error_code ec;
        diagnostics diag;
        bool done = false;
    };
    result holder{"holder"};
    std::vector<std::string> ended;  // names, in the order the calls ended

    void start()
    {
        server.start();
        auto params = client_params(server);
        params.max_connections = 1;
        params.request_timeout = 300ms;  // how long the holder keeps the turn
        s = std::make_unique<session>(io.get_executor(), params);
        s->set_token("Bearer", server.issue_token_for("demo", std::chrono::hours(1)));
        spawn_get(holder);
    }

    // One GET awaited in a coroutine of its own; its error and diagnostics when it ends.
    void spawn_get(result& r, std::string path = version_path, asio::cancellation_slot slot = {})
    {
        asio::co_spawn(
            io,
            [](session& sess, result& out, std::string p, std::vector<std::string>& order) -> asio::awaitable<void> {
                auto [ec, answer] = co_await sess.async_get(std::move(p), {}, out.diag, use_tuple);
                out.ec = ec;
                out.done = true;
                order.push_back(out.name);
            }(*s, r, std::move(path), ended),
            asio::bind_cancellation_slot(slot, [](std::exception_ptr e) {
                if (e)
                    std::rethrow_exception(e);
            }));
    }

    // The server never answers, and counts no request it reads: a call whose request left opened
    // a connection of its own (the holder's is closed when its request times out).
    std::uint64_t calls_that_reached_the_server() { return s->counters().connections_opened; }
};

TEST_F(admission_with_a_held_turn, a_call_cancelled_while_it_waits_for_its_turn_ends_alone_with_nothing_sent)
{
    start();
    asio::cancellation_signal cancel;
    result b{"b"}, c{"c"};
    spawn_get(b, version_path, cancel.slot());
    spawn_get(c);
    asio::post(io, [&] { cancel.emit(asio::cancellation_type::terminal); });
    io.run();

    // b ended at once, while the holder still had the turn; c had its turn after the holder.
    EXPECT_EQ(ended, (std::vector<std::string>{"b", "holder", "c"}));
    EXPECT_EQ(b.ec, asio::error::operation_aborted);
    EXPECT_EQ(b.diag.method, "GET");
    EXPECT_EQ(holder.ec, error::timeout);
    EXPECT_EQ(c.ec, error::timeout);                 // it had its turn after the holder: its request went out
    EXPECT_EQ(calls_that_reached_the_server(), 2u);  // the holder's and c's: b's never left
    EXPECT_EQ(s->counters().requests, 3u);
}

TEST_F(admission_with_a_held_turn, shutdown_ends_the_calls_waiting_for_their_turn)
{
    start();
    result b{"b"};
    spawn_get(b);
    asio::post(io, [&] {
        s->shutdown();
        EXPECT_FALSE(holder.done);  // a request on the wire is not interrupted
    });
    io.run();
    EXPECT_EQ(b.ec, error::session_closed);
    EXPECT_LE(calls_that_reached_the_server(), 1u);  // the holder's only (it may have been connecting)
}

TEST_F(admission_with_a_held_turn, an_invalid_call_fails_at_once_without_waiting_for_a_turn)
{
    start();
    result bad{"bad"};
    spawn_get(bad, "/a path with spaces");
    asio::post(io, [&] {
        EXPECT_TRUE(bad.done);  // while the holder still has the only turn
        EXPECT_FALSE(holder.done);
    });
    io.run();
    EXPECT_EQ(bad.ec, error::invalid_argument);
    EXPECT_EQ(calls_that_reached_the_server(), 1u);
}

// operation_timeout counts from the call, whether it waits for its turn or for a token: with a
// token endpoint slower than the deadline, every call ends with error::timeout and no GET is sent.
TEST(admission, calls_waiting_for_their_turn_end_at_their_deadline_with_nothing_sent)
{
    auto sp = server_params();
    sp.faults.token_latency = 5s;
    testing::fake_server server(sp);
    server.start();
    asio::io_context io;
    auto params = client_params(server);
    params.max_connections = 1;
    params.operation_timeout = 200ms;
    std::atomic<int> completed{0};
    params.on_event = [&](const session_event& e) {
        if (e.kind == event_kind::request_completed && e.ec == error::timeout)
            ++completed;
    };
    session s(io.get_executor(), params);
    constexpr int calls = 4;
    std::vector<diagnostics> diags(calls);
    std::vector<boost::system::error_code> results(calls);
    int ended = 0;
    for (int i = 0; i < calls; ++i)
        asio::co_spawn(
            io,
            [](session& sess, diagnostics& d, boost::system::error_code& out, int& count) -> asio::awaitable<void> {
                auto [ec, answer] = co_await sess.async_get(version_path, {}, d, use_tuple);
                out = ec;
                if (++count == calls)
                    sess.shutdown();  // the renewal left behind is not waited for
            }(s, diags[static_cast<std::size_t>(i)], results[static_cast<std::size_t>(i)], ended),
            [](std::exception_ptr e) {
                if (e)
                    std::rethrow_exception(e);
            });
    io.run();

    for (int i = 0; i < calls; ++i)
    {
        EXPECT_EQ(results[static_cast<std::size_t>(i)], error::timeout) << i;
        EXPECT_EQ(diags[static_cast<std::size_t>(i)].path, version_path) << i;
    }
    EXPECT_EQ(completed.load(), calls);  // each reported, like any request
    EXPECT_EQ(s.counters().requests, static_cast<std::uint64_t>(calls));
    EXPECT_EQ(count_of(server.stats().requests_by_route, "GET /api/v3/project/1/version"), 0u);
}

TEST(admission, callbacks_wait_for_their_turn_too)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    auto params = client_params(server);
    params.max_connections = 2;
    session s(io.get_executor(), params);
    constexpr int calls = 50;
    std::vector<diagnostics> diags(calls);
    int ok = 0;
    for (int i = 0; i < calls; ++i)
        s.async_get(version_path, {}, diags[static_cast<std::size_t>(i)],
                    [&ok](boost::system::error_code ec, response answer) {
                        if (!ec && answer.status == 200)
                            ++ok;
                    });
    io.run();
    EXPECT_EQ(ok, calls);
    EXPECT_EQ(s.counters().requests, static_cast<std::uint64_t>(calls));
    EXPECT_LE(server.stats().connections_accepted, 2u);
}

// Two threads run the io_context; 40 coroutines share two turns (TSan watches the gate).
TEST(admission, two_threads_share_the_turns)
{
    auto sp = server_params();
    sp.threads = 2;
    testing::fake_server server(sp);
    server.start();
    asio::io_context io(2);
    auto params = client_params(server);
    params.single_threaded = false;
    params.max_connections = 2;
    session s(io.get_executor(), params);
    outcomes out;
    std::atomic<int> requests{0};
    for (int i = 0; i < 40; ++i)
        spawn_counted(
            io,
            [](session& sess, std::atomic<int>& n) -> asio::awaitable<void> {
                for (int k = 0; k < 10; ++k)
                {
                    co_await sess.get(version_path);
                    ++n;
                }
            }(s, requests),
            out);
    std::thread second([&io] { io.run(); });
    io.run();
    second.join();
    EXPECT_EQ(out.succeeded, 40);
    EXPECT_EQ(requests.load(), 400);
    EXPECT_EQ(server.stats().token_requests, 1u);
}

}  // namespace
}  // namespace vovrest::test
