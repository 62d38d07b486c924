// The per-operation context every layer of one session operation shares: the executor its steps
// complete on, one cancellation signal fed by the caller's slot and by one deadline timer, and
// which of the two fired. Every step binds the same signal (step_token()), so every wait (token,
// connection, socket) is cancelled the same way whether the operation runs as its own coroutine
// or inside the caller's. Thread-safety: used only from the operation's executor, which runs one
// handler at a time (a strand of its own, or an executor the caller promised is serialized).
#pragma once

#include <vovrest/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/recycling_allocator.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

namespace vovrest::detail {

class operation_context : public std::enable_shared_from_this<operation_context>
{
public:
    using clock = std::chrono::steady_clock;

    // `ex` runs one handler at a time: see serialized_executor().
    explicit operation_context(boost::asio::any_io_executor ex) : executor_(std::move(ex)), timer_(executor_) {}

    // From Asio's per-thread recycling cache: no malloc per operation in the steady state.
    // `timeout`: the whole operation's (zero: none).
    static std::shared_ptr<operation_context> make(boost::asio::any_io_executor ex, clock::duration timeout)
    {
        auto op = std::allocate_shared<operation_context>(boost::asio::recycling_allocator<operation_context>(),
                                                          std::move(ex));
        if (timeout.count() > 0)
            op->operation_deadline_ = clock::now() + timeout;
        return op;
    }

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
        return ex.target<boost::asio::strand<boost::asio::io_context::executor_type>>() != nullptr ||
               ex.target<boost::asio::strand<boost::asio::any_io_executor>>() != nullptr;
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
            caller_slot_.assign([this](boost::asio::cancellation_type type) { cancel(type); });
        // A cancellation that came while no step was waiting found nothing to end: this step
        // ends at once (the timer fires as soon as it has started).
        if (cancelled_)
            fire_now();
        return boost::asio::bind_cancellation_slot(signal_.slot(),
                                                   boost::asio::as_tuple(boost::asio::use_awaitable));
    }

    // An operation run inside its caller's coroutine: `slot` is that coroutine's cancellation
    // slot (the one its awaited operations use), followed until stop_following_caller().
    void follow_caller(boost::asio::cancellation_slot slot) noexcept { caller_slot_ = slot; }
    void stop_following_caller() noexcept
    {
        if (caller_slot_.is_connected())
            caller_slot_.clear();
        caller_slot_ = {};
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

    // Cancellation from the caller, delivered on the operation's executor.
    void cancel(boost::asio::cancellation_type type)
    {
        cancelled_ = true;
        signal_.emit(type);
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
            if (!ec && armed == self->arming_)
            {
                if (!self->cancelled_)
                    self->timed_out_ = true;
                self->signal_.emit(boost::asio::cancellation_type::terminal);
            }
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
};

}  // namespace vovrest::detail
