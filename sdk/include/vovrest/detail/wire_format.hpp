// Small encoders and parsers of what goes over the wire: percent/form encoding, the token
// endpoint's answer, the server's error text, Retry-After, and status-to-error mapping. Every
// parser here takes untrusted bytes and has a fuzz target (tests/fuzz).
#pragma once

#include <vovrest/detail/token_source.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vovrest::detail {

// Diagnostics of a failure the client found itself: its words go to client_message, never to
// server_message, which holds only what the server said.
inline diagnostics client_failure(std::string message, std::string method = {}, std::string path = {},
                                  unsigned http_status = 0)
{
    diagnostics diag;
    diag.http_status = http_status;
    diag.method = std::move(method);
    diag.path = std::move(path);
    diag.client_message = std::move(message);
    return diag;
}

// The request line and headers of an HTTP/1.1 request, written into `out` (its capacity is
// reused: a connection keeps one such buffer). False, and nothing to send, when a value holds a
// CR, LF or NUL: a token or path must never be able to add headers of its own. `extra` must have
// passed check_extra_header().
bool write_request_head(std::string& out, std::string_view method, std::string_view target,
                        std::string_view host_header, std::string_view user_agent, std::string_view authorization,
                        std::string_view content_type, std::size_t body_size,
                        std::span<const std::pair<std::string, std::string>> extra = {});

// Why a caller's own header cannot be sent (empty when it can): a name that is not an HTTP token,
// a CR, LF or NUL anywhere, or a header the session sets itself (Authorization, Host,
// Content-Length, Transfer-Encoding, Connection, ...).
std::string check_extra_header(std::string_view name, std::string_view value);

// Why a request target cannot be sent (empty when it can): CR, LF, NUL, space or another control
// character would change the request line.
std::string check_target(std::string_view target);

// The first header of that name, compared case-insensitively; empty when absent.
std::string_view find_header(const std::vector<std::pair<std::string, std::string>>& headers,
                             std::string_view name) noexcept;

// application/x-www-form-urlencoded (space as '+') when `form`, else RFC 3986 (space as %20).
void append_encoded(std::string& out, std::string_view text, bool form);
// The same, written at `out`, which has room for 3 * text.size() bytes; returns the end (for
// memory that is not a std::string: the token request's form body, see secret_buffer.hpp).
char* append_encoded(char* out, std::string_view text, bool form) noexcept;

// "?name=value&..." appended to a request target, each part percent-encoded (RFC 3986); nothing
// when `params` is empty. The one encoder of query strings: what query::target() shows is what
// the session sends.
void append_query(std::string& target, const std::vector<std::pair<std::string, std::string>>& params);

// The largest token_type or access_token taken from the token endpoint. A JWT with the claims
// Accelerator puts in it is a few hundred bytes; a token is sent in every request's header, and
// servers refuse headers much above 8-16 KiB. A larger one is a server gone wrong.
inline constexpr std::size_t max_token_bytes = 16 * 1024;
// The largest token answer read at all (a token, its type and a few other members).
inline constexpr std::size_t max_token_answer_bytes = 64 * 1024;

// {"token_type": "...", "access_token": "...", "expires_in": N}. False when the answer cannot be
// used, with `why` saying why in words fit for diagnostics::client_message (never any part of
// the token): not JSON, no token, a control character (a byte below 0x20, or 0x7F) in either
// string (it would end up in a header, or on a terminal), or larger than the limits above.
bool parse_token_response(std::string_view body, token_grant& grant, std::string_view& why) noexcept;
bool parse_token_response(std::string_view body, token_grant& grant) noexcept;

// The server's own words: the `error` member, or a table's non-empty `errormsg`; empty when
// neither (or not JSON). Never longer than 512 characters.
std::string server_message(std::string_view body) noexcept;

// Retry-After as delay-seconds or as an HTTP date (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT"),
// measured against `now`; nullopt when absent or malformed. A date in the past is zero.
std::optional<std::chrono::steady_clock::duration>
parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) noexcept;
inline std::optional<std::chrono::steady_clock::duration> parse_retry_after(std::string_view value) noexcept
{
    return parse_retry_after(value, std::chrono::system_clock::now());
}

// 2xx: no error. 3xx redirect_refused, 400 bad_request, 401 unauthorized, 403 forbidden,
// 404 not_found, 413 payload_too_large, 429 rate_limited, 5xx server_error, other 4xx bad_request.
boost::system::error_code error_for_status(unsigned status) noexcept;

}  // namespace vovrest::detail
