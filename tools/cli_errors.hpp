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

// describe(ec, diag) made safe for a terminal, plus the fix when one is known.
std::string error_text(const boost::system::error_code& ec, const diagnostics& diag);

// Prints "vovrest: <text>" on stderr (the text escaped) and returns `status`.
int fail(int status, const std::string& text);

}  // namespace vovrest::cli
