// The keep-alive pool of one session: at most max_connections open at once; a request that finds
// none free waits in a FIFO (never a new socket beyond the cap). Idle connections are checked for
// a server-side close before reuse, and closed once idle longer than idle_timeout.
// Thread-safety: every member may be called from any thread at once.
#pragma once

#include <vovrest/detail/connection.hpp>
#include <vovrest/detail/session_observer.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/recycling_allocator.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <vector>

namespace vovrest::detail {

class connection_pool
{
public:
    using connection_ptr = std::unique_ptr<connection>;
    // nullptr with no error: a slot is reserved for the caller to open a new connection; it must
    // then call release() with the connection, or release_slot() if opening failed.
    using acquire_handler = boost::asio::any_completion_handler<void(boost::system::error_code, connection_ptr)>;

    connection_pool(std::size_t max_connections,
                    std::chrono::steady_clock::duration idle_timeout, session_observer& observer);
    ~connection_pool();

    // `resume_on` must be the executor the token's handler runs on (the operation's): the
    // completion is posted there and calls the handler directly, without going through its
    // type-erased executor (that costs two allocations and a work-tracking dispatch per wait).
    // `ahead_of_queue` waiters (the token request) are served before the others, in their order.
    template <class CompletionToken>
    auto async_acquire(const boost::asio::any_io_executor& resume_on, bool ahead_of_queue, CompletionToken&& token)
    {
        return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code, connection_ptr)>(
            [this](auto handler, const boost::asio::any_io_executor& ex, bool ahead) {
                start_acquire(ex, ahead, acquire_handler(std::move(handler)));
            },
            token, resume_on, ahead_of_queue);
    }

    // Without waiting: true with an idle, live connection (conn set) or a reserved slot (conn
    // null), or with ec = session_closed; false when the pool is full (then call async_acquire).
    // An idle connection is peeked at (a system call) before it is handed out, except, for an
    // `idempotent` request, one idle for less than recent_idle: a server that closed it since
    // costs that request a resend, never a duplicate, and the peek was 8 % of the client's CPU
    // per request when every request reuses a connection at once. Idle-timeout closes, the
    // reason for the peek, come after seconds.
    bool try_acquire(connection_ptr& conn, boost::system::error_code& ec, bool idempotent = false);
    static constexpr std::chrono::microseconds recent_idle{1000};

    // Gives a connection back: reusable ones go to the first waiter or to the idle list, others
    // are closed and their slot passed on.
    void release(connection_ptr conn, bool reusable);
    void release_slot();
    // Closes idle connections, fails waiters with session_closed, refuses further acquires.
    void shutdown();

    std::size_t open_connections() const;

private:
    struct waiter
    {
        std::uint64_t id;
        boost::asio::any_io_executor resume_on;
        acquire_handler handler;
        bool ahead_of_queue = false;
    };

    void start_acquire(const boost::asio::any_io_executor& resume_on, bool ahead_of_queue, acquire_handler handler);
    void cancel_waiter(std::uint64_t id);
    void drop(std::vector<connection_ptr>& dead);
    void note_reused();  // counts and reports a kept-alive connection served again
    // A live idle connection or a free slot, if there is one now; true also when shut down (ec).
    bool try_place_locked(connection_ptr& conn, boost::system::error_code& ec, std::vector<connection_ptr>& dead,
                          bool idempotent = false);  // `dead`: closed and counted outside the lock
    void hand_over(waiter w, boost::system::error_code ec, connection_ptr conn);
    // Idle connections past idle_timeout are closed whenever the pool is used. There is no sweep
    // timer on purpose: a session never keeps its io_context running on its own, so io.run()
    // returns once the caller's work is done.
    void evict_expired_locked(std::chrono::steady_clock::time_point now, std::vector<connection_ptr>& dead);

    const std::size_t max_connections_;
    const std::chrono::steady_clock::duration idle_timeout_;
    session_observer& observer_;

    mutable std::mutex mutex_;
    std::vector<connection_ptr> idle_;  // most recently used last
    // A list: its elements are never move-assigned. Boost 1.81's any_completion_handler move
    // assignment recurses without end (it rewraps `other` as a new handler), so a deque's insert
    // or erase in the middle overflowed the stack. Its nodes come from Asio's per-thread
    // recycling cache (under load nearly every request waits). Waiters ahead_of_queue come first.
    using waiter_list = std::list<waiter, boost::asio::recycling_allocator<waiter>>;
    waiter_list waiters_;
    std::size_t open_ = 0;              // connections open or being opened
    std::uint64_t next_waiter_id_ = 0;
    bool shut_down_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vovrest::detail
