// The per-operation context every layer of one session operation shares: the strand it runs on,
// one cancellation signal fed by the caller's slot and by one deadline timer, and which deadline
// fired. Keeping a single signal means every wait (token, connection, socket) is cancelled the
// same way. Thread-safety: used only from the operation's strand.
#pragma once

#include <vovrest/error.hpp>

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/error.hpp>

#include <chrono>
#include <cstdint>
#include <memory>

namespace vovrest::detail {

class operation_context : public std::enable_shared_from_this<operation_context>
{
public:
    using clock = std::chrono::steady_clock;

    explicit operation_context(const boost::asio::any_io_executor& ex)
        : strand_(make_operation_strand(ex)), timer_(strand_)
    {
    }

    const boost::asio::any_io_executor& strand() const noexcept { return strand_; }

    // A strand over the io_context's own executor when that is what the session was given: it fits
    // any_io_executor's small buffer (24 bytes), where strand<any_io_executor> is heap-allocated at
    // every type-erased copy (8 to 19 allocations per request).
    static boost::asio::any_io_executor make_operation_strand(const boost::asio::any_io_executor& ex)
    {
        if (const auto* io = ex.target<boost::asio::io_context::executor_type>())
            return boost::asio::make_strand(*io);
        return boost::asio::make_strand(ex);
    }
    boost::asio::cancellation_slot slot() noexcept { return signal_.slot(); }

    // The whole operation must end by `deadline` (clock::time_point::max(): none).
    void set_operation_deadline(clock::time_point deadline) noexcept { operation_deadline_ = deadline; }

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
        timer_.expires_at(deadline);
        timer_.async_wait([self = shared_from_this(), armed = arming_](boost::system::error_code ec) {
            if (!ec && armed == self->arming_)
            {
                self->timed_out_ = true;
                self->signal_.emit(boost::asio::cancellation_type::terminal);
            }
        });
    }
    void disarm()
    {
        ++arming_;
        timer_.cancel();
    }

    // Cancellation from the caller, delivered on the strand.
    void cancel(boost::asio::cancellation_type type)
    {
        cancelled_ = true;
        signal_.emit(type);
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
    boost::asio::any_io_executor strand_;
    boost::asio::steady_timer timer_;
    boost::asio::cancellation_signal signal_;
    clock::time_point operation_deadline_ = clock::time_point::max();
    std::uint64_t arming_ = 0;
    bool timed_out_ = false;
    bool cancelled_ = false;
};

}  // namespace vovrest::detail
