/// @file
/// vovrest::error — every failure the SDK reports, as one std::error_code enum with its category.
/// Thread-safety: the category is a constant; everything here may be used from any thread.
#pragma once

#include <boost/system/error_code.hpp>

#include <string>
#include <system_error>

namespace vovrest {

/// Every failure the SDK reports. A boost::system::error_code enum (category "vovrest"), so that
/// `ec == vovrest::error::not_found` works; the codes of the system and of Asio (for example
/// `boost::asio::error::operation_aborted` for a cancelled call) may also be reported.
/// Thread-safety: constants.
enum class error
{
    authentication_failed = 1,  ///< the token endpoint refused the username or password
    unauthorized,               ///< 401 on a token younger than the request (never a loop)
    forbidden,                  ///< 403: the user's security level does not allow it
    not_found,                  ///< 404 (also "no such job")
    bad_request,                ///< 400, 405, 409, 422 and other 4xx not listed here
    payload_too_large,          ///< 413
    rate_limited,               ///< 429 after the retries allowed
    server_error,               ///< 5xx after the retries allowed
    outcome_unknown,            ///< a POST whose bytes left but no answer came: never resent
    timeout,                    ///< a connect, handshake, request, operation or renewal deadline passed
    connection_failed,          ///< resolve or connect failed, or the connection broke
    tls_failed,                 ///< TLS handshake or certificate verification failed
    bad_response,               ///< not HTTP, not the JSON expected, or over a size limit
    redirect_refused,           ///< 3xx: the token is never carried elsewhere
    invalid_url,                ///< the URL cannot be reduced to scheme://host:port
    https_required,             ///< http:// while session_params::require_https is set
    no_password,                ///< the password provider gave nothing
    query_failed,               ///< a table came back with a non-empty errormsg
    job_forgotten,              ///< the job is gone (the server forgot it after it finished)
    session_closed,             ///< the session was shut down
    queue_full,                 ///< more waiters than the pool allows
    /// The call cannot be sent as given (CR/LF/NUL in a path or header, a header the session
    /// sets itself); nothing was sent.
    invalid_argument,
};

/// The category of vovrest::error: name "vovrest", a short English message per value.
/// Thread-safety: one constant object for the whole program.
const boost::system::error_category& error_category() noexcept;

/// Makes `error` usable as a boost::system::error_code (found by argument-dependent lookup).
inline boost::system::error_code make_error_code(error e) noexcept
{
    return {static_cast<int>(e), error_category()};
}

}  // namespace vovrest

/// @cond
// Declares vovrest::error an error code enum, so that it converts to boost::system::error_code
// (a specialisation of Boost's trait: Doxygen cannot place it, and it is Boost's to document).
template <>
struct boost::system::is_error_code_enum<vovrest::error> : std::true_type
{};
/// @endcond
