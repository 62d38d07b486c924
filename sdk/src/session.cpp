#include <vovrest/detail/admission_gate.hpp>
#include <vovrest/detail/caching_token_source.hpp>
#include <vovrest/detail/connection_pool.hpp>
#include <vovrest/detail/http_transport.hpp>
#include <vovrest/detail/launch_operation.hpp>
#include <vovrest/detail/password_token_source.hpp>
#include <vovrest/detail/request_driver.hpp>
#include <vovrest/detail/session_observer.hpp>
#include <vovrest/detail/token_pipeline.hpp>
#include <vovrest/detail/wire_format.hpp>
#include <vovrest/session.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstddef>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

namespace asio = boost::asio;
using boost::system::error_code;

namespace vovrest {
namespace {

using clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr auto wait_in_frame = asio::as_tuple(asio::deferred);

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

// What a call made inside its caller's coroutine holds once it has its turn, beside its operation
// context: its wire form and its answer.
struct in_frame_call : detail::operation_context
{
    using operation_context::operation_context;
    detail::http_request wire;
    detail::http_result answer;
};

// A coroutine waiting for its turn, in its own frame: the gate's node and the coroutine's handler
// in place (no allocation), resumed by posting to the coroutine's executor.
struct frame_waiter : detail::admission_gate::waiter
{
    alignas(std::max_align_t) unsigned char handler[16];  // the coroutine's: its thread and result
};

template <class Handler>
void resume_frame_waiter(detail::admission_gate::waiter& w, error_code ec)
{
    auto* stored = std::launder(reinterpret_cast<Handler*>(static_cast<frame_waiter&>(w).handler));
    Handler handler(std::move(*stored));
    stored->~Handler();
    // The node is not touched once the handler is posted: its frame may resume at once elsewhere.
    const auto ex = asio::get_associated_executor(handler);
    asio::post(ex, [h = std::move(handler), ec]() mutable { std::move(h)(ec); });
}

// Completes with no error once the turn is the caller's (it must give it back), error::timeout
// at `deadline`, operation_aborted on the caller's cancellation (any type).
template <class CompletionToken>
auto async_wait_turn(detail::admission_gate& gate, frame_waiter& w, clock::time_point deadline, CompletionToken&& token)
{
    return asio::async_initiate<CompletionToken, void(error_code)>(
        [&gate](auto handler, frame_waiter* node, clock::time_point until) {
            using handler_type = decltype(handler);
            static_assert(sizeof(handler_type) <= sizeof(node->handler)
                          && alignof(handler_type) <= alignof(std::max_align_t));
            node->slot = asio::get_associated_cancellation_slot(handler);
            new (node->handler) handler_type(std::move(handler));
            node->on_turn = &resume_frame_waiter<handler_type>;
            node->deadline = until;
            gate.enqueue(*node);
        },
        token, &w, deadline);
}

}  // namespace

struct session::impl : std::enable_shared_from_this<session::impl>
{
    asio::any_io_executor executor;
    session_params params;
    base_url url;
    detail::session_observer observer;
    detail::http_transport transport;
    detail::connection_pool pool;
    // One turn per connection: the calls beyond wait here for theirs before any operation state
    // exists (a caller queued behind thousands holds its frame and a node, nothing more), and a
    // call with a turn finds a connection free (or soon) in the pool.
    detail::admission_gate gate;
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
          gate(executor, params.max_connections),
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

    // Why a call cannot be sent as given: a path or header that would change the request's head.
    static std::string why_invalid(std::string_view path,
                                   const std::vector<std::pair<std::string, std::string>>& headers)
    {
        if (auto why = detail::check_target(path); !why.empty())
            return why;
        for (const auto& [name, value] : headers)
            if (auto why = detail::check_extra_header(name, value); !why.empty())
                return why;
        return {};
    }

    // The call as it goes on the wire, or why it cannot (nothing is sent then).
    // `checked`: check_call() passed already (the call waited for its turn).
    static std::string prepare(request& req, detail::http_request& wire, bool checked)
    {
        wire.method = method_name(req.method);
        wire.target = std::move(req.path);
        if (wire.target.empty() || wire.target.front() != '/')
            wire.target.insert(wire.target.begin(), '/');
        if (!checked)
            if (auto why = why_invalid(wire.target, req.headers); !why.empty())
                return why;
        detail::append_query(wire.target, req.query);
        wire.extra_headers = req.headers;
        wire.content_type = req.content_type;
        wire.body = req.body;
        return {};
    }

    // Checks the call and builds it for the wire; on failure (nothing is sent) the error with
    // `diag` filled. `req` is read and moved from; it must outlive the operation (the body and
    // headers are sent from it).
    error_code prepare_call(request& req, detail::http_request& wire, diagnostics& diag, bool checked = false)
    {
        diag.clear();
        wire.policy = req.retry ? &*req.retry : &params.retry;
        if (auto why = prepare(req, wire, checked); !why.empty())
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

    // Checks a call before it waits for its turn: one that cannot be made fails at once, nothing
    // sent. The checks prepare() makes, without building the wire form.
    error_code check_call(request& req, diagnostics& diag)
    {
        if (why_invalid(req.path, req.headers).empty())
            return {};
        detail::http_request wire;
        return prepare_call(req, wire, diag);  // the failure, reported as always
    }

    // A call that waited for its turn and ends without it (error::timeout, operation_aborted):
    // reported like any request that ends, nothing sent.
    error_code abandon(request& req, error_code ec, diagnostics& diag, clock::time_point since)
    {
        detail::http_request wire;
        prepare_call(req, wire, diag);
        return driver.abandon(wire, ec, diag, clock::now() - since);
    }

    // The deadline of a call made at `since` (zero: now; the clock is read only when there is a
    // deadline).
    clock::time_point deadline_after(clock::time_point since) const noexcept
    {
        if (params.operation_timeout.count() <= 0)
            return clock::time_point::max();
        return (since == clock::time_point{} ? clock::now() : since) + params.operation_timeout;
    }

    // The state of a call run inside the caller's coroutine on `caller`, made once it has its
    // turn: one allocation, nothing of it in the frame that waited. `since`: when the call began
    // to wait for its turn (its deadline counts from then), else zero (from now).
    std::shared_ptr<in_frame_call> make_call_state(const asio::any_io_executor& caller, clock::time_point since) const
    {
        // On an executor that may run several handlers at once the operation is concurrent:
        // guarded, with no strand (see operation_context).
        return detail::operation_context::make_until<in_frame_call>(caller, deadline_after(since), !serializes(caller));
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

// A call's hold on the session's state, and whether it has its turn in the admission gate (one
// per connection): given back when the call ends, however it ends.
class session::turn
{
public:
    explicit turn(std::shared_ptr<impl> owner) noexcept : owner_(std::move(owner)) {}
    turn(const turn&) = delete;
    turn& operator=(const turn&) = delete;
    ~turn() { give_back(); }

    impl& owner() const noexcept { return *owner_; }
    bool entered() const noexcept { return entered_; }
    void entered_now() noexcept { entered_ = true; }
    void give_back() noexcept
    {
        if (std::exchange(entered_, false))
            owner_->gate.leave();
    }

private:
    std::shared_ptr<impl> owner_;
    bool entered_ = false;
};

void session::start_execute(request req, diagnostics& diag, asio::any_completion_handler<request_signature> handler)
{
    // The same call a coroutine makes, as a coroutine of its own on the session's executor (no
    // strand; concurrent unless serialized). The handler's cancellation slot is the coroutine's.
    auto slot = asio::get_associated_cancellation_slot(handler);
    asio::co_spawn(impl_->executor, async_execute(std::move(req), diag, use_tuple),
                   asio::bind_cancellation_slot(
                       slot, [h = std::move(handler), fallback = impl_->executor](
                                 std::exception_ptr failure, std::tuple<error_code, response> result) mutable {
                           auto& [ec, answer] = result;
                           if (failure)
                               ec = asio::error::no_memory;  // resource exhaustion only: I/O failures are error codes
                           auto ex = asio::get_associated_executor(h, fallback);
                           asio::dispatch(ex, [h = std::move(h), ec = ec, answer = std::move(answer)]() mutable {
                               std::move(h)(ec, std::move(answer));
                           });
                       }));
}

asio::awaitable<std::tuple<error_code, response>> session::execute_awaitable(request req, diagnostics& diag)
{
    // Every local below lives in the frame of each waiting call (GCC gives each its own slot):
    // the waiting callers' memory is counted by the benchmark, so there are few, and one exit.
    turn held(impl_);  // keeps the session's state alive, like a spawned operation
    impl* const self = &held.owner();

    // Inside the caller's coroutine, every step completing on its executor: the caller's
    // cancellation reaches the operation's signal through a handler in the coroutine's
    // cancellation slot, and throw_if_cancelled is off meanwhile so that every step ends with an
    // error code and clean-up.
    auto caller_state = co_await asio::this_coro::cancellation_state;
    if (caller_state.cancelled() != asio::cancellation_type::none)
        co_return std::tuple<error_code, response>(asio::error::operation_aborted, response());
    const bool throw_if_cancelled = co_await asio::this_coro::throw_if_cancelled();
    co_await asio::this_coro::throw_if_cancelled(false);

    error_code ec;
    clock::time_point since{};  // when it began to wait for its turn (its deadline counts from then)
    if (self->gate.try_enter())
        held.entered_now();
    else
    {
        // A call that cannot be made fails at once; the others wait for their turn in this frame,
        // with no operation state yet.
        ec = self->check_call(req, diag);
        if (!ec)
        {
            since = clock::now();
            frame_waiter place;
            // Awaited as an operation (deferred), not through use_awaitable: no initiation
            // frame is allocated for the wait, and the handler lives in `place`.
            auto [refused] = co_await async_wait_turn(self->gate, place, self->deadline_after(since), wait_in_frame);
            if (refused)
                ec = self->abandon(req, refused, diag, since);
            else
                held.entered_now();
        }
    }
    std::shared_ptr<in_frame_call> call;
    if (held.entered())
    {
        call = self->make_call_state(co_await asio::this_coro::executor, since);
        call->enter();
        caller_cancellation forwarding(caller_state, *call);
        // The call runs in this frame, driven directly: no frame of its own between this one and
        // the driver's.
        ec = self->prepare_call(req, call->wire, diag, since != clock::time_point{});
        if (!ec)
            ec = co_await self->driver.run(*call, call->wire, call->answer, diag, since);
        forwarding.stop();
        call->finish();
        held.give_back();
    }
    co_await asio::this_coro::throw_if_cancelled(throw_if_cancelled);
    co_return std::tuple<error_code, response>(ec, call ? impl::to_response(call->answer) : response());
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
    // Calls waiting for their turn go on to the pool, which fails them with session_closed.
    impl_->gate.open();
}

}  // namespace vovrest
