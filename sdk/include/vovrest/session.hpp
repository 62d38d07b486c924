// vovrest::session — one authenticated pipeline to one Accelerator: `co_await s.authorize()`,
// then any number of REST calls from any number of coroutines and threads, all sharing one token
// that is renewed ahead of expiry, exactly once at a time.
// Thread-safety: every member function may be called from any thread at once; the session must
// outlive the operations started on it (destroying it fails them with error::session_closed).
#pragma once

#include <vovrest/base_url.hpp>
#include <vovrest/diagnostics.hpp>
#include <vovrest/error.hpp>
#include <vovrest/events.hpp>
#include <vovrest/request.hpp>
#include <vovrest/response.hpp>
#include <vovrest/session_params.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace vovrest {

class session
{
public:
    using executor_type = boost::asio::any_io_executor;
    using request_signature = void(boost::system::error_code, response);
    using authorize_signature = void(boost::system::error_code);

    // Throws error_with_diagnostics: invalid_url, https_required, tls_failed (unreadable ca_file).
    session(executor_type ex, session_params params);
    ~session();
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    executor_type get_executor() const noexcept;
    const base_url& url() const noexcept;

    // ---- Coroutines: throw error_with_diagnostics (the server's text included) ----

    // Gets a token now, unless a fresh one is already held. The way to learn early that the
    // password is wrong; without it the first request authorizes.
    boost::asio::awaitable<void> authorize();
    boost::asio::awaitable<response> execute(request req);
    boost::asio::awaitable<response> get(std::string path, query_params query = {});
    boost::asio::awaitable<response> post(std::string path, const boost::json::value& body);
    boost::asio::awaitable<response> put(std::string path, const boost::json::value& body);
    boost::asio::awaitable<response> patch(std::string path, const boost::json::value& body);
    boost::asio::awaitable<response> del(std::string path);

    // ---- Any completion token (callbacks, use_future, deferred, use_awaitable, as_tuple) ----
    // Non-throwing: the error_code and `diag` say what failed; `diag` must live until completion.
    // Cancellation (terminal, partial, total) detaches this call only: a token renewal it waited
    // for goes on for the other callers. A POST cancelled after its bytes left may have been
    // carried out. Completion runs on the token's associated executor.

    template <class CompletionToken>
    auto async_authorize(diagnostics& diag, CompletionToken&& token)
    {
        return boost::asio::async_initiate<CompletionToken, authorize_signature>(
            [this](auto handler, diagnostics* d) {
                start_authorize(*d, boost::asio::any_completion_handler<authorize_signature>(std::move(handler)));
            },
            token, &diag);
    }

    // With as_tuple(use_awaitable) (and in get/post/...), a coroutine running on a strand, or on
    // the executor of a session promised single_threaded, runs the call inside its own frame: no
    // coroutine, strand or type-erased handler of its own. Same results, same cancellation.
    template <class CompletionToken>
    auto async_execute(request req, diagnostics& diag, CompletionToken&& token)
    {
        if constexpr (std::is_same_v<std::decay_t<CompletionToken>, awaitable_tuple_t>)
            return execute_awaitable(std::move(req), diag);
        else
            return boost::asio::async_initiate<CompletionToken, request_signature>(
                [this](auto handler, request r, diagnostics* d) {
                    start_execute(std::move(r), *d,
                                  boost::asio::any_completion_handler<request_signature>(std::move(handler)));
                },
                token, std::move(req), &diag);
    }

    template <class CompletionToken>
    auto async_get(std::string path, query_params query, diagnostics& diag, CompletionToken&& token)
    {
        return async_execute(request{http_method::get, std::move(path), std::move(query), {}, {}}, diag,
                             std::forward<CompletionToken>(token));
    }
    template <class CompletionToken>
    auto async_post(std::string path, const boost::json::value& body, diagnostics& diag, CompletionToken&& token)
    {
        return async_execute(json_request(http_method::post, std::move(path), body), diag,
                             std::forward<CompletionToken>(token));
    }
    template <class CompletionToken>
    auto async_put(std::string path, const boost::json::value& body, diagnostics& diag, CompletionToken&& token)
    {
        return async_execute(json_request(http_method::put, std::move(path), body), diag,
                             std::forward<CompletionToken>(token));
    }
    template <class CompletionToken>
    auto async_patch(std::string path, const boost::json::value& body, diagnostics& diag, CompletionToken&& token)
    {
        return async_execute(json_request(http_method::patch, std::move(path), body), diag,
                             std::forward<CompletionToken>(token));
    }
    template <class CompletionToken>
    auto async_del(std::string path, diagnostics& diag, CompletionToken&& token)
    {
        return async_execute(request{http_method::del, std::move(path), {}, {}, {}}, diag,
                             std::forward<CompletionToken>(token));
    }

    // ---- Tokens from elsewhere (the Python module's setJWT / getJWT) ----

    // Installs a token obtained elsewhere; its expiry is read from its payload when it is a JWT.
    void set_token(std::string_view token_type, std::string_view access_token);
    // "<token_type>:<access_token>", the header value sent; nullopt when none is held.
    std::optional<std::string> token() const;

    session_counters counters() const noexcept;
    // True when the session's executor runs one handler at a time (session_params::single_threaded,
    // or a strand given as the executor): work posted to it is serialised with the session's own.
    bool serialized() const noexcept;

    // Fails every waiting and future operation with error::session_closed and closes connections.
    void shutdown();

    static request json_request(http_method method, std::string path, const boost::json::value& body);

private:
    using awaitable_tuple_t = decltype(boost::asio::as_tuple(boost::asio::use_awaitable));
    boost::asio::awaitable<std::tuple<boost::system::error_code, response>> execute_awaitable(request req,
                                                                                              diagnostics& diag);
    void start_authorize(diagnostics& diag, boost::asio::any_completion_handler<authorize_signature> handler);
    void start_execute(request req, diagnostics& diag, boost::asio::any_completion_handler<request_signature> handler);

    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace vovrest
