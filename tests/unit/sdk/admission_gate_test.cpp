// The admission gate: at most `capacity` places, waiters served first come first (nobody arriving
// later takes a place before them), one timer for every waiter's deadline that never keeps the
// io_context running on its own, cancellation of one waiter, open() at shutdown, and places never
// over-handed when threads take and give back at once.
#include <vovrest/detail/admission_gate.hpp>
#include <vovrest/error.hpp>

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vovrest::detail {
namespace {

using namespace std::chrono_literals;
using clock = admission_gate::clock;

// A waiter that records how its turn (or its end) came.
struct recorded_waiter : admission_gate::waiter
{
    std::string name;
    std::vector<std::string>* log = nullptr;
    boost::system::error_code result;
    bool ended = false;

    recorded_waiter(std::string n, std::vector<std::string>& l) : name(std::move(n)), log(&l)
    {
        on_turn = [](admission_gate::waiter& w, boost::system::error_code ec) {
            auto& self = static_cast<recorded_waiter&>(w);
            self.result = ec;
            self.ended = true;
            self.log->push_back(self.name + (ec ? " " + ec.message() : ""));
        };
    }
};

TEST(admission_gate, places_are_served_in_arrival_order_and_never_taken_past_a_waiter)
{
    boost::asio::io_context io;
    admission_gate gate(io.get_executor(), 2);
    std::vector<std::string> log;
    ASSERT_TRUE(gate.try_enter());
    ASSERT_TRUE(gate.try_enter());
    EXPECT_FALSE(gate.try_enter());

    recorded_waiter a("a", log), b("b", log), c("c", log);
    gate.enqueue(a);
    gate.enqueue(b);
    gate.enqueue(c);
    EXPECT_TRUE(log.empty());
    EXPECT_EQ(gate.waiting(), 3u);

    gate.leave();  // the place goes to the first waiter, at once
    EXPECT_EQ(log, std::vector<std::string>{"a"});
    EXPECT_FALSE(gate.try_enter());  // b and c still wait: nobody jumps the queue
    gate.leave();                    // the test's second place: to b
    gate.leave();                    // a's: to c
    EXPECT_EQ(log, (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(gate.waiting(), 0u);
    EXPECT_FALSE(gate.try_enter());  // b and c hold both places
    gate.leave();                    // b's
    EXPECT_TRUE(gate.try_enter());   // free again, nobody waits
    io.run();                        // nothing left armed: returns at once
}

TEST(admission_gate, a_waiter_enqueued_while_a_place_is_free_gets_it_at_once)
{
    boost::asio::io_context io;
    admission_gate gate(io.get_executor(), 1);
    std::vector<std::string> log;
    recorded_waiter a("a", log);
    gate.enqueue(a);  // a place came free since try_enter() said no (here: it was never taken)
    EXPECT_EQ(log, std::vector<std::string>{"a"});
    EXPECT_EQ(gate.waiting(), 0u);
    EXPECT_FALSE(gate.try_enter());
    gate.leave();
}

TEST(admission_gate, deadlines_end_the_waiters_due_and_the_timer_never_outlives_the_queue)
{
    boost::asio::io_context io;
    admission_gate gate(io.get_executor(), 1);
    std::vector<std::string> log;
    ASSERT_TRUE(gate.try_enter());
    recorded_waiter due("due", log), late("late", log), none("none", log);
    due.deadline = clock::now() + 20ms;
    late.deadline = clock::now() + 1h;
    gate.enqueue(due);
    gate.enqueue(late);
    gate.enqueue(none);  // no deadline

    // The timer fires for `due`; it then re-arms for `late` (an hour away) and the io_context
    // would block: stop once `due` has ended.
    while (!due.ended)
        io.run_one();
    EXPECT_EQ(due.result, error::timeout);
    EXPECT_EQ(gate.waiting(), 2u);

    // `late` then `none` get the place; with the queue empty the timer is cancelled and the
    // io_context has nothing left (run() returns, an hour before `late`'s deadline).
    gate.leave();
    EXPECT_TRUE(late.ended);
    EXPECT_FALSE(late.result);
    gate.leave();  // `none` gets it
    EXPECT_TRUE(none.ended);
    io.restart();
    io.run();
    EXPECT_EQ(log,
              (std::vector<std::string>{"due " + boost::system::error_code(error::timeout).message(), "late", "none"}));
    gate.leave();
}

TEST(admission_gate, a_cancelled_waiter_leaves_the_queue_alone_and_later_cancellation_does_nothing)
{
    boost::asio::io_context io;
    admission_gate gate(io.get_executor(), 1);
    std::vector<std::string> log;
    ASSERT_TRUE(gate.try_enter());
    boost::asio::cancellation_signal cancel_a, cancel_b;
    recorded_waiter a("a", log), b("b", log), c("c", log);
    a.slot = cancel_a.slot();
    b.slot = cancel_b.slot();
    gate.enqueue(a);
    gate.enqueue(b);
    gate.enqueue(c);

    cancel_b.emit(boost::asio::cancellation_type::partial);  // any type ends the wait
    EXPECT_EQ(b.result, boost::asio::error::operation_aborted);
    EXPECT_EQ(gate.waiting(), 2u);

    gate.leave();
    EXPECT_TRUE(a.ended);
    EXPECT_FALSE(a.result);
    EXPECT_FALSE(a.slot.is_connected());                      // its handler was taken out with its turn
    cancel_a.emit(boost::asio::cancellation_type::terminal);  // too late: nothing happens
    EXPECT_FALSE(a.result);
    gate.leave();
    EXPECT_TRUE(c.ended);
    EXPECT_EQ(log.size(), 3u);
    gate.leave();
    io.run();
}

TEST(admission_gate, open_lets_every_waiter_and_every_later_caller_through)
{
    boost::asio::io_context io;
    admission_gate gate(io.get_executor(), 1);
    std::vector<std::string> log;
    ASSERT_TRUE(gate.try_enter());
    recorded_waiter a("a", log), b("b", log);
    a.deadline = clock::now() + 1h;
    gate.enqueue(a);
    gate.enqueue(b);
    gate.open();
    EXPECT_EQ(log, (std::vector<std::string>{"a", "b"}));
    EXPECT_FALSE(a.result);
    EXPECT_TRUE(gate.try_enter());
    EXPECT_TRUE(gate.try_enter());
    recorded_waiter c("c", log);
    gate.enqueue(c);
    EXPECT_TRUE(c.ended);
    io.run();  // the deadline's timer was cancelled with the queue
}

// Threads take places, wait for them and give them back at once: never more than `capacity`
// inside, every waiter served exactly once, none left waiting.
TEST(admission_gate, threads_never_hold_more_places_than_there_are)
{
    boost::asio::io_context io;
    constexpr std::size_t capacity = 3;
    admission_gate gate(io.get_executor(), capacity);
    std::atomic<int> inside{0};
    std::atomic<int> most{0};
    std::atomic<int> waited{0};

    struct blocking_waiter : admission_gate::waiter
    {
        std::mutex m;
        std::condition_variable cv;
        bool turn = false;
        boost::system::error_code result;
    };
    auto enter = [&] {
        if (gate.try_enter())
            return;
        blocking_waiter w;
        w.on_turn = [](admission_gate::waiter& base, boost::system::error_code ec) {
            auto& self = static_cast<blocking_waiter&>(base);
            std::lock_guard lock(self.m);
            self.result = ec;
            self.turn = true;
            self.cv.notify_one();
        };
        gate.enqueue(w);
        std::unique_lock lock(w.m);
        w.cv.wait(lock, [&] { return w.turn; });
        EXPECT_FALSE(w.result);
        ++waited;
    };
    auto hold = [&] {
        const int now = ++inside;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now))
        {}
        --inside;
    };
    auto work = [&] {
        enter();  // every thread queues first: the test holds every place
        hold();
        gate.leave();
        for (int i = 0; i < 5000; ++i)
        {
            enter();
            hold();
            gate.leave();
        }
    };
    for (std::size_t i = 0; i < capacity; ++i)
        ASSERT_TRUE(gate.try_enter());
    constexpr int thread_count = 6;
    std::vector<std::thread> threads;
    for (int t = 0; t < thread_count; ++t)
        threads.emplace_back(work);
    // Every thread waits in the queue before the test gives its places back.
    const auto give_up = clock::now() + 30s;
    while (gate.waiting() < thread_count && clock::now() < give_up)
        std::this_thread::yield();
    EXPECT_EQ(gate.waiting(), static_cast<std::size_t>(thread_count));
    for (std::size_t i = 0; i < capacity; ++i)
        gate.leave();
    for (auto& t : threads)
        t.join();
    EXPECT_LE(most.load(), static_cast<int>(capacity));
    EXPECT_GE(waited.load(), thread_count);  // the queue was used, not only the fast path
    EXPECT_EQ(gate.waiting(), 0u);
    for (std::size_t i = 0; i < capacity; ++i)
        EXPECT_TRUE(gate.try_enter());  // every place given back
    EXPECT_FALSE(gate.try_enter());
}

}  // namespace
}  // namespace vovrest::detail
