#include <vovrest/detail/request_driver.hpp>
#include <vovrest/detail/request_fsm.hpp>
#include <vovrest/detail/token_pipeline.hpp>
#include <vovrest/detail/wire_format.hpp>
#include <vovrest/error.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>

#include <optional>
#include <random>

namespace asio = boost::asio;
using boost::system::error_code;

namespace vovrest::detail {
namespace {

using clock = std::chrono::steady_clock;

// Uniform in [0, 1), for backoff jitter: one cheap generator per thread.
double jitter() noexcept
{
    thread_local std::minstd_rand engine(std::random_device{}());
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

bool retry_worthy(unsigned status) noexcept
{
    return status == 429 || status == 502 || status == 503 || status == 504;
}

const retry_policy no_policy_retries{.max_attempts = 1};

// The token of the fast path is copied here and from here into the request head at once, with
// no suspension in between: one buffer per thread, its capacity reused (no allocation).
token_ticket& scratch_ticket() noexcept
{
    thread_local token_ticket ticket;
    return ticket;
}

std::string_view path_only(std::string_view target) noexcept
{
    return target.substr(0, target.find('?'));
}

// The wait for a token, in a frame of its own: only a request that waits for a token carries its
// result (ticket and diagnostics) while suspended, not every request's frame.
asio::awaitable<error_code> wait_for_token(token_pipeline& tokens, operation_context& op, token_ticket& waited,
                                           diagnostics& diag)
{
    auto [ec, ticket, why] = co_await tokens.async_acquire(op.executor(), op.step_token());
    if (ec)
    {
        diag = std::move(why);
        co_return ec == asio::error::operation_aborted ? op.interruption() : ec;
    }
    waited = std::move(ticket);
    co_return error_code{};
}

}  // namespace

// What one request keeps from step to step, in the frame of request_driver::run.
struct request_driver::request_state
{
    connection_pool::connection_ptr conn;
    bool holds_slot = false;         // a slot reserved to open a connection in
    bool reused = false;             // the connection held is a kept-alive one
    bool authorized = false;         // carries the session's token
    bool parked = false;             // gave a connection back parked (see release_as::park)
    token_ticket waited;             // a token the request waited for (slow path)
    std::uint64_t generation = 0;    // the token sent
    std::string_view authorization;  // its header value, valid until the next suspension
    std::string cause;               // the client-side reason of the last failed step
    std::uint64_t bytes_sent = 0;
};

asio::awaitable<error_code> request_driver::run(operation_context& op, const http_request& request, http_result& answer,
                                                diagnostics& diag, clock::time_point started)
{
    // The token request reports through the renewal events; a caller's request through these.
    const bool hook = request.authorized && observer_.has_hook();
    if (hook && started == clock::time_point{})
        started = clock::now();
    request_state state;
    state.authorized = request.authorized && tokens_ != nullptr;

    request_fsm machine(
        request_traits{request.idempotent(), state.authorized, request.policy ? *request.policy : no_policy_retries});
    request_event event{.kind = request_event_kind::start};
    event.token_usable = state.authorized && tokens_->has_token();
    std::unique_ptr<asio::steady_timer> backoff_timer;  // made at the first backoff only: a frame stays small

    // Only the steps a request may wait in for long (a token, a connection, a backoff) are awaited
    // in this frame; connecting, writing and reading run in exchange(), whose frame exists while a
    // connection is held. Every caller waiting in a queue keeps this frame alone.
    for (;;)
    {
        const request_action action = machine.resume(event);
        event = request_event{};
        if (action.retry)
        {
            observer_.bump(observer_.retries);
            observer_.emit(event_kind::retry);
        }

        if (action.release != release_as::keep)
        {
            if (state.conn && action.release == release_as::park)
            {
                pool_.park(std::move(state.conn));
                state.parked = true;
            }
            else if (state.conn)
                pool_.release(std::move(state.conn), action.release == release_as::reuse);
            else if (state.holds_slot)
                pool_.release_slot();
            state.conn.reset();
            state.holds_slot = false;
        }
        switch (action.deadline)
        {
        case step_deadline::none: op.arm({}); break;
        case step_deadline::request: op.arm(params_.request_timeout); break;
        case step_deadline::connect:  // armed by the transport, step by step
        case step_deadline::keep: break;
        }

        switch (action.step)
        {
        case request_step::wait_for_token:
        {
            event.ec = co_await wait_for_token(*tokens_, op, state.waited, diag);
            event.kind = event.ec ? request_event_kind::token_failed : request_event_kind::token_ready;
            if (state.parked)
            {
                // The renewal is over (or this request's wait is): the queue may move again.
                state.parked = false;
                pool_.unpark();
            }
            break;
        }

        case request_step::acquire_connection:
        {
            const auto got = pool_.try_acquire(state.conn, action.fresh);
            switch (got)
            {
            case connection_pool::acquired::connection: event.kind = request_event_kind::connection_reused; break;
            case connection_pool::acquired::slot:
                state.holds_slot = true;
                event.kind = request_event_kind::connection_slot;
                break;
            case connection_pool::acquired::closed:
                event.kind = request_event_kind::acquire_failed;
                event.ec = error::session_closed;
                break;
            case connection_pool::acquired::full:
                event.kind = request_event_kind::pool_full;
                // Read only when the request must wait anyway: the clock stays off the fast path.
                event.token_usable = state.authorized && tokens_->usable_now();
                break;
            }
            break;
        }

        case request_step::queue_for_connection:
        {
            auto [ec, got] =
                co_await pool_.async_acquire(op.executor(), request.ahead_of_queue, action.fresh, op.step_token());
            if (ec)
            {
                event.kind = request_event_kind::acquire_failed;
                event.ec = ec == asio::error::operation_aborted ? op.interruption() : ec;
            }
            else if (got)
            {
                state.conn = std::move(got);
                event.kind = request_event_kind::connection_reused;
            }
            else
            {
                state.holds_slot = true;
                event.kind = request_event_kind::connection_slot;
            }
            break;
        }

        case request_step::connect:
        case request_step::write:
        case request_step::read:
            state.reused = machine.holds_reused();
            co_await exchange(op, request, answer, action.step, state, event);
            break;

        case request_step::attach_token:
        {
            if (action.use_waited_token)
            {
                state.generation = state.waited.generation;
                state.authorization = state.waited.authorization;
                event.kind = request_event_kind::token_attached;
                break;
            }
            token_ticket& fast = scratch_ticket();
            if (tokens_->try_acquire(fast))
            {
                state.generation = fast.generation;
                state.authorization = fast.authorization;  // written into the head before any suspension
                event.kind = request_event_kind::token_attached;
            }
            else
            {
                event.kind = request_event_kind::no_token;
            }
            break;
        }

        case request_step::report_unauthorized:
        {
            tokens_->on_unauthorized(state.generation, server_message(answer.body));
            observer_.bump(observer_.replays);
            observer_.emit(event_kind::replay, state.generation);
            event.kind = request_event_kind::unauthorized_reported;
            event.token_usable = tokens_->has_token();
            break;
        }

        case request_step::backoff:
        {
            if (!backoff_timer)
                backoff_timer = std::make_unique<asio::steady_timer>(op.executor());
            backoff_timer->expires_after(action.delay);
            auto [ec] = co_await backoff_timer->async_wait(op.step_token());
            if (ec)
            {
                event.kind = request_event_kind::acquire_failed;
                event.ec = op.interruption();
            }
            else
            {
                event.kind = request_event_kind::backoff_elapsed;
            }
            break;
        }

        case request_step::done:
            op.disarm();
            co_return complete(request, action, answer, diag, std::move(state.cause), machine.attempts(),
                               state.bytes_sent, hook ? clock::now() - started : clock::duration{});
        }
    }
}

asio::awaitable<void> request_driver::exchange(operation_context& op, const http_request& request, http_result& answer,
                                               request_step step, request_state& state, request_event& event)
{
    switch (step)
    {
    case request_step::connect:
    {
        auto opened = co_await transport_.open(op);
        if (opened.ec)
        {
            event.kind = request_event_kind::connect_failed;
            event.ec = opened.ec;
            event.time_left = op.time_left();
            event.jitter = jitter();
            state.cause = std::move(opened.cause);
        }
        else
        {
            state.conn = std::move(opened.conn);
            state.holds_slot = false;
            observer_.bump(observer_.connections_opened);
            observer_.emit(event_kind::connection_opened);
            event.kind = request_event_kind::connected;
        }
        co_return;
    }

    case request_step::write:
    {
        connection& conn = *state.conn;
        if (state.reused && !conn.quiet())
        {
            // Closed by the server, or bytes out of step, since its last answer: never written to.
            event.kind = request_event_kind::stale;
            co_return;
        }
        if (!write_request_head(conn.head, request.method, request.target, params_.host_header, params_.user_agent,
                                state.authorization, request.content_type, request.body.size(), request.extra_headers))
        {
            // Checked before the request began; a token holding a line break ends here.
            event.kind = request_event_kind::write_failed;
            event.ec = error::invalid_argument;
            state.cause = "the request head would hold a line break";
            co_return;
        }
        const std::string_view body = request.content_type.empty() ? std::string_view() : request.body;
        auto written = co_await conn.write(op, conn.head, body);
        if (written.ec)
        {
            event.kind = request_event_kind::write_failed;
            event.ec = written.ec;
            event.bytes_sent = written.bytes_sent;
            state.cause = std::move(written.cause);
        }
        else
        {
            state.bytes_sent += conn.head.size() + body.size();
            event.kind = request_event_kind::written;
        }
        co_return;
    }

    case request_step::read:
    {
        auto read = co_await state.conn->read(op, params_.limits, request.method == "HEAD", answer);
        if (read.ec)
        {
            event.kind = request_event_kind::read_failed;
            event.ec = read.ec;
            event.answer_started = read.answer_started;
            state.cause = std::move(read.cause);
            co_return;
        }
        event.kind = request_event_kind::answered;
        event.status = answer.status;
        event.reusable = read.reusable;
        if (read.keep_alive_timeout)
        {
            // Retired a little before the server's own timer fires, so that a request never
            // races the server's close.
            const auto keep = std::chrono::duration_cast<clock::duration>(*read.keep_alive_timeout);
            state.conn->retire_at = clock::now() + std::max(keep - std::chrono::seconds(1), keep / 2);
        }
        if (retry_worthy(answer.status))
        {
            event.retry_after = parse_retry_after(find_header(answer.headers, "Retry-After"));
            event.time_left = op.time_left();
            event.jitter = jitter();
        }
        if (state.authorized && answer.status != 401)
            tokens_->accepted(state.generation);
        co_return;
    }

    default: co_return;
    }
}

error_code request_driver::abandon(const http_request& request, error_code ec, diagnostics& diag,
                                   clock::duration elapsed)
{
    request_action never_started;
    never_started.ec = ec;
    return complete(request, never_started, http_result(), diag, std::string(), 0, 0, elapsed);
}

error_code request_driver::complete(const http_request& request, const request_action& action,
                                    const http_result& answer, diagnostics& diag, std::string cause, unsigned attempts,
                                    std::uint64_t bytes_sent, clock::duration elapsed)
{
    const error_code ec = action.ec;
    if (ec && action.answered)
    {
        diag.http_status = answer.status;
        diag.server_message = server_message(answer.body);
    }
    else if (ec && diag.client_message.empty() && diag.server_message.empty())
    {
        if (ec == error::outcome_unknown)
            diag.client_message =
                "the request was sent but its answer was lost" + (cause.empty() ? std::string() : ": " + cause);
        else
            diag.client_message = std::move(cause);
    }
    if (ec)
    {
        diag.method = std::string(request.method);
        diag.path = std::string(request.target);
    }
    if (request.authorized)
        observer_.bump(observer_.requests);
    if (request.authorized && observer_.has_hook())
    {
        session_event done{event_kind::request_completed};
        done.ec = ec;
        done.method = request.method;
        done.path = path_only(request.target);
        done.status = action.answered ? answer.status : 0;
        done.attempts = attempts;
        done.elapsed = elapsed;
        done.bytes_sent = bytes_sent;
        done.bytes_received = action.answered ? answer.body.size() : 0;
        observer_.emit(done);
    }
    return ec;
}

}  // namespace vovrest::detail
