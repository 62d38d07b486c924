#include <vovrest/detail/backoff.hpp>
#include <vovrest/detail/request_fsm.hpp>
#include <vovrest/detail/wire_format.hpp>
#include <vovrest/error.hpp>

#include <boost/asio/error.hpp>

#include <algorithm>

namespace vovrest::detail {
namespace {

using duration = std::chrono::steady_clock::duration;

// A kept-alive connection found closed before writing costs nothing but another try; after this
// many in one request, the pool is not trusted to hold a live one and a new one is opened.
constexpr unsigned stale_before_fresh = 2;
// A request that never left (a write of no byte) is tried again this many times at most.
constexpr unsigned max_unsent_retries = 2;

bool unavailable(unsigned status) noexcept
{
    return status == 429 || status == 502 || status == 503 || status == 504;
}

bool interrupted(const boost::system::error_code& ec) noexcept
{
    return ec == boost::asio::error::operation_aborted || ec == error::timeout;
}

}  // namespace

request_action request_fsm::resume(const request_event& event) noexcept
{
    using kind = request_event_kind;
    switch (event.kind)
    {
    case kind::start:
        // No token at all (first use): wait before queueing for a connection, which the token
        // request itself may need.
        if (traits_.authorized && !event.token_usable)
            return wait_for_token();
        return acquire();

    case kind::token_ready: waited_ = true; return acquire();
    case kind::token_failed: return fail(event.ec);

    case kind::connection_reused: reused_ = true; return take_connection(waited_);
    case kind::connection_slot:
        reused_ = false;
        phase_ = phase::connecting;
        return request_action{.step = request_step::connect, .deadline = step_deadline::connect};
    case kind::pool_full:
        // Queueing with no token to send would only pass the connection on once one is free: wait
        // for the renewal first (a token waited for is sent as it is).
        if (traits_.authorized && !event.token_usable && !waited_)
            return wait_for_token();
        phase_ = phase::queued;
        return request_action{
            .step = request_step::queue_for_connection, .deadline = step_deadline::none, .fresh = want_fresh_};
    case kind::acquire_failed: return fail(event.ec);

    case kind::connected: return take_connection(waited_);
    case kind::connect_failed:
        if (event.ec == error::connection_failed && traits_.policy.retry_connect_failures)
            return retry_later(event, std::nullopt, release_as::close, fail(event.ec, release_as::close));
        return fail(event.ec, release_as::close);

    case kind::token_attached:
        waited_ = false;  // a retry takes the token current then
        phase_ = phase::writing;
        return request_action{.step = request_step::write, .deadline = step_deadline::request};
    case kind::no_token:
        // The connection goes back unused, parked: the requests queued for one would find no token
        // either, and passing it from one to the next would wake every one of them once for
        // nothing. The token request still takes it; the queue moves again after the renewal.
        waited_ = false;
        phase_ = phase::waiting_for_token;
        return request_action{
            .step = request_step::wait_for_token, .release = release_as::park, .deadline = step_deadline::none};

    case kind::stale:
        // Closed by the server (or spoken on) while idle: nothing was written, so any method goes again.
        want_fresh_ = ++stale_drops_ >= stale_before_fresh;
        return request_action{.step = request_step::acquire_connection,
                              .release = release_as::close,
                              .deadline = step_deadline::none,
                              .fresh = want_fresh_};

    case kind::written:
        ++attempts_;
        phase_ = phase::reading;
        return request_action{.step = request_step::read, .deadline = step_deadline::keep};
    case kind::write_failed:
        if (event.bytes_sent)
            ++attempts_;
        return after_transport_failure(event.ec, event.bytes_sent);
    case kind::read_failed: return after_transport_failure(event.ec, true);
    case kind::answered: return after_answer(event);

    case kind::unauthorized_reported:
        replayed_ = true;
        waited_ = false;
        if (traits_.authorized && !event.token_usable)
            return wait_for_token();
        return acquire();

    case kind::backoff_elapsed: return acquire();
    }
    return fail(error::bad_response);
}

request_action request_fsm::acquire() noexcept
{
    phase_ = phase::acquiring;
    return request_action{
        .step = request_step::acquire_connection, .deadline = step_deadline::none, .fresh = want_fresh_};
}

request_action request_fsm::wait_for_token() noexcept
{
    phase_ = phase::waiting_for_token;
    return request_action{.step = request_step::wait_for_token, .deadline = step_deadline::none};
}

request_action request_fsm::take_connection(bool token_waited_for) noexcept
{
    if (!traits_.authorized)
    {
        phase_ = phase::writing;
        return request_action{.step = request_step::write, .deadline = step_deadline::request};
    }
    phase_ = phase::attaching;
    return request_action{.step = request_step::attach_token, .use_waited_token = token_waited_for};
}

request_action request_fsm::fail(boost::system::error_code ec, release_as release) noexcept
{
    return finish(ec, false, release);
}

request_action request_fsm::finish(boost::system::error_code ec, bool answered, release_as release) noexcept
{
    phase_ = phase::finished;
    return request_action{.step = request_step::done, .release = release, .answered = answered, .ec = ec};
}

request_action request_fsm::after_transport_failure(boost::system::error_code ec, bool reached_server) noexcept
{
    const bool on_reused = reused_;
    if (on_reused)
        want_fresh_ = true;  // another idle connection may be stale as well
    if (interrupted(ec))
    {
        // A deadline or the caller ended the step: the caller has its answer. A request that
        // cannot be repeated and may have been carried out says so.
        if (ec == error::timeout && reached_server && !traits_.idempotent)
            return fail(error::outcome_unknown, release_as::close);
        return fail(ec, release_as::close);
    }
    if (!reached_server)
    {
        if (ec == error::connection_failed && unsent_retries_ < max_unsent_retries)
        {
            ++unsent_retries_;
            return request_action{.step = request_step::acquire_connection,
                                  .release = release_as::close,
                                  .deadline = step_deadline::none,
                                  .fresh = want_fresh_,
                                  .retry = true};
        }
        return fail(ec, release_as::close);
    }
    if (!traits_.idempotent)
    {
        // Its bytes left: the server may have carried it out. Never sent again, so that nothing
        // (a job above all) is done twice; an unreadable answer is no answer either.
        return fail(error::outcome_unknown, release_as::close);
    }
    if (ec == error::connection_failed && !resent_after_bytes_)
    {
        resent_after_bytes_ = true;
        want_fresh_ = true;
        return request_action{.step = request_step::acquire_connection,
                              .release = release_as::close,
                              .deadline = step_deadline::none,
                              .fresh = true,
                              .retry = true};
    }
    return fail(ec, release_as::close);
}

request_action request_fsm::after_answer(const request_event& event) noexcept
{
    const release_as release = event.reusable ? release_as::reuse : release_as::close;
    const unsigned status = event.status;
    if (status >= 200 && status < 300)
        return finish({}, true, release);
    if (status == 401 && traits_.authorized && !replayed_)
    {
        // Tied to the token sent: the pipeline renews only if it is still the current one.
        phase_ = phase::reporting;
        return request_action{.step = request_step::report_unauthorized, .release = release};
    }
    const request_action answer = finish(error_for_status(status), true, release);
    if (unavailable(status) && traits_.idempotent && traits_.policy.retry_unavailable)
    {
        if (event.retry_after && *event.retry_after > traits_.policy.max_retry_after)
            return answer;  // the server asks for a longer wait than the caller allows
        return retry_later(event, event.retry_after, release, answer);
    }
    return answer;
}

request_action request_fsm::retry_later(const request_event& event, std::optional<duration> asked, release_as release,
                                        const request_action& otherwise) noexcept
{
    const retry_policy& policy = traits_.policy;
    if (retries_ + 1 >= std::max(policy.max_attempts, 1u))
        return otherwise;
    const duration delay = backoff_delay(policy.initial_backoff, policy.max_backoff, retries_ + 1, event.jitter, asked);
    if (event.time_left && delay >= *event.time_left)
        return otherwise;  // the operation's deadline would pass first: the caller gets the failure now
    ++retries_;
    phase_ = phase::backing_off;
    return request_action{.step = request_step::backoff,
                          .release = release,
                          .deadline = step_deadline::none,
                          .retry = true,
                          .delay = delay};
}

}  // namespace vovrest::detail
