// The typed calls (project_name, jobs::get, run, ...) with any completion token. Each call has one
// non-throwing core coroutine, `awaitable<pair<error_code, Result>>` (`awaitable<error_code>`
// when it has no result) that fills the caller's diagnostics; async_typed makes it an Asio async
// operation. With as_tuple(use_awaitable) the core runs inside the awaiting coroutine (and its
// session calls inside that frame too); with any other token it is spawned on the session's
// executor (on a strand of its own when the handler has a cancellation slot) and completes on
// the handler's associated executor. co_spawn stays in the .cpp: one entry point per result
// type, type-erased with any_completion_handler.
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <tuple>
#include <type_traits>
#include <utility>

namespace vovrest {

class session;

namespace detail {

// What a typed call's core returns, and the completion signature of its async form.
template <class Result>
struct typed_call
{
    using outcome = std::pair<boost::system::error_code, Result>;
    using signature = void(boost::system::error_code, Result);
    using tuple_type = std::tuple<boost::system::error_code, Result>;
};

template <>
struct typed_call<void>
{
    using outcome = boost::system::error_code;
    using signature = void(boost::system::error_code);
    using tuple_type = std::tuple<boost::system::error_code>;
};

template <class Result>
using typed_core = boost::asio::awaitable<typename typed_call<Result>::outcome>;

template <class Result>
using typed_handler = boost::asio::any_completion_handler<typename typed_call<Result>::signature>;

// Defined in async_typed.cpp for the result types of the typed API (std::string, job_id,
// job_record, table, wait_result, void).
template <class Result>
void launch_typed(session& s, typed_core<Result> core, typed_handler<Result> handler);
template <class Result>
boost::asio::awaitable<typename typed_call<Result>::tuple_type> run_typed_in_frame(typed_core<Result> core);

// `make_core()` builds the core coroutine; it is called once the operation is initiated (so that
// a deferred operation starts nothing until it is invoked) and must copy what it needs.
template <class Result, class CompletionToken, class MakeCore>
auto async_typed(session& s, CompletionToken&& token, MakeCore make_core)
{
    using signature = typename typed_call<Result>::signature;
    using awaitable_tuple_t = decltype(boost::asio::as_tuple(boost::asio::use_awaitable));
    if constexpr (std::is_same_v<std::decay_t<CompletionToken>, awaitable_tuple_t>)
        return run_typed_in_frame<Result>(make_core());
    else
        return boost::asio::async_initiate<CompletionToken, signature>(
            [](auto handler, session* sess, MakeCore make) {
                launch_typed<Result>(*sess, make(), typed_handler<Result>(std::move(handler)));
            },
            token, &s, std::move(make_core));
}

}  // namespace detail
}  // namespace vovrest
