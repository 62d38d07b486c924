// The per-operation context every layer of one session operation shares: the executor its steps
// complete on, one cancellation signal fed by the caller's slot and by one deadline timer, and
// which of the two fired. Every step binds the same signal (step_token()), so every wait (token,
// connection, socket) is cancelled the same way whether the operation runs as its own coroutine
// or inside the caller's.
// Thread-safety: the operation's own code runs one step at a time. On an executor that runs one
// handler at a time (the caller's promise, or a strand) nothing more is needed. On any other (a
// thread pool running one io_context) the operation is `concurrent`: the deadline timer and the
// caller's cancellation may fire on another thread, so the operation holds its guard while its
// code runs and gives it up only once a step is started (step_token() does both); a cancellation
// takes the guard, and so reaches a step that is fully started, never one being set up. No strand
// is needed for that: one uncontended lock per step.
#pragma once

#include <vovrest/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associator.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

namespace vovrest::detail {

class operation_context;

// The completion token of an operation's steps (operation_context::step_token()): `inner` with
// the guard of a concurrent operation given up once the step is started and taken back before
// the operation's code resumes.
template <class Inner>
struct guarded_step
{
    operation_context* op;
    Inner inner;
};

class operation_context : public std::enable_shared_from_this<operation_context>
{
public:
    using clock = std::chrono::steady_clock;

    // `concurrent`: `ex` may run several handlers at once (see the class comment).
    operation_context(boost::asio::any_io_executor ex, bool concurrent)
        : executor_(std::move(ex)), timer_(executor_), concurrent_(concurrent)
    {}

    // From malloc, not Asio's per-thread recycling cache: that cache is first-fit over a few
    // blocks shared with every socket and timer operation, and with many operations in flight a
    // block this size missed it most of the time (callgrind: 3.6 misses per request at 64 in
    // flight), where malloc's own thread cache serves it at once.
    // `timeout`: the whole operation's (zero: none). The operation's code calls enter() when it
    // starts running and finish() when it is done, on the thread it runs on.
    static std::shared_ptr<operation_context> make(boost::asio::any_io_executor ex, clock::duration timeout,
                                                   bool concurrent = false)
    {
        auto op = std::make_shared<operation_context>(std::move(ex), concurrent);
        if (timeout.count() > 0)
            op->operation_deadline_ = clock::now() + timeout;
        return op;
    }
    // The same with the deadline as a time (time_point::max(): none), as a `Derived` (an
    // operation_context with what its caller keeps beside it, in the same allocation).
    template <class Derived = operation_context>
    static std::shared_ptr<Derived> make_until(boost::asio::any_io_executor ex, clock::time_point deadline,
                                               bool concurrent)
    {
        auto op = std::make_shared<Derived>(std::move(ex), concurrent);
        static_cast<operation_context&>(*op).operation_deadline_ = deadline;
        return op;
    }

    // The operation's code is done: no deadline left armed (it would keep the io_context running
    // for nothing), and the guard given up.
    void finish()
    {
        disarm();
        leave();
    }

    // The guard of a concurrent operation (no-ops otherwise): held while its code runs. Recursive:
    // an event hook that cancels its own caller from inside the operation must not deadlock.
    void enter()
    {
        if (concurrent_)
            guard_.lock();
    }
    void leave()
    {
        if (concurrent_)
            guard_.unlock();
    }
    bool concurrent() const noexcept { return concurrent_; }

    const boost::asio::any_io_executor& executor() const noexcept { return executor_; }

    // Where an operation may run: `session_ex` itself when it is already serialized (the caller's
    // promise, or a strand), else a strand of its own over it.
    static boost::asio::any_io_executor serialized_executor(const boost::asio::any_io_executor& session_ex,
                                                            bool already_serialized)
    {
        if (already_serialized)
            return session_ex;
        // A strand over the io_context's own executor fits any_io_executor's small buffer (24
        // bytes); strand<any_io_executor> is heap-allocated at every type-erased copy.
        if (const auto* io = session_ex.target<boost::asio::io_context::executor_type>())
            return boost::asio::make_strand(*io);
        return boost::asio::make_strand(session_ex);
    }
    static bool is_strand(const boost::asio::any_io_executor& ex) noexcept
    {
        return ex.target<boost::asio::strand<boost::asio::io_context::executor_type>>() != nullptr
               || ex.target<boost::asio::strand<boost::asio::any_io_executor>>() != nullptr;
    }

    // The completion token of every step of the operation: its one cancellation signal, errors as
    // values (a cancelled step reports operation_aborted instead of throwing). It is called just
    // before the step starts: both rules below rely on that.
    auto step_token()
    {
        // Asio's use_awaitable clears the coroutine's cancellation slot whenever an awaited
        // operation completes: the handler that forwards the caller's cancellation goes back in
        // before every step.
        if (caller_slot_.is_connected())
        {
            // A cancellation the caller's coroutine received between two steps, while its slot
            // was empty, is only in the coroutine's cancellation state: it ends this step too.
            if (caller_state_.cancelled() != boost::asio::cancellation_type::none)
                cancelled_ = true;
            caller_slot_.assign([this](boost::asio::cancellation_type type) { cancel(type); });
        }
        // A cancellation that came while no step was waiting found nothing to end: this step
        // ends at once (the timer fires as soon as it has started).
        if (cancelled_)
            fire_now();
        return guarded_step<inner_token>{this, boost::asio::bind_cancellation_slot(
                                                   signal_.slot(), boost::asio::as_tuple(boost::asio::use_awaitable))};
    }

    using inner_token = boost::asio::cancellation_slot_binder<boost::asio::as_tuple_t<boost::asio::use_awaitable_t<>>,
                                                              boost::asio::cancellation_slot>;

    // An operation run inside its caller's coroutine: `slot` is that coroutine's cancellation
    // slot (the one its awaited operations use), followed until stop_following_caller().
    void follow_caller(boost::asio::cancellation_state state) noexcept
    {
        caller_state_ = state;
        caller_slot_ = state.slot();
    }
    void stop_following_caller() noexcept
    {
        if (caller_slot_.is_connected())
            caller_slot_.clear();
        caller_slot_ = {};
        caller_state_ = {};
    }

    // Arms the deadline of the next step (connect, handshake, request), bounded by the
    // operation's deadline; `step` = zero means only the operation's deadline applies.
    void arm(clock::duration step)
    {
        auto deadline = operation_deadline_;
        if (step.count() > 0)
            deadline = std::min(deadline, clock::now() + step);
        ++arming_;
        if (deadline == clock::time_point::max())
        {
            timer_.cancel();
            return;
        }
        wait_until(deadline);
    }
    // A wait left pending would keep the io_context running for nothing. (Cancelling a timer with
    // no wait is free: Asio checks that first.)
    void disarm()
    {
        ++arming_;
        timer_.cancel();
    }

    // Cancellation from the caller. A serialized operation gets it on its executor; a concurrent
    // one from any thread, with the step it reaches fully started (the guard).
    void cancel(boost::asio::cancellation_type type)
    {
        enter();
        cancelled_ = true;
        signal_.emit(type);
        leave();
    }

    // Time before the operation's own deadline; nullopt when it has none. Reads the clock.
    std::optional<clock::duration> time_left() const noexcept
    {
        if (operation_deadline_ == clock::time_point::max())
            return std::nullopt;
        return std::max(operation_deadline_ - clock::now(), clock::duration::zero());
    }

    bool timed_out() const noexcept { return timed_out_; }
    bool cancelled() const noexcept { return cancelled_; }

    // What an aborted step means for the caller: error::timeout when a deadline fired,
    // operation_aborted when the caller cancelled.
    boost::system::error_code interruption() const noexcept
    {
        return timed_out_ ? boost::system::error_code(error::timeout)
                          : boost::system::error_code(boost::asio::error::operation_aborted);
    }
    // A failed step: its interruption if the deadline or the caller ended it, else `otherwise`.
    boost::system::error_code failure_or(boost::system::error_code otherwise) const noexcept
    {
        return timed_out_ || cancelled_ ? interruption() : otherwise;
    }

private:
    void wait_until(clock::time_point deadline)
    {
        timer_.expires_at(deadline);
        timer_.async_wait([self = shared_from_this(), armed = arming_](boost::system::error_code ec) {
            if (ec)
                return;
            self->enter();
            if (armed == self->arming_)
            {
                if (!self->cancelled_)
                    self->timed_out_ = true;
                self->signal_.emit(boost::asio::cancellation_type::terminal);
            }
            self->leave();
        });
    }
    void fire_now()
    {
        ++arming_;
        wait_until(clock::time_point());  // long past: fires at once
    }

    boost::asio::any_io_executor executor_;
    boost::asio::steady_timer timer_;
    boost::asio::cancellation_signal signal_;
    clock::time_point operation_deadline_ = clock::time_point::max();
    std::uint64_t arming_ = 0;
    bool timed_out_ = false;
    bool cancelled_ = false;
    boost::asio::cancellation_slot caller_slot_;
    boost::asio::cancellation_state caller_state_;  // the caller coroutine's, while followed
    const bool concurrent_;
    std::recursive_mutex guard_;
};

// The handler of a guarded step: takes the guard back, then resumes the operation's code.
template <class Handler>
struct guarded_handler
{
    operation_context* op;
    Handler handler;

    template <class... Args>
    void operator()(Args&&... args)
    {
        op->enter();
        std::move(handler)(std::forward<Args>(args)...);
    }
};

// Starts the step with the guarded handler, then gives the guard up: from here a cancellation may
// reach the step.
template <class Initiation>
struct guarded_initiation
{
    operation_context* op;
    Initiation initiation;

    template <class Handler, class... Args>
    void operator()(Handler&& handler, Args&&... args)
    {
        std::move(initiation)(guarded_handler<std::decay_t<Handler>>{op, std::forward<Handler>(handler)},
                              std::forward<Args>(args)...);
        op->leave();
    }
};

}  // namespace vovrest::detail

namespace boost::asio {

template <class Inner, class... Signatures>
struct async_result<vovrest::detail::guarded_step<Inner>, Signatures...>
{
    template <class Initiation, class RawToken, class... Args>
    static auto initiate(Initiation&& initiation, RawToken&& token, Args&&... args)
    {
        return async_initiate<Inner, Signatures...>(
            vovrest::detail::guarded_initiation<std::decay_t<Initiation>>{token.op,
                                                                          std::forward<Initiation>(initiation)},
            token.inner, std::forward<Args>(args)...);
    }
};

// The handler keeps what its inner handler is associated with: executor, cancellation slot,
// allocator.
template <template <typename, typename> class Associator, class Handler, class DefaultCandidate>
struct associator<Associator, vovrest::detail::guarded_handler<Handler>, DefaultCandidate>
{
    using type = typename Associator<Handler, DefaultCandidate>::type;

    static type get(const vovrest::detail::guarded_handler<Handler>& h) noexcept
    {
        return Associator<Handler, DefaultCandidate>::get(h.handler);
    }

    static auto get(const vovrest::detail::guarded_handler<Handler>& h, const DefaultCandidate& c) noexcept
        -> decltype(Associator<Handler, DefaultCandidate>::get(h.handler, c))
    {
        return Associator<Handler, DefaultCandidate>::get(h.handler, c);
    }
};

}  // namespace boost::asio
