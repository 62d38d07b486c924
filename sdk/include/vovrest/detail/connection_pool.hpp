// The keep-alive pool of one session: at most max_connections open at once; a request that finds
// none free waits in a FIFO (never a new socket beyond the cap), the token request ahead of the
// others. (The session's calls wait for their turn before they come here, one turn per
// connection: this queue is short.) An idle connection is watched from two turns of the event
// loop after it goes idle (a connection taken again before that never arms a wait): the moment
// the server closes it or sends anything, it is closed and its slot freed. Connections idle longer than idle_timeout, or than the server's
// own Keep-Alive timeout, are closed when the pool is next used. The pool knows nothing of
// tokens or retries; the request machine decides those.
// Thread-safety: every member may be called from any thread at once.
#pragma once

#include <vovrest/detail/connection.hpp>
#include <vovrest/detail/session_observer.hpp>
#include <vovrest/detail/waiter_queue.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <memory>

namespace vovrest::detail {

class connection_pool
{
public:
    using connection_ptr = std::shared_ptr<connection>;
    // A null connection with no error: a slot is reserved for the caller to open a new connection
    // in; it must then call release() with it, or release_slot() if opening failed.
    using acquire_signature = void(boost::system::error_code, connection_ptr);

    enum class acquired
    {
        connection,  // a kept-alive connection (conn set)
        slot,        // a slot to open a new connection in
        full,        // none free: call async_acquire
        closed,      // shut down
    };

    connection_pool(std::size_t max_connections, std::chrono::steady_clock::duration idle_timeout,
                    session_observer& observer);
    ~connection_pool();  // shutdown()
    connection_pool(const connection_pool&) = delete;
    connection_pool& operator=(const connection_pool&) = delete;

    // Without waiting. `fresh`: a kept-alive connection will not do (after a failure on one): a
    // slot, made by closing an idle connection if need be.
    acquired try_acquire(connection_ptr& conn, bool fresh);

    // Waits in the queue (call it after try_acquire said full). `resume_on` must be the executor
    // the token's handler runs on: the completion is posted there. `ahead_of_queue` waiters (the
    // token request) are served before the others. Cancellation (terminal, partial, total): the
    // waiter leaves the queue and completes with operation_aborted.
    template <class CompletionToken>
    auto async_acquire(const boost::asio::any_io_executor& resume_on, bool ahead_of_queue, bool fresh,
                       CompletionToken&& token)
    {
        return boost::asio::async_initiate<CompletionToken, acquire_signature>(
            [this](auto handler, const boost::asio::any_io_executor& ex, bool ahead, bool want_fresh) {
                start_acquire(ex, ahead, want_fresh,
                              boost::asio::any_completion_handler<acquire_signature>(std::move(handler)));
            },
            token, resume_on, ahead_of_queue, fresh);
    }

    // Gives a connection back: a reusable one goes to the first waiter or to the idle list (and
    // the next batch of watches); any other is closed and its slot passed on.
    void release(connection_ptr conn, bool reusable);
    void release_slot();
    // Gives back a reusable connection that the callers queued now cannot use (the one giving it
    // back knows why: no usable token): a waiter ahead of the queue gets it at once, the others
    // do not; it goes to the idle list, where a new acquire may take it. unpark() then hands the
    // idle connections to the queue again; whoever parks must call it once its reason is over,
    // whatever the outcome, or the queue would wait for the next release.
    void park(connection_ptr conn);
    void unpark();
    // Closes idle connections, fails waiters with session_closed, refuses further acquires.
    void shutdown();

    std::size_t open_connections() const;

    struct impl;

private:
    void start_acquire(const boost::asio::any_io_executor& resume_on, bool ahead_of_queue, bool fresh,
                       boost::asio::any_completion_handler<acquire_signature> handler);

    std::shared_ptr<impl> impl_;
};

}  // namespace vovrest::detail
