// What the Accelerator says about itself: the queue (project) name and the server version.
// Thread-safety: as the session's; any number of these may run at once.
#pragma once

#include <vovrest/session.hpp>

#include <boost/asio/awaitable.hpp>

#include <string>

namespace vovrest {

// GET /api/v3/project/1/project, column PROJECT. Throws error_with_diagnostics.
boost::asio::awaitable<std::string> project_name(session& s);

// GET /api/v3/project/1/version, column VERSION. Throws error_with_diagnostics.
boost::asio::awaitable<std::string> server_version(session& s);

}  // namespace vovrest
