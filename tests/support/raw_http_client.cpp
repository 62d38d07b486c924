// The raw test client's Beast code: the one heavy translation unit of vovrest_test_support.
#include "raw_http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <exception>
#include <optional>
#include <stdexcept>
#include <tuple>

namespace vovrest::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

struct parsed_url
{
    bool tls = false;
    std::string host;  // without brackets
    std::string port;
};

parsed_url parse_url(std::string_view url)
{
    parsed_url result;
    if (url.starts_with("https://"))
    {
        result.tls = true;
        url.remove_prefix(8);
    }
    else if (url.starts_with("http://"))
    {
        url.remove_prefix(7);
    }
    else
    {
        throw std::invalid_argument("raw_connection: not an http(s) URL");
    }
    url = url.substr(0, url.find('/'));
    std::string_view port;
    if (url.starts_with("["))
    {
        const auto close = url.find(']');
        if (close == std::string_view::npos)
            throw std::invalid_argument("raw_connection: bad IPv6 host");
        result.host = std::string(url.substr(1, close - 1));
        if (close + 1 < url.size() && url[close + 1] == ':')
            port = url.substr(close + 2);
    }
    else
    {
        const auto colon = url.rfind(':');
        result.host = std::string(url.substr(0, colon));
        if (colon != std::string_view::npos)
            port = url.substr(colon + 1);
    }
    result.port = port.empty() ? (result.tls ? "443" : "80") : std::string(port);
    return result;
}

// One client socket, plain or TLS, on some executor.
class client_stream
{
public:
    client_stream(asio::io_context& ioc, parsed_url url, const raw_client_options& options)
        : url_(std::move(url)), timeout_(options.timeout)
    {
        if (url_.tls)
        {
            tls_context_.emplace(ssl::context::tls_client);
            tls_context_->set_verify_mode(options.verify_peer ? ssl::verify_peer : ssl::verify_none);
            if (!options.ca_pem.empty())
                tls_context_->add_certificate_authority(asio::buffer(options.ca_pem));
            secure_.emplace(ioc, *tls_context_);
            if (options.verify_peer)
                secure_->set_verify_callback(
                    ssl::host_name_verification(options.verify_host.empty() ? url_.host : options.verify_host));
            boost::system::error_code not_an_address;
            asio::ip::make_address(url_.host, not_an_address);
            if (not_an_address)  // SNI carries host names only
                SSL_set_tlsext_host_name(secure_->native_handle(), url_.host.c_str());
        }
        else
        {
            plain_.emplace(ioc);
        }
    }

    beast::tcp_stream& lowest() { return secure_ ? beast::get_lowest_layer(*secure_) : *plain_; }

    asio::awaitable<error_code> connect()
    {
        // An IP address is used as it is: Asio resolves on a thread of its own otherwise.
        error_code not_an_address;
        const auto address = asio::ip::make_address(url_.host, not_an_address);
        error_code connect_ec;
        lowest().expires_after(timeout_);
        if (!not_an_address)
        {
            const tcp::endpoint endpoint{address, static_cast<unsigned short>(std::stoul(url_.port))};
            connect_ec = std::get<0>(co_await lowest().async_connect(endpoint, asio::as_tuple(asio::use_awaitable)));
        }
        else
        {
            tcp::resolver resolver(lowest().get_executor());
            auto [resolve_ec, endpoints] =
                co_await resolver.async_resolve(url_.host, url_.port, asio::as_tuple(asio::use_awaitable));
            connect_ec = resolve_ec;
            if (!connect_ec)
                connect_ec =
                    std::get<0>(co_await lowest().async_connect(endpoints, asio::as_tuple(asio::use_awaitable)));
        }
        if (connect_ec || !secure_)
        {
            lowest().expires_never();
            co_return connect_ec;
        }
        lowest().expires_after(timeout_);
        auto [handshake_ec] =
            co_await secure_->async_handshake(ssl::stream_base::client, asio::as_tuple(asio::use_awaitable));
        lowest().expires_never();
        co_return handshake_ec;
    }

    asio::awaitable<error_code> exchange(const raw_request& request, raw_response& response)
    {
        http::request<http::string_body> message;
        message.method_string(request.method);
        message.target(request.target);
        message.version(11);
        message.set(http::field::host, url_.host + ":" + url_.port);
        if (!request.content_type.empty())
            message.set(http::field::content_type, request.content_type);
        for (const auto& [name, value] : request.headers)
            message.set(name, value);
        message.keep_alive(request.keep_alive);
        message.body() = request.body;
        message.prepare_payload();

        lowest().expires_after(timeout_);
        error_code ec;
        if (secure_)
            ec = std::get<0>(co_await http::async_write(*secure_, message, asio::as_tuple(asio::use_awaitable)));
        else
            ec = std::get<0>(co_await http::async_write(*plain_, message, asio::as_tuple(asio::use_awaitable)));
        if (ec)
        {
            lowest().expires_never();
            co_return ec;
        }
        co_return co_await read_response(response);
    }

    asio::awaitable<error_code> exchange_bytes(std::string_view bytes, raw_response& response)
    {
        lowest().expires_after(timeout_);
        error_code ec;
        if (secure_)
            ec = std::get<0>(
                co_await asio::async_write(*secure_, asio::buffer(bytes), asio::as_tuple(asio::use_awaitable)));
        else
            ec = std::get<0>(
                co_await asio::async_write(*plain_, asio::buffer(bytes), asio::as_tuple(asio::use_awaitable)));
        if (ec)
        {
            lowest().expires_never();
            co_return ec;
        }
        co_return co_await read_response(response);
    }

    asio::awaitable<error_code> wait_closed()
    {
        lowest().expires_after(timeout_);
        std::array<char, 4096> sink;
        for (;;)
        {
            error_code ec;
            if (secure_)
                ec = std::get<0>(
                    co_await secure_->async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable)));
            else
                ec = std::get<0>(
                    co_await plain_->async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable)));
            if (ec)
            {
                lowest().expires_never();
                co_return ec;
            }
        }
    }

private:
    asio::awaitable<error_code> read_response(raw_response& response)
    {
        http::response_parser<http::string_body> parser;
        parser.body_limit(64 * 1024 * 1024);
        error_code ec;
        if (secure_)
            ec = std::get<0>(co_await http::async_read(*secure_, buffer_, parser, asio::as_tuple(asio::use_awaitable)));
        else
            ec = std::get<0>(co_await http::async_read(*plain_, buffer_, parser, asio::as_tuple(asio::use_awaitable)));
        lowest().expires_never();
        if (ec)
            co_return ec;
        auto& message = parser.get();
        response.status = message.result_int();
        response.keep_alive = message.keep_alive();
        response.headers.clear();
        for (const auto& field : message)
            response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        response.body = std::move(message.body());
        co_return error_code{};
    }

    parsed_url url_;
    std::chrono::milliseconds timeout_;
    std::optional<ssl::context> tls_context_;
    std::optional<beast::tcp_stream> plain_;
    std::optional<beast::ssl_stream<beast::tcp_stream>> secure_;
    beast::flat_buffer buffer_;
};

// Runs one coroutine to its end on `ioc`; exceptions are rethrown here.
error_code run(asio::io_context& ioc, asio::awaitable<error_code> operation)
{
    error_code result;
    std::exception_ptr failure;
    asio::co_spawn(ioc, std::move(operation), [&result, &failure](std::exception_ptr e, error_code ec) {
        failure = e;
        result = ec;
    });
    ioc.restart();
    ioc.run();
    if (failure)
        std::rethrow_exception(failure);
    return result;
}

asio::awaitable<error_code> connect_and_exchange(client_stream& stream, const raw_request& request,
                                                 raw_response& response)
{
    auto ec = co_await stream.connect();
    if (ec)
        co_return ec;
    co_return co_await stream.exchange(request, response);
}

bool equals(std::error_code ec, error_code boost_ec)
{
    return ec == static_cast<std::error_code>(boost_ec);
}

std::string token_field(std::string_view body, const char* name)
{
    boost::system::error_code ec;
    auto value = boost::json::parse(body, ec);
    if (ec || !value.is_object())
        throw std::runtime_error("not a token response: " + std::string(body));
    const auto* field = value.as_object().if_contains(name);
    if (field == nullptr || !field->is_string())
        throw std::runtime_error(std::string("token response without ") + name + ": " + std::string(body));
    return std::string(field->as_string());
}

}  // namespace

std::string raw_response::header(std::string_view name) const
{
    for (const auto& [key, value] : headers)
        if (beast::iequals(key, name))
            return value;
    return {};
}

struct raw_connection::impl
{
    impl(std::string_view url, const raw_client_options& options) : stream(ioc, parse_url(url), options) {}

    asio::io_context ioc{1};
    client_stream stream;
};

raw_connection::raw_connection(std::string_view url, raw_client_options options)
    : impl_(std::make_unique<impl>(url, options))
{
    if (auto ec = run(impl_->ioc, impl_->stream.connect()))
        throw std::system_error(ec, "raw_connection: connect to " + std::string(url));
}

raw_connection::~raw_connection() = default;
raw_connection::raw_connection(raw_connection&&) noexcept = default;
raw_connection& raw_connection::operator=(raw_connection&&) noexcept = default;

raw_response raw_connection::send(const raw_request& request)
{
    raw_response response;
    if (auto ec = try_send(request, response))
        throw std::system_error(ec, "raw_connection: " + request.method + " " + request.target);
    return response;
}

std::error_code raw_connection::try_send(const raw_request& request, raw_response& response)
{
    return run(impl_->ioc, impl_->stream.exchange(request, response));
}

std::error_code raw_connection::try_send_bytes(std::string_view bytes, raw_response& response)
{
    return run(impl_->ioc, impl_->stream.exchange_bytes(bytes, response));
}

std::error_code raw_connection::wait_closed()
{
    return run(impl_->ioc, impl_->stream.wait_closed());
}

std::vector<raw_result> send_concurrently(std::string_view url, const std::vector<raw_request>& requests,
                                          raw_client_options options)
{
    asio::io_context ioc{1};
    const auto parsed = parse_url(url);
    std::vector<std::unique_ptr<client_stream>> streams;
    std::vector<raw_result> results(requests.size());
    std::exception_ptr failure;
    for (std::size_t i = 0; i < requests.size(); ++i)
    {
        streams.push_back(std::make_unique<client_stream>(ioc, parsed, options));
        asio::co_spawn(ioc, connect_and_exchange(*streams.back(), requests[i], results[i].response),
                       [&results, &failure, i](std::exception_ptr e, error_code ec) {
                           if (e)
                               failure = e;
                           results[i].error = ec;
                       });
    }
    ioc.run();
    if (failure)
        std::rethrow_exception(failure);
    return results;
}

bool is_timeout(std::error_code ec)
{
    return equals(ec, beast::error::timeout);
}

bool is_closed_by_peer(std::error_code ec)
{
    return equals(ec, asio::error::eof) || equals(ec, http::error::end_of_stream)
           || equals(ec, http::error::partial_message) || equals(ec, asio::error::connection_reset)
           || equals(ec, asio::error::broken_pipe) || equals(ec, ssl::error::stream_truncated);
}

bool is_tls_failure(std::error_code ec)
{
    // OpenSSL's own errors (verification, protocol); a truncated stream is a close, not this.
    const auto& ssl_category = static_cast<std::error_code>(error_code(1, asio::error::get_ssl_category())).category();
    return ec.category() == ssl_category;
}

raw_request get(std::string target, std::string authorization)
{
    raw_request request;
    request.target = std::move(target);
    if (!authorization.empty())
        request.headers.emplace_back("Authorization", std::move(authorization));
    return request;
}

std::string form_escape(std::string_view text)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : text)
    {
        const auto u = static_cast<unsigned char>(c);
        if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || c == '-' || c == '_'
            || c == '.' || c == '~')
        {
            out += c;
        }
        else if (c == ' ')
        {
            out += '+';
        }
        else
        {
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 15];
        }
    }
    return out;
}

raw_request token_request(std::string_view user, std::string_view password)
{
    raw_request request;
    request.method = "POST";
    request.target = "/api/v3/token";
    request.content_type = "application/x-www-form-urlencoded";
    request.body = "username=" + form_escape(user) + "&password=" + form_escape(password);
    return request;
}

std::string authorization_from_token_response(std::string_view body)
{
    return token_field(body, "token_type") + ":" + token_field(body, "access_token");
}

std::string access_token_from_token_response(std::string_view body)
{
    return token_field(body, "access_token");
}

std::string base64url_decode(std::string_view text)
{
    auto value_of = [](char c) -> int {
        if (c >= 'A' && c <= 'Z')
            return c - 'A';
        if (c >= 'a' && c <= 'z')
            return c - 'a' + 26;
        if (c >= '0' && c <= '9')
            return c - '0' + 52;
        if (c == '-' || c == '+')
            return 62;
        if (c == '_' || c == '/')
            return 63;
        return -1;
    };
    while (!text.empty() && text.back() == '=')
        text.remove_suffix(1);
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (const char c : text)
    {
        const int v = value_of(c);
        if (v < 0)
            throw std::runtime_error("base64url_decode: bad character");
        buffer = (buffer << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8)
        {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xFF);
        }
    }
    return out;
}

std::string jwt_payload(std::string_view token)
{
    const auto first = token.find('.');
    const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos)
        throw std::runtime_error("jwt_payload: not a JWT");
    return base64url_decode(token.substr(first + 1, second - first - 1));
}

std::string fetch_authorization(std::string_view url, std::string_view user, std::string_view password,
                                raw_client_options options)
{
    raw_connection connection(url, std::move(options));
    const auto response = connection.send(token_request(user, password));
    if (response.status != 200)
        throw std::runtime_error("token request answered " + std::to_string(response.status) + ": " + response.body);
    return authorization_from_token_response(response.body);
}

}  // namespace vovrest::test
