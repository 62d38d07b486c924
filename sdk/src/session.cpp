#include <vovrest/detail/connection_pool.hpp>
#include <vovrest/detail/caching_token_source.hpp>
#include <vovrest/detail/http_transport.hpp>
#include <vovrest/detail/launch_operation.hpp>
#include <vovrest/detail/password_token_source.hpp>
#include <vovrest/detail/request_driver.hpp>
#include <vovrest/detail/session_observer.hpp>
#include <vovrest/detail/token_pipeline.hpp>
#include <vovrest/detail/wire_format.hpp>
#include <vovrest/session.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <tuple>
#include <utility>
#include <variant>

namespace asio = boost::asio;
using boost::system::error_code;

namespace vovrest {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::string_view method_name(http_method method) noexcept
{
    switch (method)
    {
    case http_method::get: return "GET";
    case http_method::post: return "POST";
    case http_method::put: return "PUT";
    case http_method::patch: return "PATCH";
    case http_method::del: return "DELETE";
    case http_method::head: return "HEAD";
    }
    return "GET";
}

base_url checked_url(const session_params& params)
{
    error_code ec;
    auto url = parse_base_url(params.url, ec);
    if (!url)
        throw error_with_diagnostics(error::invalid_url,
                                     detail::client_failure("cannot use '" + params.url + "' as scheme://host:port"));
    if (params.require_https && !url->https)
        throw error_with_diagnostics(error::https_required,
                                     detail::client_failure("require_https is set and the URL is http://"));
    return *url;
}

// The caller's cancellation, followed by an operation run inside the caller's coroutine for as
// long as this object lives (see operation_context::follow_caller).
class caller_cancellation
{
public:
    caller_cancellation(asio::cancellation_state state, detail::operation_context& op) : op_(op)
    {
        op_.follow_caller(state);
    }
    ~caller_cancellation() { stop(); }
    caller_cancellation(const caller_cancellation&) = delete;
    caller_cancellation& operator=(const caller_cancellation&) = delete;
    void stop() noexcept { op_.stop_following_caller(); }

private:
    detail::operation_context& op_;
};

}  // namespace

struct session::impl : std::enable_shared_from_this<session::impl>
{
    asio::any_io_executor executor;
    session_params params;
    base_url url;
    detail::session_observer observer;
    detail::http_transport transport;
    detail::connection_pool pool;
    detail::request_driver driver;
    detail::token_pipeline tokens;
    // The executor runs one handler at a time (the caller's promise, or a strand): operations
    // need no strand of their own and may run inside a caller's coroutine on it.
    bool serialized;

    impl(asio::any_io_executor ex, session_params p)
        : executor(std::move(ex)),
          params(std::move(p)),
          url(checked_url(params)),
          observer(params.on_event),
          transport(executor, url, params),
          pool(params.max_connections, params.idle_timeout, observer),
          driver(pool, transport, observer,
                 detail::driver_params{url.host_header(), params.user_agent,
                                       detail::read_limits{params.max_header_bytes, params.max_body_bytes},
                                       params.request_timeout}),
          tokens(executor, params.token,
                 detail::with_token_cache(std::make_unique<detail::password_token_source>(
                                              executor, driver, params.username, params.password),
                                          executor, params, url),
                 observer),
          serialized(params.single_threaded || detail::operation_context::is_strand(executor))
    {
        driver.set_tokens(&tokens);
        // The session keeps no copy of the way to the password beyond the token source's.
        params.password = nullptr;
    }

    // The call as it goes on the wire, or why it cannot (nothing is sent then).
    static std::string prepare(request& req, detail::http_request& wire)
    {
        wire.method = method_name(req.method);
        wire.target = std::move(req.path);
        if (wire.target.empty() || wire.target.front() != '/')
            wire.target.insert(wire.target.begin(), '/');
        if (auto why = detail::check_target(wire.target); !why.empty())
            return why;
        detail::append_query(wire.target, req.query);
        for (const auto& [name, value] : req.headers)
            if (auto why = detail::check_extra_header(name, value); !why.empty())
                return why;
        wire.extra_headers = req.headers;
        wire.content_type = req.content_type;
        wire.body = req.body;
        return {};
    }

    // Checks the call and builds it for the wire; on failure (nothing is sent) the error with
    // `diag` filled. `req` is read and moved from; it must outlive the operation (the body and
    // headers are sent from it).
    error_code prepare_call(request& req, detail::http_request& wire, diagnostics& diag)
    {
        diag.clear();
        wire.policy = req.retry ? &*req.retry : &params.retry;
        if (auto why = prepare(req, wire); !why.empty())
        {
            diag = detail::client_failure(std::move(why), std::string(wire.method), wire.target);
            detail::session_observer::bump(observer.requests);
            return error::invalid_argument;
        }
        return {};
    }

    static response to_response(detail::http_result& answer)
    {
        response out;
        out.status = answer.status;
        out.headers = std::move(answer.headers);
        out.body = std::move(answer.body);
        return out;
    }

    // `req` is read and moved from; the caller's frame owns it until the operation ends.
    asio::awaitable<std::pair<error_code, response>> run(detail::operation_context& op, request& req, diagnostics& diag)
    {
        std::pair<error_code, response> outcome;
        detail::http_request wire;
        outcome.first = prepare_call(req, wire, diag);
        if (outcome.first)
            co_return outcome;
        detail::http_result answer;
        outcome.first = co_await driver.run(op, wire, answer, diag);
        outcome.second = to_response(answer);
        co_return outcome;
    }

    // Whether a coroutine on `caller` runs one handler at a time: the serialized session
    // executor, or any strand (the usual home of a server's connection). Its operations need no
    // guard then; any other caller's operations are concurrent (see operation_context).
    bool serializes(const asio::any_io_executor& caller) const noexcept
    {
        return (serialized && caller == executor) || detail::operation_context::is_strand(caller);
    }

    // A usable token, or the renewal's failure with its own diagnostics.
    asio::awaitable<std::pair<error_code, std::monostate>> authorize(detail::operation_context& op, diagnostics& diag)
    {
        diag.clear();
        detail::token_ticket ticket;
        if (tokens.try_acquire(ticket))
            co_return std::pair{error_code{}, std::monostate{}};
        op.arm({});
        auto [ec, fresh, why] = co_await tokens.async_acquire(op.executor(), op.step_token());
        if (ec == asio::error::operation_aborted)
            ec = op.interruption();
        if (ec)
        {
            diag = std::move(why);
            diag.method = "POST";
            diag.path = "/api/v3/token";
        }
        co_return std::pair{ec, std::monostate{}};
    }
};

session::session(executor_type ex, session_params params)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(params)))
{}

session::~session()
{
    shutdown();
}

session::executor_type session::get_executor() const noexcept
{
    return impl_->executor;
}

const base_url& session::url() const noexcept
{
    return impl_->url;
}

void session::start_execute(request req, diagnostics& diag, asio::any_completion_handler<request_signature> handler)
{
    // A coroutine of its own on the session's executor: no strand; concurrent unless serialized.
    detail::launch_operation<response>(
        impl_->executor, impl_->params.operation_timeout, std::move(handler),
        [self = impl_, req = std::move(req), d = &diag](detail::operation_context& op) mutable {
            return self->run(op, req, *d);
        },
        !impl_->serialized);
}

void session::start_authorize(diagnostics& diag, asio::any_completion_handler<authorize_signature> handler)
{
    auto adapted = detail::adapt_handler<std::monostate>(
        std::move(handler), impl_->executor,
        [](asio::any_completion_handler<authorize_signature> h, error_code ec, std::monostate) { std::move(h)(ec); });
    detail::launch_operation<std::monostate>(
        impl_->executor, impl_->params.operation_timeout, std::move(adapted),
        [self = impl_, d = &diag](detail::operation_context& op) { return self->authorize(op, *d); },
        !impl_->serialized);
}

asio::awaitable<std::tuple<error_code, response>> session::execute_awaitable(request req, diagnostics& diag)
{
    auto self = impl_;  // the frame keeps the session's state alive, like a spawned operation
    const auto& caller = co_await asio::this_coro::executor;

    // Inside the caller's coroutine, every step completing on its executor: the caller's
    // cancellation reaches the operation's signal through a handler in the coroutine's
    // cancellation slot, and throw_if_cancelled is off meanwhile so that every step ends with an
    // error code and clean-up. On an executor that may run several handlers at once the
    // operation is concurrent: guarded, with no strand (see operation_context).
    auto op = detail::operation_context::make(caller, self->params.operation_timeout, !self->serializes(caller));
    auto caller_state = co_await asio::this_coro::cancellation_state;
    if (caller_state.cancelled() != asio::cancellation_type::none)
        co_return std::tuple<error_code, response>(asio::error::operation_aborted, response());
    const bool throw_if_cancelled = co_await asio::this_coro::throw_if_cancelled();
    co_await asio::this_coro::throw_if_cancelled(false);
    op->enter();
    caller_cancellation forwarding(caller_state, *op);
    // The call runs in this frame, driven directly: no frame of its own between this one and the
    // driver's (a caller waiting for a connection holds as little as possible).
    detail::http_request wire;
    detail::http_result answer;
    error_code ec = self->prepare_call(req, wire, diag);
    if (!ec)
        ec = co_await self->driver.run(*op, wire, answer, diag);
    forwarding.stop();
    op->finish();
    co_await asio::this_coro::throw_if_cancelled(throw_if_cancelled);
    co_return std::tuple<error_code, response>(ec, impl::to_response(answer));
}

asio::awaitable<void> session::authorize()
{
    diagnostics diag;
    auto [ec] = co_await async_authorize(diag, use_tuple);
    throw_on_error(ec, diag);
}

asio::awaitable<response> session::execute(request req)
{
    diagnostics diag;
    auto [ec, answer] = co_await async_execute(std::move(req), diag, use_tuple);
    throw_on_error(ec, diag);
    co_return std::move(answer);
}

asio::awaitable<response> session::get(std::string path, query_params query)
{
    return execute(request{http_method::get, std::move(path), std::move(query), {}, {}});
}

asio::awaitable<response> session::post(std::string path, const boost::json::value& body)
{
    return execute(json_request(http_method::post, std::move(path), body));
}

asio::awaitable<response> session::put(std::string path, const boost::json::value& body)
{
    return execute(json_request(http_method::put, std::move(path), body));
}

asio::awaitable<response> session::patch(std::string path, const boost::json::value& body)
{
    return execute(json_request(http_method::patch, std::move(path), body));
}

asio::awaitable<response> session::del(std::string path)
{
    return execute(request{http_method::del, std::move(path), {}, {}, {}});
}

request session::json_request(http_method method, std::string path, const boost::json::value& body)
{
    return request{method, std::move(path), {}, boost::json::serialize(body), "application/json"};
}

void session::set_token(std::string_view token_type, std::string_view access_token)
{
    impl_->tokens.set_token(token_type, access_token);
}

std::optional<std::string> session::token() const
{
    return impl_->tokens.current_authorization();
}

bool session::serialized() const noexcept
{
    return impl_->serialized;
}

session_counters session::counters() const noexcept
{
    return impl_->observer.snapshot();
}

void session::shutdown()
{
    impl_->tokens.shutdown();
    impl_->pool.shutdown();
}

}  // namespace vovrest
