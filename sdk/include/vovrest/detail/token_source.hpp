// How a token is obtained, behind one interface (docs/architecture.md: token sources). The token
// pipeline calls fetch() at most once at a time per session and owns the deadline around it.
#pragma once

#include <vovrest/diagnostics.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace vovrest::detail {

struct token_grant
{
    std::string token_type;                          // "Bearer"
    std::string access_token;                        // the JWT
    std::optional<std::chrono::seconds> expires_in;  // when the response carried it
};

struct token_fetch_result
{
    boost::system::error_code ec;  // authentication_failed, server_error, rate_limited,
                                   // connection_failed, timeout, bad_response ...
    diagnostics diag;              // the server's text; never the password
    token_grant grant;             // valid when !ec
    std::optional<std::chrono::steady_clock::duration> retry_after;  // Retry-After, when sent
    bool from_cache = false;  // the grant came from the token cache: nothing was sent
};

using token_fetch_handler = boost::asio::any_completion_handler<void(token_fetch_result)>;

class token_source
{
public:
    virtual ~token_source() = default;
    // Starts one token request. The handler is called exactly once, from any thread. Cancelling
    // the slot bound to the handler (if any) aborts the request with operation_aborted.
    virtual void async_fetch(token_fetch_handler handler) = 0;
    // The server answered 401 to a request that carried this header value ("<type>:<token>")
    // while it was the current token. A source that keeps tokens elsewhere (a cache) forgets it.
    // Called from any thread; must be quick.
    virtual void on_rejected(std::string_view authorization) { (void)authorization; }
};

}  // namespace vovrest::detail
