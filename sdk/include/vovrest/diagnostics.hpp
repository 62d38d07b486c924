/// @file
/// vovrest::diagnostics — what the server said about a failure, next to the error_code; and
/// vovrest::error_with_diagnostics, the exception thrown by coroutine calls (like Boost.MySQL's).
/// Never holds a password or a token. Thread-safety: a value type; distinct objects are independent.
#pragma once

#include <boost/system/system_error.hpp>

#include <string>

namespace vovrest {

/// What is known about a failed call beyond its error code: the HTTP status, the server's own
/// words, the client-side cause, and which request it was. Filled by the non-throwing calls
/// (`async_*`, the `ec`/`diag` overloads) and carried by error_with_diagnostics. Never holds a
/// password or a token.
/// Thread-safety: a value type; distinct objects are independent. An object passed to an
/// asynchronous call is written by that call until it completes: do not read it meanwhile.
struct diagnostics
{
    unsigned http_status = 0;    ///< the HTTP status of the answer; 0 when no response came
    std::string server_message;  ///< the server's `error` or table `errormsg` text, and only that
    std::string method;          ///< "GET", "POST", ...
    std::string path;            ///< path and query, never the token
    /// The client-side cause: the system or TLS reason ("Connection refused", "certificate
    /// verify failed: self-signed certificate") or what the SDK found wrong with the answer.
    std::string client_message;

    /// True when nothing is recorded (no status, no message, no path).
    bool empty() const noexcept
    {
        return http_status == 0 && server_message.empty() && client_message.empty() && path.empty();
    }
    /// Resets every member, so that the object can be passed to another call.
    void clear() noexcept { *this = diagnostics{}; }
};

/// One line for logs and error texts: the method and path, the HTTP status, the server's text
/// (else the error's message), then the client-side cause, each part only when known, e.g.
/// "GET /api/v3/jobs/12: HTTP 404: no such job" or "POST /api/v3/token: connection failed:
/// Connection refused". Never contains a secret.
std::string describe(const boost::system::error_code& ec, const diagnostics& diag);

/// The exception thrown by the coroutine calls (`co_await s.get(...)`, jobs::submit, run, ...):
/// a boost::system::system_error whose code() is the vovrest::error (or a system error), whose
/// what() starts with describe(code(), diagnostics) (Boost appends the code and its category),
/// and which carries the diagnostics themselves.
/// Thread-safety: immutable once thrown; may be read from any thread.
class error_with_diagnostics : public boost::system::system_error
{
public:
    /// Takes the error and what is known about it; what() is built from both.
    error_with_diagnostics(const boost::system::error_code& ec, diagnostics diag)
        : boost::system::system_error(ec, describe_for_what(ec, diag)), diag_(std::move(diag))
    {}
    /// The server's text, the client-side cause, the HTTP status, the method and path.
    const diagnostics& get_diagnostics() const noexcept { return diag_; }

private:
    static std::string describe_for_what(const boost::system::error_code& ec, const diagnostics& diag);
    diagnostics diag_;
};

/// Throws error_with_diagnostics(ec, diag) when `ec` is set; does nothing otherwise. Bridges the
/// non-throwing calls to code that prefers exceptions.
void throw_on_error(const boost::system::error_code& ec, const diagnostics& diag);

}  // namespace vovrest
