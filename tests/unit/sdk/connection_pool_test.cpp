// The keep-alive pool without sockets: which idle connections are peeked at before reuse, which
// are dropped, and that the cap holds.
#include <vovrest/detail/connection_pool.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace vovrest::detail {
namespace {

// What a test scripts and observes of one connection; outlives the connection, which the pool
// destroys when it drops it.
struct connection_script
{
    bool alive = true;
    int checks = 0;
    bool closed = false;
};

// A connection whose idle check answers script.alive and counts how often it was asked.
struct scripted_connection final : connection
{
    explicit scripted_connection(connection_script& s) : script(s) {}
    bool alive_while_idle() noexcept override
    {
        ++script.checks;
        return script.alive;
    }
    void close() noexcept override { script.closed = true; }
    connection_script& script;
};

struct pool_fixture : ::testing::Test
{
    session_observer observer;
    connection_script script;  // before the pool: its connections write to it until the pool is gone
    connection_pool pool{2, std::chrono::seconds(30), observer};

    // Opens a connection through the pool's slot and releases it as reusable.
    connection* open_and_release()
    {
        connection_pool::connection_ptr slot;
        boost::system::error_code ec;
        EXPECT_TRUE(pool.try_acquire(slot, ec));
        EXPECT_FALSE(slot);  // a reserved slot: the caller opens the connection
        auto conn = std::make_unique<scripted_connection>(script);
        auto* raw = conn.get();
        pool.release(std::move(conn), true);
        return raw;
    }
};

TEST_F(pool_fixture, idempotent_request_reuses_a_just_released_connection_without_a_peek)
{
    auto* conn = open_and_release();
    connection_pool::connection_ptr got;
    boost::system::error_code ec;
    ASSERT_TRUE(pool.try_acquire(got, ec, true));
    EXPECT_EQ(got.get(), conn);
    EXPECT_EQ(script.checks, 0);
    EXPECT_TRUE(got->reused);
    EXPECT_EQ(observer.snapshot().connections_reused, 1u);
}

TEST_F(pool_fixture, non_idempotent_request_always_peeks)
{
    auto* conn = open_and_release();
    connection_pool::connection_ptr got;
    boost::system::error_code ec;
    ASSERT_TRUE(pool.try_acquire(got, ec, false));
    EXPECT_EQ(got.get(), conn);
    EXPECT_EQ(script.checks, 1);
}

TEST_F(pool_fixture, connection_idle_longer_than_recent_idle_is_peeked_even_for_a_get)
{
    auto* conn = open_and_release();
    conn->idle_since -= connection_pool::recent_idle;  // as if released that long ago
    connection_pool::connection_ptr got;
    boost::system::error_code ec;
    ASSERT_TRUE(pool.try_acquire(got, ec, true));
    EXPECT_EQ(got.get(), conn);
    EXPECT_EQ(script.checks, 1);
}

TEST_F(pool_fixture, connection_closed_by_the_server_while_idle_is_dropped_and_its_slot_reused)
{
    open_and_release();
    script.alive = false;
    connection_pool::connection_ptr got;
    boost::system::error_code ec;
    ASSERT_TRUE(pool.try_acquire(got, ec, false));
    EXPECT_FALSE(got);  // the dead one was dropped: a slot to open a new connection instead
    EXPECT_TRUE(script.closed);
    EXPECT_EQ(observer.snapshot().connections_dropped, 1u);
    EXPECT_EQ(pool.open_connections(), 1u);  // the new slot only
}

TEST_F(pool_fixture, never_more_than_max_connections)
{
    connection_pool::connection_ptr a, b, c;
    boost::system::error_code ec;
    EXPECT_TRUE(pool.try_acquire(a, ec));
    EXPECT_TRUE(pool.try_acquire(b, ec));
    EXPECT_FALSE(pool.try_acquire(c, ec));  // full: the caller must wait
    EXPECT_EQ(pool.open_connections(), 2u);
    pool.release_slot();
    pool.release_slot();
    EXPECT_EQ(pool.open_connections(), 0u);
}

// The token request waits ahead of the requests queued for a connection (they may all be waiting
// for its token); each kind keeps its own order, and a cancelled one leaves no gap.
TEST_F(pool_fixture, waiters_ahead_of_the_queue_are_served_first_in_their_order)
{
    boost::asio::io_context io;
    connection_pool::connection_ptr first_slot, second_slot;
    boost::system::error_code ec;
    ASSERT_TRUE(pool.try_acquire(first_slot, ec));
    ASSERT_TRUE(pool.try_acquire(second_slot, ec));  // full from here on
    std::vector<std::string> served;
    connection_pool::connection_ptr handed;
    boost::asio::cancellation_signal cancel;
    auto wait = [&](std::string name, bool ahead, boost::asio::cancellation_slot slot = {}) {
        pool.async_acquire(io.get_executor(), ahead,
                           boost::asio::bind_cancellation_slot(slot, [&, name](boost::system::error_code e,
                                                                               connection_pool::connection_ptr c) {
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
    handed = std::make_unique<scripted_connection>(script);
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

}  // namespace
}  // namespace vovrest::detail
