// The keep-alive pool without sockets: idle connections are watched and dropped the moment the
// server speaks or closes, a connection whose watch fired is never handed out, the cap holds,
// Keep-Alive and idle timeouts retire connections, and the token request waits ahead of the queue.
#include <vovrest/detail/connection_pool.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace vovrest::detail {
namespace {

using namespace std::chrono_literals;

// What a test scripts and observes of one connection.
struct connection_script
{
    int watches = 0;
    std::uint64_t last_watch = 0;
    bool closed = false;
};

// What the connections posted "soon" (the pool's batch of idle watches), run when a test says
// the event loop has turned.
std::vector<std::function<void()>> posted;

void run_posted()
{
    auto now = std::move(posted);
    posted.clear();
    for (auto& fn : now)
        fn();
}

// A connection whose idle watch the test ends by hand (as the server speaking would).
struct scripted_connection final : connection
{
    explicit scripted_connection(std::shared_ptr<connection_script> s) : script(std::move(s)) {}

    boost::asio::awaitable<write_outcome> write(operation_context&, std::string_view, std::string_view) override
    {
        throw std::logic_error("not written in these tests");
    }
    boost::asio::awaitable<read_outcome> read(operation_context&, const read_limits&, bool, http_result&) override
    {
        throw std::logic_error("not read in these tests");
    }
    bool quiet() noexcept override { return true; }
    void close() noexcept override { script->closed = true; }
    bool post_soon(std::function<void()> fn) override
    {
        posted.push_back(std::move(fn));
        return true;
    }

    // The server sends something (or closes) while the connection is idle.
    void server_speaks() { watch_ended(script->last_watch, {}); }

    std::shared_ptr<connection_script> script;

protected:
    void wait_readable(std::uint64_t watch_id) override
    {
        ++script->watches;
        script->last_watch = watch_id;
    }
};

struct pool_fixture : ::testing::Test
{
    session_observer observer;
    connection_pool pool{2, 30s, observer};

    pool_fixture() { posted.clear(); }
    ~pool_fixture() override { posted.clear(); }

    // Opens a connection through the pool's slot and releases it as reusable.
    std::shared_ptr<scripted_connection>
    open_and_release(std::shared_ptr<connection_script> script = std::make_shared<connection_script>())
    {
        connection_pool::connection_ptr slot;
        EXPECT_EQ(pool.try_acquire(slot, false), connection_pool::acquired::slot);
        EXPECT_FALSE(slot);  // a reserved slot: the caller opens the connection
        auto conn = std::make_shared<scripted_connection>(std::move(script));
        pool.release(conn, true);
        run_posted();
        run_posted();  // two turns: idle long enough to be watched
        return conn;
    }
};

TEST_F(pool_fixture, a_released_connection_is_watched_and_handed_out_again)
{
    auto conn = open_and_release();
    EXPECT_EQ(conn->script->watches, 1);
    connection_pool::connection_ptr got;
    ASSERT_EQ(pool.try_acquire(got, false), connection_pool::acquired::connection);
    EXPECT_EQ(got, conn);
    EXPECT_TRUE(got->reused);
    EXPECT_EQ(observer.snapshot().connections_reused, 1u);
    // The watch's late end (the answer to the next request arriving) changes nothing.
    conn->server_speaks();
    EXPECT_FALSE(conn->script->closed);
    EXPECT_EQ(pool.open_connections(), 1u);
    pool.release(std::move(got), false);
}

TEST_F(pool_fixture, a_connection_taken_again_within_two_loop_turns_is_never_watched)
{
    // Under load a released connection is taken again at once: no wait is armed on its socket
    // (the peek before writing guards it), and the batch posted for it arms nothing.
    connection_pool::connection_ptr slot;
    ASSERT_EQ(pool.try_acquire(slot, false), connection_pool::acquired::slot);
    auto conn = std::make_shared<scripted_connection>(std::make_shared<connection_script>());
    pool.release(conn, true);
    EXPECT_EQ(posted.size(), 1u);
    connection_pool::connection_ptr got;
    ASSERT_EQ(pool.try_acquire(got, false), connection_pool::acquired::connection);
    pool.release(std::move(got), true);
    EXPECT_EQ(posted.size(), 1u);  // one batch for both releases
    ASSERT_EQ(pool.try_acquire(got, false), connection_pool::acquired::connection);
    run_posted();
    EXPECT_EQ(conn->script->watches, 0);

    // Released and left idle: watched once, two turns later (a call that waited for its turn is
    // resumed one turn after the connection it takes went idle), and only once.
    pool.release(std::move(got), true);
    run_posted();
    EXPECT_EQ(conn->script->watches, 0);
    run_posted();
    EXPECT_EQ(conn->script->watches, 1);
    run_posted();
    EXPECT_EQ(conn->script->watches, 1);
    EXPECT_TRUE(posted.empty());  // no batch left behind to keep a loop busy
}

TEST_F(pool_fixture, a_connection_the_server_speaks_on_while_idle_is_dropped_at_once)
{
    auto conn = open_and_release();
    conn->server_speaks();  // a FIN, a reset, or an answer nobody asked for
    EXPECT_TRUE(conn->script->closed);
    EXPECT_EQ(observer.snapshot().connections_dropped, 1u);
    EXPECT_EQ(pool.open_connections(), 0u);  // its slot is free again
    connection_pool::connection_ptr got;
    EXPECT_EQ(pool.try_acquire(got, false), connection_pool::acquired::slot);  // never the dropped one
    pool.release_slot();
}

TEST_F(pool_fixture, a_connection_whose_watch_fired_is_never_handed_out)
{
    // The watch's end and the pool's hand-out race: the watch fires first, its report to the pool
    // has not run yet. claim() sees it.
    auto script = std::make_shared<connection_script>();
    scripted_connection conn(script);
    conn.watch();
    conn.watch_ended(script->last_watch, {});  // no activity handler yet: nobody was told
    EXPECT_FALSE(conn.claim());
    // A connection that was never watched, or whose watch was claimed, is fine.
    scripted_connection other(script);
    EXPECT_TRUE(other.claim());
    other.watch();
    EXPECT_TRUE(other.claim());
    other.watch_ended(script->last_watch, {});  // too late: it belongs to a request now
    EXPECT_TRUE(other.claim());
}

TEST_F(pool_fixture, a_cancelled_or_closed_watch_is_not_activity)
{
    auto conn = open_and_release();
    conn->watch_ended(conn->script->last_watch, boost::asio::error::operation_aborted);
    EXPECT_FALSE(conn->script->closed);
    connection_pool::connection_ptr got;
    EXPECT_EQ(pool.try_acquire(got, false), connection_pool::acquired::connection);
    pool.release(std::move(got), false);
}

TEST_F(pool_fixture, never_more_than_max_connections)
{
    connection_pool::connection_ptr a, b, c;
    EXPECT_EQ(pool.try_acquire(a, false), connection_pool::acquired::slot);
    EXPECT_EQ(pool.try_acquire(b, false), connection_pool::acquired::slot);
    EXPECT_EQ(pool.try_acquire(c, false), connection_pool::acquired::full);  // the caller must wait
    EXPECT_EQ(pool.open_connections(), 2u);
    pool.release_slot();
    pool.release_slot();
    EXPECT_EQ(pool.open_connections(), 0u);
}

TEST_F(pool_fixture, a_fresh_connection_takes_the_slot_of_an_idle_one_when_full)
{
    connection_pool::connection_ptr slot_a, slot_b;
    ASSERT_EQ(pool.try_acquire(slot_a, false), connection_pool::acquired::slot);
    ASSERT_EQ(pool.try_acquire(slot_b, false), connection_pool::acquired::slot);
    auto first = std::make_shared<scripted_connection>(std::make_shared<connection_script>());
    auto second = std::make_shared<scripted_connection>(std::make_shared<connection_script>());
    pool.release(first, true);
    pool.release(second, true);
    connection_pool::connection_ptr got;
    ASSERT_EQ(pool.try_acquire(got, true), connection_pool::acquired::slot);
    EXPECT_FALSE(got);
    EXPECT_TRUE(first->script->closed);  // the oldest idle one made room
    EXPECT_FALSE(second->script->closed);
    EXPECT_EQ(pool.open_connections(), 2u);
    pool.release_slot();
}

TEST_F(pool_fixture, connections_past_the_servers_keep_alive_timeout_are_retired)
{
    connection_pool::connection_ptr slot;
    ASSERT_EQ(pool.try_acquire(slot, false), connection_pool::acquired::slot);
    auto conn = std::make_shared<scripted_connection>(std::make_shared<connection_script>());
    conn->retire_at = std::chrono::steady_clock::now() - 1ms;  // Keep-Alive: timeout passed
    pool.release(conn, true);
    connection_pool::connection_ptr got;
    EXPECT_EQ(pool.try_acquire(got, false), connection_pool::acquired::slot);
    EXPECT_TRUE(conn->script->closed);
    EXPECT_EQ(observer.snapshot().connections_dropped, 1u);
    pool.release_slot();
}

TEST_F(pool_fixture, connections_idle_past_idle_timeout_are_closed)
{
    auto conn = open_and_release();
    conn->idle_since -= 31s;
    connection_pool::connection_ptr got;
    EXPECT_EQ(pool.try_acquire(got, false), connection_pool::acquired::slot);
    EXPECT_TRUE(conn->script->closed);
    pool.release_slot();
}

TEST_F(pool_fixture, shutdown_closes_idle_connections_and_refuses_acquires)
{
    auto conn = open_and_release();
    pool.shutdown();
    EXPECT_TRUE(conn->script->closed);
    connection_pool::connection_ptr got;
    EXPECT_EQ(pool.try_acquire(got, false), connection_pool::acquired::closed);
}

// The token request waits ahead of the requests queued for a connection (they may all be waiting
// for its token); each kind keeps its own order, and a cancelled one leaves no gap.
TEST_F(pool_fixture, waiters_ahead_of_the_queue_are_served_first_in_their_order)
{
    boost::asio::io_context io;
    connection_pool::connection_ptr first_slot, second_slot;
    ASSERT_EQ(pool.try_acquire(first_slot, false), connection_pool::acquired::slot);
    ASSERT_EQ(pool.try_acquire(second_slot, false), connection_pool::acquired::slot);  // full from here on
    std::vector<std::string> served;
    connection_pool::connection_ptr handed;
    boost::asio::cancellation_signal cancel;
    auto wait = [&](std::string name, bool ahead, boost::asio::cancellation_slot slot = {}) {
        pool.async_acquire(io.get_executor(), ahead, false,
                           boost::asio::bind_cancellation_slot(
                               slot, [&, name](boost::system::error_code e, connection_pool::connection_ptr c) {
                                   served.push_back(e ? name + " cancelled" : name);
                                   if (c)
                                       handed = std::move(c);
                               }));
    };
    wait("request 1", false);
    wait("token 1", true);
    wait("request 2", false);
    wait("token 2", true, cancel.slot());
    wait("token 3", true);
    cancel.emit(boost::asio::cancellation_type::terminal);
    io.run();

    // One connection, released again by each waiter it reaches.
    handed = std::make_shared<scripted_connection>(std::make_shared<connection_script>());
    for (int round = 0; round < 4 && handed; ++round)
    {
        pool.release(std::move(handed), true);
        io.restart();
        io.run();
    }
    const std::vector<std::string> expected{"token 2 cancelled", "token 1", "token 3", "request 1", "request 2"};
    EXPECT_EQ(served, expected);
    pool.release(std::move(handed), true);
    pool.release_slot();
}

TEST_F(pool_fixture, a_waiter_that_wants_a_fresh_connection_gets_a_slot_not_a_kept_alive_one)
{
    boost::asio::io_context io;
    connection_pool::connection_ptr a, b;
    ASSERT_EQ(pool.try_acquire(a, false), connection_pool::acquired::slot);
    ASSERT_EQ(pool.try_acquire(b, false), connection_pool::acquired::slot);
    bool served = false;
    connection_pool::connection_ptr handed;
    pool.async_acquire(io.get_executor(), false, true,
                       [&](boost::system::error_code e, connection_pool::connection_ptr c) {
                           served = !e;
                           handed = std::move(c);
                       });
    auto kept = std::make_shared<scripted_connection>(std::make_shared<connection_script>());
    pool.release(kept, true);
    io.run();
    EXPECT_TRUE(served);
    EXPECT_FALSE(handed);  // a slot to open a new connection in
    EXPECT_TRUE(kept->script->closed);
    EXPECT_EQ(pool.open_connections(), 2u);
    pool.release_slot();
    pool.release_slot();
}

TEST_F(pool_fixture, a_parked_connection_goes_to_the_token_request_not_to_the_queue_until_unparked)
{
    boost::asio::io_context io;
    connection_pool::connection_ptr first_slot, second_slot;
    ASSERT_EQ(pool.try_acquire(first_slot, false), connection_pool::acquired::slot);
    ASSERT_EQ(pool.try_acquire(second_slot, false), connection_pool::acquired::slot);  // full from here on
    std::vector<std::string> served;
    std::vector<connection_pool::connection_ptr> handed;
    auto wait = [&](std::string name, bool ahead) {
        pool.async_acquire(io.get_executor(), ahead, false,
                           [&, name](boost::system::error_code e, connection_pool::connection_ptr c) {
                               served.push_back(e ? name + " failed" : name);
                               handed.push_back(std::move(c));
                           });
    };
    wait("request 1", false);
    wait("request 2", false);

    // Parked: the queued requests are not woken.
    auto a = std::make_shared<scripted_connection>(std::make_shared<connection_script>());
    pool.park(a);
    io.run();
    EXPECT_TRUE(served.empty());
    EXPECT_EQ(a->script->watches, 0);  // armed two turns of the event loop later
    run_posted();
    run_posted();
    EXPECT_EQ(a->script->watches, 1);  // idle, and watched like any idle connection

    // The token request, queued ahead, gets the next parked connection at once.
    wait("token", true);
    io.restart();
    io.run();
    ASSERT_EQ(served, std::vector<std::string>{"token"});  // it took the idle one: nobody else woke
    auto b = std::make_shared<scripted_connection>(std::make_shared<connection_script>());
    wait("token again", true);
    pool.park(b);
    io.restart();
    io.run();
    ASSERT_EQ(served, (std::vector<std::string>{"token", "token again"}));
    ASSERT_EQ(handed.size(), 2u);
    EXPECT_EQ(handed[0], a);
    EXPECT_EQ(handed[1], b);

    // Both parked again, then the renewal is over: each queued request is woken once.
    pool.park(std::move(handed[0]));
    pool.park(std::move(handed[1]));
    handed.clear();
    io.restart();
    io.run();
    EXPECT_EQ(served.size(), 2u);
    pool.unpark();
    io.restart();
    io.run();
    EXPECT_EQ(served, (std::vector<std::string>{"token", "token again", "request 1", "request 2"}));
    ASSERT_EQ(handed.size(), 2u);
    EXPECT_TRUE(handed[0] && handed[1]);
    pool.unpark();  // nobody waits: nothing happens
    pool.release(std::move(handed[0]), true);
    pool.release(std::move(handed[1]), true);
    EXPECT_EQ(pool.open_connections(), 2u);
}

}  // namespace
}  // namespace vovrest::detail
