#include <vovrest/detail/http_transport.hpp>
#include <vovrest/detail/launch_operation.hpp>
#include <vovrest/detail/password_token_source.hpp>
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
    }
    return "GET";
}

base_url checked_url(const session_params& params)
{
    error_code ec;
    auto url = parse_base_url(params.url, ec);
    if (!url)
        throw error_with_diagnostics(error::invalid_url, {0, "cannot use '" + params.url + "' as scheme://host:port", {}, {}, {}});
    if (params.require_https && !url->https)
        throw error_with_diagnostics(error::https_required, {0, "require_https is set and the URL is http://", {}, {}, {}});
    return *url;
}

// The caller's cancellation, followed by an operation run inside the caller's coroutine for as
// long as this object lives (see operation_context::follow_caller).
class caller_cancellation
{
public:
    caller_cancellation(asio::cancellation_slot slot, detail::operation_context& op) : op_(op)
    {
        op_.follow_caller(slot);
    }
    ~caller_cancellation() { stop(); }
    caller_cancellation(const caller_cancellation&) = delete;
    caller_cancellation& operator=(const caller_cancellation&) = delete;
    void stop() noexcept { op_.stop_following_caller(); }

private:
    detail::operation_context& op_;
};

// Attaches the session's token once the transport holds a connection (request_authorizer): the
// fast path, or a ticket the operation waited for, which is sent as it is even if its token is
// already in the hard window, so that a token dead on arrival still makes progress.
struct ticket_authorizer final : detail::request_authorizer
{
    explicit ticket_authorizer(detail::token_pipeline& p) : tokens(p) {}

    bool attach(detail::http_request& request) override
    {
        if (!std::exchange(waited_for, false) && !tokens.try_acquire(ticket))
            return false;
        request.authorization = ticket.authorization;
        return true;
    }

    detail::token_pipeline& tokens;
    detail::token_ticket ticket;  // the token last attached, or the one waited for
    bool waited_for = false;
};

}  // namespace

struct session::impl : std::enable_shared_from_this<session::impl>
{
    asio::any_io_executor executor;
    session_params params;
    base_url url;
    detail::session_observer observer;
    detail::http_transport transport;
    detail::token_pipeline tokens;
    // The executor runs one handler at a time (the caller's promise, or a strand): operations
    // need no strand of their own and may run inside a caller's coroutine on it.
    bool serialized;

    impl(asio::any_io_executor ex, session_params p)
        : executor(std::move(ex)),
          params(std::move(p)),
          url(checked_url(params)),
          observer(params.on_event),
          transport(executor, url, params, observer),
          tokens(executor, params.token,
                 std::make_unique<detail::password_token_source>(executor, transport, params.username,
                                                                 params.password),
                 observer),
          serialized(params.single_threaded || detail::operation_context::is_strand(executor))
    {
        // The session keeps no copy of the way to the password beyond the token source's.
        params.password = nullptr;
    }

    // A token, from the fast path or by waiting for the renewal; on failure `diag` tells why.
    asio::awaitable<error_code> acquire(detail::operation_context& op, detail::token_ticket& ticket, bool force,
                                        diagnostics& diag)
    {
        if (!force && tokens.try_acquire(ticket))
            co_return error_code{};
        op.arm({});
        auto [ec, fresh] = co_await tokens.async_authorize(force, op.step_token());
        if (ec == asio::error::operation_aborted)
            co_return op.interruption();
        if (ec)
        {
            const auto failure = tokens.last_failure();
            diag.http_status = failure.http_status;
            diag.server_message = failure.server_message;
            co_return ec;
        }
        ticket = std::move(fresh);
        co_return error_code{};
    }

    // `req` is read and moved from; the caller's frame owns it until the operation ends.
    asio::awaitable<std::pair<error_code, response>> run(detail::operation_context& op, request& req, diagnostics& diag)
    {
        diag.clear();
        detail::http_request wire;
        wire.method = method_name(req.method);
        const std::size_t path_size = req.path.size();
        wire.target = std::move(req.path);
        const bool slash_added = wire.target.empty() || wire.target.front() != '/';
        if (slash_added)
            wire.target.insert(wire.target.begin(), '/');
        char separator = '?';
        for (const auto& [name, value] : req.query)
        {
            wire.target.push_back(separator);
            separator = '&';
            detail::append_encoded(wire.target, name, false);
            wire.target.push_back('=');
            detail::append_encoded(wire.target, value, false);
        }
        wire.content_type = req.content_type;
        wire.body = std::move(req.body);

        ticket_authorizer authorizer(tokens);
        wire.authorizer = &authorizer;
        std::pair<error_code, response> outcome;
        bool replayed = false;
        // No token yet (first use, or just refused): wait for one before queueing for a
        // connection, and again whenever the transport finds none usable at the wire. The wait
        // holds no connection: the token request may need it.
        bool wait_for_token = !tokens.has_token();
        for (;;)
        {
            if (wait_for_token)
            {
                if (auto ec = co_await acquire(op, authorizer.ticket, false, diag))
                {
                    outcome.first = ec;
                    break;
                }
                authorizer.waited_for = true;
                wait_for_token = false;
            }
            detail::http_result answer;
            if (auto ec = co_await transport.exchange(op, wire, answer))
            {
                outcome.first = ec;
                break;
            }
            if (answer.needs_token)
            {
                wait_for_token = true;
                continue;
            }
            if (answer.status == 401 && !replayed)
            {
                // Tied to the generation that was sent: renews only if it is still current.
                replayed = true;
                tokens.on_unauthorized(authorizer.ticket.generation);
                detail::session_observer::bump(observer.replays);
                observer.emit(event_kind::replay, authorizer.ticket.generation);
                wait_for_token = !tokens.has_token();  // usually none: it was just refused
                continue;
            }
            outcome.first = detail::error_for_status(answer.status);
            if (outcome.first)
            {
                diag.http_status = answer.status;
                diag.server_message = detail::server_message(answer.body);
            }
            outcome.second.status = answer.status;
            outcome.second.headers = std::move(answer.headers);
            outcome.second.body = std::move(answer.body);
            break;
        }
        if (outcome.first)
        {
            // Only a failure is described: no copy of the path for every request.
            diag.method = wire.method;
            diag.path.assign(wire.target, slash_added ? 1 : 0, path_size);
        }
        detail::session_observer::bump(observer.requests);
        co_return outcome;
    }

    // Where an operation of its own runs (see operation_context::serialized_executor).
    asio::any_io_executor operation_executor() const
    {
        return detail::operation_context::serialized_executor(executor, serialized);
    }

    // A coroutine whose executor runs one handler at a time (the serialized session executor, or
    // any strand: the usual home of a server's connection) runs its operations inside its frame,
    // every step completing on that executor. Any other caller's operation gets a coroutine of
    // its own, on a strand of its own unless the session is serialized. (Running inside a caller
    // on an unserialized executor would need every step bound to a strand: measured, that cost
    // more than the coroutine it saved.)
    bool runs_in_caller(const asio::any_io_executor& caller) const noexcept
    {
        return (serialized && caller == executor) || detail::operation_context::is_strand(caller);
    }

    asio::awaitable<std::pair<error_code, std::monostate>> authorize(detail::operation_context& op, diagnostics& diag)
    {
        diag.clear();
        diag.method = "POST";
        diag.path = "/api/v3/token";
        detail::token_ticket ticket;
        co_return std::pair{co_await acquire(op, ticket, false, diag), std::monostate{}};
    }
};

session::session(executor_type ex, session_params params)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(params)))
{
}

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
    detail::launch_operation<response>(
        impl_->operation_executor(), impl_->params.operation_timeout, std::move(handler),
        [self = impl_, req = std::move(req), d = &diag](detail::operation_context& op) mutable {
            return self->run(op, req, *d);
        });
}

void session::start_authorize(diagnostics& diag, asio::any_completion_handler<authorize_signature> handler)
{
    auto adapted = detail::adapt_handler<std::monostate>(
        std::move(handler), impl_->executor,
        [](asio::any_completion_handler<authorize_signature> h, error_code ec, std::monostate) { std::move(h)(ec); });
    detail::launch_operation<std::monostate>(
        impl_->operation_executor(), impl_->params.operation_timeout, std::move(adapted),
        [self = impl_, d = &diag](detail::operation_context& op) { return self->authorize(op, *d); });
}

asio::awaitable<std::tuple<error_code, response>> session::execute_awaitable(request req, diagnostics& diag)
{
    auto self = impl_;  // the frame keeps the session's state alive, like a spawned operation
    const auto& caller = co_await asio::this_coro::executor;
    if (!self->runs_in_caller(caller))
    {
        co_return co_await asio::async_initiate<decltype(use_tuple), request_signature>(
            [this](auto handler, request r, diagnostics* d) {
                start_execute(std::move(r), *d, asio::any_completion_handler<request_signature>(std::move(handler)));
            },
            use_tuple, std::move(req), &diag);
    }

    // Inside the caller's coroutine, on its serialized executor: the caller's cancellation
    // reaches the operation's signal through a handler in the coroutine's cancellation slot, and
    // throw_if_cancelled is off meanwhile so that every step ends with an error code and clean-up.
    auto op = detail::operation_context::make(caller, self->params.operation_timeout);
    auto caller_state = co_await asio::this_coro::cancellation_state;
    if (caller_state.cancelled() != asio::cancellation_type::none)
        co_return std::tuple<error_code, response>(asio::error::operation_aborted, response());
    const bool throw_if_cancelled = co_await asio::this_coro::throw_if_cancelled();
    co_await asio::this_coro::throw_if_cancelled(false);
    caller_cancellation forwarding(caller_state.slot(), *op);
    auto [ec, answer] = co_await self->run(*op, req, diag);
    op->disarm();
    forwarding.stop();
    co_await asio::this_coro::throw_if_cancelled(throw_if_cancelled);
    co_return std::tuple<error_code, response>(ec, std::move(answer));
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
    impl_->transport.shutdown();
}

}  // namespace vovrest
