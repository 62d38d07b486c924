// Failures as vovrest reports them: one line on stderr with the server's words and the client's
// cause (control characters escaped), a hint where the fix is known, and the exit status.
#pragma once

#include <vovrest/diagnostics.hpp>

#include <boost/system/error_code.hpp>

#include <string>

namespace vovrest::cli {

// 3 authentication (refused login, no password, refused token), 4 not found, 2 for a call that
// cannot be sent as given (URL, CR/LF in a path), 1 anything else (a refused redirect included).
int exit_status_for(const boost::system::error_code& ec);
// The same, knowing the HTTP status: a 3xx is a refused redirect (1) whatever `ec` says.
int exit_status_for(const boost::system::error_code& ec, const diagnostics& diag);

// describe(ec, diag) plus the fix when one is known (a 3xx told as a refused redirect).
std::string error_text(const boost::system::error_code& ec, const diagnostics& diag);

// Prints "vovrest: <text>" on stderr (the text escaped) and returns `status`.
int fail(int status, const std::string& text);

}  // namespace vovrest::cli
