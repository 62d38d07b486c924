/// @file
/// vovrest::session — one authenticated pipeline to one Accelerator: `co_await s.authorize()`,
/// then any number of REST calls from any number of coroutines and threads, all sharing one token
/// that is renewed ahead of expiry, exactly once at a time.
/// Thread-safety: every member function may be called from any thread at once; the session must
/// outlive the operations started on it (destroying it fails them with error::session_closed).
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

/// One authenticated pipeline to one Accelerator: a keep-alive connection pool, one token shared
/// by every call and renewed ahead of expiry exactly once at a time, deadlines and TLS.
///
/// Every call may be made as a coroutine that throws error_with_diagnostics (`co_await
/// s.get(...)`) or with any Asio completion token (`s.async_get(..., diag, token)`) that reports
/// an error_code and fills a diagnostics instead. A call's status outside 2xx is an error (see
/// vovrest::error); the response is still given to the non-throwing forms.
///
/// Thread-safety: every member function may be called from any thread at once, by any number of
/// coroutines and threads (a thread pool running one io_context included); nothing blocks a
/// thread. With session_params::single_threaded, only one thread may run the executor.
///
/// Lifetime: the session must outlive the operations started on it; destroying it (or
/// shutdown()) fails the operations waiting for a token or a connection, and every later one,
/// with error::session_closed. It never keeps the executor busy on its own: `io.run()` returns
/// when the caller's work is done.
///
/// Cancellation: every operation honours terminal, partial and total cancellation through its
/// completion token's cancellation slot (for a coroutine, the slot it was spawned with), at
/// whatever step it is: waiting for a token or a connection, connecting, writing or reading.
/// Cancelling one call detaches that call only: a token renewal it waited for goes on for the
/// others. A POST or PATCH cancelled after its bytes left may have been carried out.
class session
{
public:
    /// The executor the session was built with; its operations complete through it unless the
    /// completion token has an executor of its own.
    using executor_type = boost::asio::any_io_executor;
    /// Completion signature of async_execute() and the other request calls.
    using request_signature = void(boost::system::error_code, response);
    /// Completion signature of async_authorize().
    using authorize_signature = void(boost::system::error_code);

    /// Builds the session; connects to nothing and asks for no password until the first call.
    /// @param ex where the session's work runs (an io_context's executor, or a strand).
    /// @param params the configuration, copied; the password provider is kept by the token
    ///        source only.
    /// @throws error_with_diagnostics error::invalid_url (params.url cannot be reduced to
    ///         scheme://host:port), error::https_required (http:// with require_https),
    ///         error::tls_failed (an unreadable ca_file or ca_dir).
    session(executor_type ex, session_params params);
    /// Calls shutdown(): operations still waiting fail with error::session_closed.
    ~session();
    session(const session&) = delete;             ///< not copyable: one session, one pipeline
    session& operator=(const session&) = delete;  ///< not copyable: one session, one pipeline

    /// The executor the session was built with.
    executor_type get_executor() const noexcept;
    /// The Accelerator's scheme://host:port, as reduced from session_params::url.
    const base_url& url() const noexcept;

    /// @name Coroutines
    /// Each throws error_with_diagnostics (the error, the server's text, the method and path) on
    /// failure, and follows the cancellation of the coroutine that awaits it (a cancelled call
    /// throws with boost::asio::error::operation_aborted, or error::timeout when
    /// operation_timeout passed).
    /// @{

    /// Gets a token now, unless a fresh one is already held. The way to learn early that the
    /// password is wrong; without it the first request authorizes.
    /// @throws error_with_diagnostics error::authentication_failed (refused; remembered for
    ///         token_params::failure_memory, during which nothing is sent), error::no_password,
    ///         error::connection_failed, error::tls_failed, error::timeout, error::server_error or
    ///         error::rate_limited once the renewal's attempts are spent.
    boost::asio::awaitable<void> authorize();
    /// Sends one request and returns the answer; a status outside 2xx throws (see
    /// vovrest::error for the mapping), after a 401 the request is replayed once with a renewed
    /// token. Retries follow idempotency: a request that never reached the server is retried
    /// whatever its method; after bytes left, GET/PUT/DELETE are sent once more on a fresh
    /// connection; a POST or PATCH ends with error::outcome_unknown.
    /// @throws error_with_diagnostics with any vovrest::error.
    boost::asio::awaitable<response> execute(request req);
    /// GET `path` with `query` (percent-encoded by the session). As execute().
    boost::asio::awaitable<response> get(std::string path, query_params query = {});
    /// POST `body` as JSON to `path`. As execute(); never resent once its bytes left.
    boost::asio::awaitable<response> post(std::string path, const boost::json::value& body);
    /// PUT `body` as JSON to `path`. As execute().
    boost::asio::awaitable<response> put(std::string path, const boost::json::value& body);
    /// PATCH `body` as JSON to `path`. As execute(); never resent once its bytes left.
    boost::asio::awaitable<response> patch(std::string path, const boost::json::value& body);
    /// DELETE `path`. As execute().
    boost::asio::awaitable<response> del(std::string path);
    /// @}

    /// @name Any completion token (callbacks, use_future, deferred, use_awaitable, as_tuple)
    /// Non-throwing: the error_code and `diag` say what failed; `diag` is cleared at the start
    /// and must live, unread, until completion. The response is given whatever its status.
    /// Cancellation (terminal, partial, total) detaches this call only: a token renewal it waited
    /// for goes on for the other callers. A POST cancelled after its bytes left may have been
    /// carried out. Completion runs on the token's associated executor (the session's when it
    /// has none).
    /// @{

    /// authorize() with any completion token: `void(error_code)`.
    template <class CompletionToken>
    auto async_authorize(diagnostics& diag, CompletionToken&& token)
    {
        return boost::asio::async_initiate<CompletionToken, authorize_signature>(
            [this](auto handler, diagnostics* d) {
                start_authorize(*d, boost::asio::any_completion_handler<authorize_signature>(std::move(handler)));
            },
            token, &diag);
    }

    /// execute() with any completion token: `void(error_code, response)`.
    ///
    /// At most session_params::max_connections calls are under way at once; the others wait
    /// their turn in arrival order, holding their request and their coroutine frame only (no
    /// operation state yet). operation_timeout counts from the call; an invalid request fails at
    /// once.
    /// With as_tuple(use_awaitable) (and in get/post/...), the call runs inside the caller's
    /// coroutine frame, and waits there for its turn: no coroutine, strand or type-erased handler
    /// of its own. On an executor that may run several handlers at once, the call holds a guard
    /// while its code runs (never across a wait), which its deadline and cancellation take too.
    /// Same results, same cancellation.
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

    /// get() with any completion token: `void(error_code, response)`.
    template <class CompletionToken>
    auto async_get(std::string path, query_params query, diagnostics& diag, CompletionToken&& token)
    {
        return async_execute(request{http_method::get, std::move(path), std::move(query), {}, {}}, diag,
                             std::forward<CompletionToken>(token));
    }
    /// post() with any completion token: `void(error_code, response)`.
    template <class CompletionToken>
    auto async_post(std::string path, const boost::json::value& body, diagnostics& diag, CompletionToken&& token)
    {
        return async_execute(json_request(http_method::post, std::move(path), body), diag,
                             std::forward<CompletionToken>(token));
    }
    /// put() with any completion token: `void(error_code, response)`.
    template <class CompletionToken>
    auto async_put(std::string path, const boost::json::value& body, diagnostics& diag, CompletionToken&& token)
    {
        return async_execute(json_request(http_method::put, std::move(path), body), diag,
                             std::forward<CompletionToken>(token));
    }
    /// patch() with any completion token: `void(error_code, response)`.
    template <class CompletionToken>
    auto async_patch(std::string path, const boost::json::value& body, diagnostics& diag, CompletionToken&& token)
    {
        return async_execute(json_request(http_method::patch, std::move(path), body), diag,
                             std::forward<CompletionToken>(token));
    }
    /// del() with any completion token: `void(error_code, response)`.
    template <class CompletionToken>
    auto async_del(std::string path, diagnostics& diag, CompletionToken&& token)
    {
        return async_execute(request{http_method::del, std::move(path), {}, {}, {}}, diag,
                             std::forward<CompletionToken>(token));
    }
    /// @}

    /// @name Tokens from elsewhere (the Python module's setJWT / getJWT)
    /// @{

    /// Installs a token obtained elsewhere, used by the following requests; its expiry is read
    /// from its payload when it is a JWT (otherwise it is used until a 401, or
    /// token_params::max_token_age). Neither argument is logged.
    void set_token(std::string_view token_type, std::string_view access_token);
    /// "<token_type>:<access_token>", the Authorization value sent; std::nullopt when none is
    /// held. The result is a secret: wipe() it when done, never log it.
    std::optional<std::string> token() const;
    /// @}

    /// The session's counters now: token requests, renewals by reason, waiters, replays,
    /// retries, requests, connections. Lock-free; callable from any thread at any time.
    session_counters counters() const noexcept;
    /// True when the session's executor runs one handler at a time (session_params::single_threaded,
    /// or a strand given as the executor): work posted to it is serialised with the session's own.
    bool serialized() const noexcept;

    /// Fails every waiting and future operation with error::session_closed and closes the idle
    /// connections. A request already on the wire is not interrupted (cancel it to stop it); its
    /// connection is closed when it ends. Idempotent; the destructor calls it.
    void shutdown();

    /// A request whose body is `body` serialized, with Content-Type application/json.
    static request json_request(http_method method, std::string path, const boost::json::value& body);

private:
    struct impl;

    class turn;  // a call's turn in the session's admission gate (session.cpp)

    using awaitable_tuple_t = decltype(boost::asio::as_tuple(boost::asio::use_awaitable));
    // The call inside the caller's coroutine: it takes its turn when it starts running, waiting
    // for one first if none is free.
    boost::asio::awaitable<std::tuple<boost::system::error_code, response>> execute_awaitable(request req,
                                                                                              diagnostics& diag);
    void start_execute(request req, diagnostics& diag, boost::asio::any_completion_handler<request_signature> handler);
    void start_authorize(diagnostics& diag, boost::asio::any_completion_handler<authorize_signature> handler);

    std::shared_ptr<impl> impl_;
};

}  // namespace vovrest
