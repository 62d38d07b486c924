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

// A call takes its turn when its awaitable is made: an awaitable not awaited yet holds the only
// turn here, so the calls after it wait, deterministically, for as long as the test wants.
struct admission_with_a_held_turn : ::testing::Test
{
    testing::fake_server server{server_params()};
    asio::io_context io;
    std::unique_ptr<session> s;
    diagnostics held_diag;
    std::optional<asio::awaitable<std::tuple<boost::system::error_code, response>>> held;

    void start(std::chrono::steady_clock::duration operation_timeout, std::function<void(const session_event&)> hook = {})
    {
        server.start();
        auto params = client_params(server);
        params.max_connections = 1;
        params.operation_timeout = operation_timeout;
        params.on_event = std::move(hook);
        s = std::make_unique<session>(io.get_executor(), params);
        s->set_token("Bearer", server.issue_token_for("demo", std::chrono::hours(1)));
        held.emplace(s->async_get(version_path, {}, held_diag, use_tuple));
    }

    // One GET awaited in a coroutine of its own; its error and diagnostics when it ends.
    struct result
    {
        boost::system::error_code ec;
        diagnostics diag;
        bool done = false;
    };
    void spawn_get(result& r, std::string path = version_path, asio::cancellation_slot slot = {})
    {
        asio::co_spawn(
            io,
            [](session& sess, result& out, std::string p) -> asio::awaitable<void> {
                auto [ec, answer] = co_await sess.async_get(std::move(p), {}, out.diag, use_tuple);
                out.ec = ec;
                out.done = true;
            }(*s, r, std::move(path)),
            asio::bind_cancellation_slot(slot, [](std::exception_ptr e) {
                if (e)
                    std::rethrow_exception(e);
            }));
    }
};

TEST_F(admission_with_a_held_turn, a_call_that_waits_past_operation_timeout_ends_with_timeout_and_nothing_sent)
{
    std::atomic<int> never_started{0};
    start(200ms, [&](const session_event& e) {
        if (e.kind == event_kind::request_completed && e.ec == error::timeout && e.attempts == 0)
            ++never_started;
    });
    result b, c;
    spawn_get(b);
    spawn_get(c);
    io.run();  // both end with their deadline: nothing else keeps the io_context running

    EXPECT_EQ(b.ec, error::timeout);
    EXPECT_EQ(c.ec, error::timeout);
    EXPECT_EQ(b.diag.method, "GET");
    EXPECT_EQ(b.diag.path, version_path);
    EXPECT_EQ(never_started.load(), 2);
    EXPECT_EQ(s->counters().requests, 2u);
    EXPECT_EQ(server.stats().requests, 0u);  // nothing was sent

    // The held turn, given back unawaited, serves the next call.
    held.reset();
    result d;
    spawn_get(d);
    io.restart();
    io.run();
    EXPECT_FALSE(d.ec);
    EXPECT_EQ(server.stats().requests, 1u);
}

TEST_F(admission_with_a_held_turn, a_call_cancelled_while_it_waits_for_its_turn_ends_alone_with_nothing_sent)
{
    start({});
    asio::cancellation_signal cancel;
    result b, c;
    spawn_get(b, version_path, cancel.slot());
    spawn_get(c);
    // Runs after both coroutines have started, and queued.
    asio::post(io, [&] { cancel.emit(asio::cancellation_type::terminal); });
    // Then the held call runs: its turn goes to c, which was queued behind b.
    asio::post(io, [&] {
        asio::co_spawn(io, std::move(*held), [](std::exception_ptr, std::tuple<boost::system::error_code, response>) {});
        held.reset();
    });
    io.run();

    EXPECT_EQ(b.ec, asio::error::operation_aborted);
    EXPECT_FALSE(c.ec);
    EXPECT_EQ(server.stats().requests, 2u);  // the held call's and c's
    EXPECT_EQ(s->counters().requests, 3u);
}

TEST_F(admission_with_a_held_turn, shutdown_ends_the_calls_waiting_for_their_turn)
{
    start({});
    result b;
    spawn_get(b);
    asio::post(io, [&] { s->shutdown(); });
    io.run();
    EXPECT_EQ(b.ec, error::session_closed);
    EXPECT_EQ(server.stats().requests, 0u);
}

TEST_F(admission_with_a_held_turn, an_invalid_call_fails_at_once_without_waiting_for_a_turn)
{
    start({});  // no deadline: a call that waited would wait for ever
    result bad;
    spawn_get(bad, "/a path with spaces");
    io.run();
    EXPECT_TRUE(bad.done);
    EXPECT_EQ(bad.ec, error::invalid_argument);
    EXPECT_EQ(server.stats().requests, 0u);
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
