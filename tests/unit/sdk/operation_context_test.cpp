// One operation's cancellation and deadline without sockets: a step bound with step_token() ends
// when the caller cancels or the deadline passes, and interruption() tells which.
#include <vovrest/detail/operation_context.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/steady_timer.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <exception>

namespace vovrest::detail {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// A step that would last an hour unless the operation ends it; reports how it ended.
asio::awaitable<void> hour_long_step(operation_context& op, boost::system::error_code& out)
{
    asio::steady_timer never(op.executor(), std::chrono::hours(1));
    auto [ec] = co_await never.async_wait(op.step_token());
    out = ec;
    op.disarm();
}

boost::system::error_code run_step(asio::io_context& io, operation_context& op)
{
    boost::system::error_code ec;
    bool done = false;
    asio::co_spawn(io, hour_long_step(op, ec), [&](std::exception_ptr e) {
        done = true;
        if (e)
            std::rethrow_exception(e);
    });
    io.run();
    EXPECT_TRUE(done);
    return ec;
}

// A cancellation that comes while no step waits (between two steps) is not lost: the next step
// ends at once, as cancelled, not as timed out.
TEST(operation_context, cancellation_between_steps_ends_the_next_step)
{
    asio::io_context io;
    auto op = operation_context::make(io.get_executor(), 5s);  // were it lost: a timeout, not a hang
    op->arm({});
    op->cancel(asio::cancellation_type::terminal);  // nothing waits yet
    EXPECT_EQ(run_step(io, *op), asio::error::operation_aborted);
    EXPECT_TRUE(op->cancelled());
    EXPECT_FALSE(op->timed_out());
    EXPECT_EQ(op->interruption(), asio::error::operation_aborted);
}

TEST(operation_context, deadline_ends_a_step_as_timed_out)
{
    asio::io_context io;
    auto op = operation_context::make(io.get_executor(), 1ms);
    op->arm({});
    EXPECT_EQ(run_step(io, *op), asio::error::operation_aborted);
    EXPECT_TRUE(op->timed_out());
    EXPECT_EQ(op->interruption(), error::timeout);
}

// Asio's use_awaitable clears the coroutine's cancellation slot whenever an awaited operation
// completes: a caller followed through that slot must still reach the second step.
TEST(operation_context, caller_followed_through_its_slot_reaches_every_step)
{
    asio::io_context io;
    auto op = operation_context::make(io.get_executor(), {});
    asio::cancellation_signal caller;
    boost::system::error_code first, second;
    asio::co_spawn(
        io,
        [](operation_context& o, asio::cancellation_signal& c, boost::system::error_code& a,
           boost::system::error_code& b) -> asio::awaitable<void> {
            o.follow_caller(co_await asio::this_coro::cancellation_state);
            asio::steady_timer short_one(o.executor(), 1ms);
            auto [ec1] = co_await short_one.async_wait(o.step_token());
            a = ec1;
            asio::steady_timer never(o.executor(), std::chrono::hours(1));
            asio::post(o.executor(), [&c] { c.emit(asio::cancellation_type::terminal); });
            auto [ec2] = co_await never.async_wait(o.step_token());
            b = ec2;
            o.stop_following_caller();
        }(*op, caller, first, second),
        asio::bind_cancellation_slot(caller.slot(), [](std::exception_ptr e) {
            if (e)
                std::rethrow_exception(e);
        }));
    io.run();
    EXPECT_FALSE(first);
    EXPECT_EQ(second, asio::error::operation_aborted);
    EXPECT_TRUE(op->cancelled());
}

// A cancellation the caller's coroutine receives between two steps finds its slot empty (the
// first step has completed, the second has not started): it is only in the coroutine's
// cancellation state, and the second step must end at once all the same, not after an hour.
TEST(operation_context, caller_cancelled_between_steps_ends_the_next_step)
{
    asio::io_context io;
    auto op = operation_context::make(io.get_executor(), {});
    asio::cancellation_signal caller;
    boost::system::error_code first, second;
    asio::co_spawn(
        io,
        [](operation_context& o, asio::cancellation_signal& c, boost::system::error_code& a,
           boost::system::error_code& b) -> asio::awaitable<void> {
            co_await asio::this_coro::throw_if_cancelled(false);
            o.follow_caller(co_await asio::this_coro::cancellation_state);
            asio::steady_timer short_one(o.executor(), 1ms);
            auto [ec1] = co_await short_one.async_wait(o.step_token());
            a = ec1;
            c.emit(asio::cancellation_type::terminal);  // between the steps: no wait to end
            asio::steady_timer never(o.executor(), std::chrono::hours(1));
            auto [ec2] = co_await never.async_wait(o.step_token());
            b = ec2;
            o.stop_following_caller();
        }(*op, caller, first, second),
        asio::bind_cancellation_slot(caller.slot(), [](std::exception_ptr e) {
            if (e)
                std::rethrow_exception(e);
        }));
    io.run();
    EXPECT_FALSE(first);
    EXPECT_EQ(second, asio::error::operation_aborted);
    EXPECT_TRUE(op->cancelled());
}

}  // namespace
}  // namespace vovrest::detail
