/// @file
/// What the Accelerator says about itself: the queue (project) name and the server version, as
/// coroutines that throw, or with any completion token (async_project_name, async_server_version).
/// Thread-safety: as the session's; any number of these may run at once.
#pragma once

#include <vovrest/detail/async_typed.hpp>
#include <vovrest/diagnostics.hpp>
#include <vovrest/session.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace vovrest {

/// The queue's (project's) name: GET /api/v3/project/1/project, column PROJECT.
/// @throws error_with_diagnostics any error of session::execute(); error::bad_response when the
///         answer is not a table or has no row (another column is read when the server names
///         it otherwise).
/// Cancellation: follows the awaiting coroutine's. The session must outlive the call.
boost::asio::awaitable<std::string> project_name(session& s);

/// The Accelerator's version: GET /api/v3/project/1/version, column VERSION.
/// @throws error_with_diagnostics any error of session::execute(); error::bad_response when the
///         answer is not a table or has no row (another column is read when the server names
///         it otherwise).
/// Cancellation: follows the awaiting coroutine's. The session must outlive the call.
boost::asio::awaitable<std::string> server_version(session& s);

namespace detail {
// The one implementation of both: never throws (allocation failures aside), fills `diag`.
// `path` and `column` are literals (the views are kept until the call ends).
boost::asio::awaitable<std::pair<boost::system::error_code, std::string>>
read_project_cell(session& s, std::string_view path, std::string_view column, diagnostics& diag);
}  // namespace detail

/// project_name() with any completion token (callbacks, use_future, deferred, use_awaitable,
/// as_tuple), completing with `void(boost::system::error_code, std::string)`. Non-throwing: the
/// error_code and `diag` say what failed (error::bad_response for an answer with no row);
/// `diag` must live until completion, and the session too. Completion runs on the token's
/// associated executor. Cancellation: the request's (terminal, partial, total, through the
/// token's slot), which ends the call with asio::error::operation_aborted.
template <class CompletionToken>
auto async_project_name(session& s, diagnostics& diag, CompletionToken&& token)
{
    return detail::async_typed<std::string>(s, std::forward<CompletionToken>(token), [&s, &diag] {
        return detail::read_project_cell(s, "/api/v3/project/1/project", "PROJECT", diag);
    });
}

/// server_version() with any completion token, completing with
/// `void(boost::system::error_code, std::string)`; otherwise as async_project_name().
template <class CompletionToken>
auto async_server_version(session& s, diagnostics& diag, CompletionToken&& token)
{
    return detail::async_typed<std::string>(s, std::forward<CompletionToken>(token), [&s, &diag] {
        return detail::read_project_cell(s, "/api/v3/project/1/version", "VERSION", diag);
    });
}

}  // namespace vovrest
