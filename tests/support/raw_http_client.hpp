// A small blocking HTTP/1.1 client (plain or TLS) for the integration tests: one socket per
// raw_connection, every operation bounded by a timeout, errors as values or exceptions. It is
// deliberately not the SDK: the fake server is tested with a client that shares none of its code.
// Light header (no Asio, no Beast); the Beast code lives in raw_http_client.cpp.
// Thread-safety: a raw_connection is used by one thread at a time; distinct ones are independent.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace vovrest::test {

struct raw_client_options
{
    std::string ca_pem;                         // HTTPS: the only certificate trusted (PEM)
    bool verify_peer = true;                    // HTTPS: check the server's chain against ca_pem
    std::string verify_host;                    // HTTPS: name checked; empty: the URL's host
    std::chrono::milliseconds timeout{10'000};  // connect, handshake, and each request
};

struct raw_request
{
    std::string method = "GET";
    std::string target = "/";
    std::vector<std::pair<std::string, std::string>> headers;
    std::string content_type;  // sent when not empty
    std::string body;
    bool keep_alive = true;
};

struct raw_response
{
    unsigned status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    bool keep_alive = false;

    // The first header of that name (any case), "" when absent.
    std::string header(std::string_view name) const;
};

class raw_connection
{
public:
    // Connects (and for https:// URLs, handshakes). Throws std::system_error.
    explicit raw_connection(std::string_view url, raw_client_options options = {});
    ~raw_connection();
    raw_connection(raw_connection&&) noexcept;
    raw_connection& operator=(raw_connection&&) noexcept;

    raw_response send(const raw_request& request);  // throws std::system_error
    std::error_code try_send(const raw_request& request, raw_response& response);
    // Writes `bytes` as they are (malformed requests), then reads one response.
    std::error_code try_send_bytes(std::string_view bytes, raw_response& response);
    // Reads until the server closes the connection or the timeout: the error that ended it
    // (end of stream when the server closed cleanly).
    std::error_code wait_closed();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// One connection per request, all sent at once; waits for every answer.
struct raw_result
{
    std::error_code error;
    raw_response response;
};
std::vector<raw_result> send_concurrently(std::string_view url, const std::vector<raw_request>& requests,
                                          raw_client_options options = {});

// Classification of the errors above.
bool is_timeout(std::error_code ec);
bool is_closed_by_peer(std::error_code ec);  // end of stream, reset, broken pipe, TLS truncation
bool is_tls_failure(std::error_code ec);     // handshake or verification failed

// Request builders.
raw_request get(std::string target, std::string authorization = {});
raw_request token_request(std::string_view user, std::string_view password);
std::string form_escape(std::string_view text);

// Token helpers: the Authorization header value "<token_type>:<access_token>" from a token
// response body (throws std::runtime_error if it is not one), and JWT decoding.
std::string authorization_from_token_response(std::string_view body);
std::string access_token_from_token_response(std::string_view body);
std::string base64url_decode(std::string_view text);  // throws std::runtime_error
std::string jwt_payload(std::string_view token);      // the decoded JSON of the middle part

// POST /api/v3/token on a new connection; the Authorization header value. Throws.
std::string fetch_authorization(std::string_view url, std::string_view user, std::string_view password,
                                raw_client_options options = {});

}  // namespace vovrest::test
