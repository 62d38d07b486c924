// Runs one session operation as a coroutine of its own on `run_on` (see
// operation_context::serialized_executor), and completes the caller's handler on the caller's
// executor. The caller's cancellation slot and the operation's deadline both feed the context's
// one signal. Included by .cpp files only (co_spawn is heavy).
#pragma once

#include <vovrest/detail/operation_context.hpp>
#include <vovrest/error.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <new>
#include <utility>

namespace vovrest::detail {

template <class Result>
using operation_handler = boost::asio::any_completion_handler<void(boost::system::error_code, Result)>;

// A handler of another signature, made completable by launch_operation<Result>: `finish(handler,
// ec, result)` calls it. The handler's cancellation slot and executor are kept, so the caller's
// cancellation and completion executor still apply.
template <class Result, class Handler, class Finish>
operation_handler<Result> adapt_handler(Handler handler, const boost::asio::any_io_executor& fallback, Finish finish)
{
    auto slot = boost::asio::get_associated_cancellation_slot(handler);
    auto ex = boost::asio::get_associated_executor(handler, fallback);
    return boost::asio::bind_cancellation_slot(
        slot, boost::asio::bind_executor(
                  ex, [h = std::move(handler), finish](boost::system::error_code ec, Result result) mutable {
                      finish(std::move(h), ec, std::move(result));
                  }));
}

// The coroutine body: Body is `awaitable<pair<error_code, Result>>(operation_context&)`.
template <class Result, class Body>
boost::asio::awaitable<std::pair<boost::system::error_code, Result>>
operation_entry(std::shared_ptr<operation_context> op, Body body)
{
    op->enter();
    auto result = co_await body(*op);
    op->finish();
    co_return result;
}

// `concurrent`: `run_on` may run several handlers at once (see operation_context).
template <class Result, class Body>
void launch_operation(boost::asio::any_io_executor run_on, std::chrono::steady_clock::duration timeout,
                      operation_handler<Result> handler, Body body, bool concurrent = false)
{
    namespace asio = boost::asio;
    auto op = operation_context::make(std::move(run_on), timeout, concurrent);

    auto caller_slot = asio::get_associated_cancellation_slot(handler);
    if (caller_slot.is_connected())
    {
        // The caller emits from its own context; the operation's signal is only touched on its
        // executor (under its guard when it is concurrent).
        caller_slot.assign([weak = std::weak_ptr<operation_context>(op)](asio::cancellation_type type) {
            if (auto target = weak.lock())
                asio::post(target->executor(), [target, type] { target->cancel(type); });
        });
    }

    auto completion = [handler = std::move(handler), caller_slot, fallback = op->executor()](
                          std::exception_ptr failure, std::pair<boost::system::error_code, Result> result) mutable {
        if (caller_slot.is_connected())
            caller_slot.clear();
        if (failure)
        {
            // Only resource exhaustion gets here: the bodies report I/O failures as error codes.
            result.first = asio::error::no_memory;
        }
        auto handler_ex = asio::get_associated_executor(handler, fallback);
        asio::dispatch(handler_ex, [h = std::move(handler), r = std::move(result)]() mutable {
            std::move(h)(r.first, std::move(r.second));
        });
    };
    auto ex = op->executor();
    asio::co_spawn(ex, operation_entry<Result>(std::move(op), std::move(body)), std::move(completion));
}

}  // namespace vovrest::detail
