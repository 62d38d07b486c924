// Private to the typed API: the throwing coroutine form of a typed call, made from its async form
// with as_tuple(use_awaitable) (so that it runs inside the awaiting coroutine, as the session's
// own coroutine calls do).
#pragma once

#include <vovrest/diagnostics.hpp>

#include <boost/asio/awaitable.hpp>

#include <type_traits>
#include <utility>

namespace vovrest::detail {

// `start(diag)` is the call's async form with as_tuple(use_awaitable). Throws
// error_with_diagnostics on failure.
template <class Result, class Start>
boost::asio::awaitable<Result> call_or_throw(Start start)
{
    diagnostics diag;
    if constexpr (std::is_void_v<Result>)
    {
        auto [ec] = co_await start(diag);
        throw_on_error(ec, diag);
    }
    else
    {
        auto [ec, result] = co_await start(diag);
        throw_on_error(ec, diag);
        co_return std::move(result);
    }
}

}  // namespace vovrest::detail
