// vovrest::diagnostics — what the server said about a failure, next to the error_code; and
// vovrest::error_with_diagnostics, the exception thrown by coroutine calls (like Boost.MySQL's).
// Never holds a password or a token. Thread-safety: a value type; distinct objects are independent.
#pragma once

#include <boost/system/system_error.hpp>

#include <string>

namespace vovrest {

struct diagnostics
{
    unsigned http_status = 0;    // 0 when no response came
    std::string server_message;  // the server's `error` or table `errormsg` text, and only that
    std::string method;          // "GET", "POST", ...
    std::string path;            // path and query, never the token
    std::string client_message;  // the client-side cause: the system or TLS reason ("Connection
                                 // refused", "certificate verify failed: self-signed certificate")
                                 // or what the SDK found wrong with the answer

    bool empty() const noexcept { return http_status == 0 && server_message.empty() && client_message.empty() && path.empty(); }
    void clear() noexcept { *this = diagnostics{}; }
};

// "GET /api/v3/jobs/12: HTTP 404: no such job"; "POST /api/v3/token: connection failed:
// Connection refused" (the error, then the client-side cause when there is one)
std::string describe(const boost::system::error_code& ec, const diagnostics& diag);

class error_with_diagnostics : public boost::system::system_error
{
public:
    error_with_diagnostics(const boost::system::error_code& ec, diagnostics diag)
        : boost::system::system_error(ec, describe_for_what(ec, diag)), diag_(std::move(diag))
    {
    }
    const diagnostics& get_diagnostics() const noexcept { return diag_; }

private:
    static std::string describe_for_what(const boost::system::error_code& ec, const diagnostics& diag);
    diagnostics diag_;
};

// Throws error_with_diagnostics when ec is set.
void throw_on_error(const boost::system::error_code& ec, const diagnostics& diag);

}  // namespace vovrest
