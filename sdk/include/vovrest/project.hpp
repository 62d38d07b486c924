/// @file
/// What the Accelerator says about itself: the queue (project) name and the server version.
/// Thread-safety: as the session's; any number of these may run at once.
#pragma once

#include <vovrest/session.hpp>

#include <boost/asio/awaitable.hpp>

#include <string>

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

}  // namespace vovrest
