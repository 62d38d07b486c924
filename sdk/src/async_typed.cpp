// The two ways a typed call's core runs (see detail/async_typed.hpp): spawned for a completion
// handler, or inside the awaiting coroutine. Either way every step of the core reports errors as
// values: the coroutine it runs in does not throw on cancellation while the core runs.
#include <vovrest/detail/async_typed.hpp>
#include <vovrest/detail/operation_context.hpp>
#include <vovrest/jobs.hpp>
#include <vovrest/session.hpp>
#include <vovrest/table.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/this_coro.hpp>

#include <exception>
#include <memory>
#include <new>
#include <string>

namespace vovrest::detail {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

// What the caller's cancellation slot and the spawned coroutine share. Touched only on the
// coroutine's strand.
struct spawned_call
{
    // Bound to the spawned coroutine's completion: co_spawn feeds it into the coroutine's
    // cancellation state.
    asio::cancellation_signal signal;
    // Every cancellation asked for, also those that came before the coroutine could receive them.
    asio::cancellation_type requested = asio::cancellation_type::none;
};

template <class Result>
typename typed_call<Result>::outcome aborted_outcome()
{
    typename typed_call<Result>::outcome outcome{};
    if constexpr (std::is_same_v<Result, void>)
        outcome = asio::error::operation_aborted;
    else
        outcome.first = asio::error::operation_aborted;
    return outcome;
}

template <class Result>
typename typed_call<Result>::outcome failed_outcome(const std::exception_ptr& failure)
{
    // The cores report every I/O and protocol failure as a value: only resource exhaustion gets here.
    error_code ec = asio::error::no_memory;
    try
    {
        std::rethrow_exception(failure);
    }
    catch (const boost::system::system_error& e)
    {
        ec = e.code();
    }
    catch (...)
    {}
    typename typed_call<Result>::outcome outcome{};
    if constexpr (std::is_same_v<Result, void>)
        outcome = ec;
    else
        outcome.first = ec;
    return outcome;
}

template <class Result>
asio::awaitable<typename typed_call<Result>::outcome> spawned_entry(typed_core<Result> core,
                                                                    std::shared_ptr<spawned_call> call)
{
    // co_spawn's cancellation state lets only terminal cancellation through; the session's
    // operations honour all three, and so does the call.
    co_await asio::this_coro::reset_cancellation_state(asio::enable_total_cancellation());
    co_await asio::this_coro::throw_if_cancelled(false);
    if (call->requested != asio::cancellation_type::none)
        co_return aborted_outcome<Result>();
    co_return co_await std::move(core);
}

template <class Result>
void complete(typed_handler<Result>& handler, typename typed_call<Result>::outcome& outcome)
{
    if constexpr (std::is_same_v<Result, void>)
        std::move(handler)(outcome);
    else
        std::move(handler)(outcome.first, std::move(outcome.second));
}

}  // namespace

template <class Result>
void launch_typed(session& s, typed_core<Result> core, typed_handler<Result> handler)
{
    // The core runs on the session's executor, where its session calls run inside its frame.
    // A cancellation goes into the coroutine's cancellation state, which must not be touched while
    // the coroutine runs: a caller that can cancel gets a strand of its own (on an executor that
    // may run several handlers at once, the coroutine could be running on another thread).
    auto caller_slot = asio::get_associated_cancellation_slot(handler);
    asio::any_io_executor ex = s.get_executor();
    if (caller_slot.is_connected())
        ex = operation_context::serialized_executor(ex, operation_context::is_strand(ex));
    auto call = std::make_shared<spawned_call>();
    if (caller_slot.is_connected())
    {
        // The caller emits from its own context; the coroutine's state is only touched on its strand.
        caller_slot.assign([weak = std::weak_ptr<spawned_call>(call), ex](asio::cancellation_type type) {
            if (auto target = weak.lock())
                asio::post(ex, [target, type] {
                    target->requested |= type;
                    target->signal.emit(type);
                });
        });
    }

    auto handler_ex = asio::get_associated_executor(handler, ex);
    auto work = asio::prefer(handler_ex, asio::execution::outstanding_work.tracked);
    auto completion = [handler = std::move(handler), work = std::move(work),
                       call](std::exception_ptr failure, typename typed_call<Result>::outcome outcome) mutable {
        if (failure)
            outcome = failed_outcome<Result>(failure);
        asio::dispatch(work, [h = std::move(handler), o = std::move(outcome), call = std::move(call)]() mutable {
            // Cleared where the caller emits, its handler's executor; `call` lives until then, so
            // that a cancellation emitted meanwhile finds the (finished) coroutine's state.
            auto handler_slot = asio::get_associated_cancellation_slot(h);
            if (handler_slot.is_connected())
                handler_slot.clear();
            complete<Result>(h, o);
        });
    };
    auto slot = call->signal.slot();
    asio::co_spawn(ex, spawned_entry<Result>(std::move(core), call),
                   asio::bind_cancellation_slot(slot, std::move(completion)));
}

template <class Result>
asio::awaitable<typename typed_call<Result>::tuple_type> run_typed_in_frame(typed_core<Result> core)
{
    // The session's own in-frame operations do the same: every step ends with an error code, and
    // the caller's setting is back once the call has ended.
    const bool throw_if_cancelled = co_await asio::this_coro::throw_if_cancelled();
    co_await asio::this_coro::throw_if_cancelled(false);
    auto outcome = co_await std::move(core);
    co_await asio::this_coro::throw_if_cancelled(throw_if_cancelled);
    if constexpr (std::is_same_v<Result, void>)
        co_return std::tuple<error_code>(outcome);
    else
        co_return typename typed_call<Result>::tuple_type(outcome.first, std::move(outcome.second));
}

#define VOVREST_TYPED_CALL(Result)                                                                                     \
    template void launch_typed<Result>(session&, typed_core<Result>, typed_handler<Result>);                           \
    template asio::awaitable<typed_call<Result>::tuple_type> run_typed_in_frame<Result>(typed_core<Result>);

VOVREST_TYPED_CALL(std::string)
VOVREST_TYPED_CALL(job_id)
VOVREST_TYPED_CALL(job_record)
VOVREST_TYPED_CALL(table)
VOVREST_TYPED_CALL(wait_result)
VOVREST_TYPED_CALL(void)

#undef VOVREST_TYPED_CALL

}  // namespace vovrest::detail
