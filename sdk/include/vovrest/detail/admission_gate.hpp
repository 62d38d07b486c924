// At most `capacity` requests of a session past this gate at once (one per connection the pool may
// open): the others wait here, in arrival order, before any of their operation state exists. A
// waiting call is a node (in the session's case, in the caller's own coroutine frame, with the
// coroutine's handler) and nothing more: no coroutine of its own, no operation context, no request
// machine, no timer. 100,000 callers on 64 connections thus hold 100,000 nodes and 64 operations,
// not 100,000 operations.
//
// Every waiter of a session shares its operation_timeout, so arrival order is deadline order: one
// timer, armed for the first waiter's deadline, serves the whole queue, and is cancelled as soon
// as nobody waits (a gate never keeps an io_context running on its own).
// Thread-safety: every member may be called from any thread at once. A waiter's on_turn runs
// outside the gate's lock, on the thread that gave it its turn (or its end).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <memory>

namespace vovrest::detail {

class admission_gate
{
public:
    using clock = std::chrono::steady_clock;

    // One waiting call: its owner derives from it and keeps it alive until on_turn runs, which
    // it does exactly once: with no error when the place is the caller's (it must leave() it
    // later), error::timeout at `deadline`, operation_aborted when cancelled through `slot`.
    struct waiter
    {
        void (*on_turn)(waiter&, boost::system::error_code) = nullptr;
        clock::time_point deadline = clock::time_point::max();  // max(): none
        // The caller's cancellation (any type) takes the waiter out; cleared before on_turn runs
        // for any other reason, so that it never points at a node that is gone.
        boost::asio::cancellation_slot slot;
        // The gate's, under its lock.
        waiter* prev = nullptr;
        waiter* next = nullptr;
        bool queued = false;
    };

    // `timer_executor` runs the deadline timer's completion (the session's executor).
    admission_gate(boost::asio::any_io_executor timer_executor, std::size_t capacity);
    ~admission_gate();  // open()
    admission_gate(const admission_gate&) = delete;
    admission_gate& operator=(const admission_gate&) = delete;

    // A place at once, if one is free and nobody waits (FIFO: those who wait come first). Every
    // place taken must be given back with leave().
    bool try_enter();

    // A place for `w`: at once (on_turn runs before this returns) if one is free and nobody
    // waits, else in arrival order. `w` must stay where it is until on_turn runs.
    void enqueue(waiter& w);

    // Gives a place back: to the first waiter if there is one, else to the next caller.
    void leave();

    // Lets every waiter through at once, and every later caller with no wait (the session shuts
    // down: the pool then fails them with session_closed, as it fails any request).
    void open();

    std::size_t waiting() const;

    struct state;

private:
    std::shared_ptr<state> state_;
};

}  // namespace vovrest::detail
