#include <vovrest/detail/token_state_machine.hpp>

#include <vovrest/detail/backoff.hpp>
#include <vovrest/detail/jwt_payload.hpp>
#include <vovrest/error.hpp>

#include <boost/asio/error.hpp>

#include <algorithm>
#include <cmath>
#include <random>

namespace vovrest::detail {
namespace {

using duration = std::chrono::steady_clock::duration;

// A JWT NumericDate → nanoseconds since the epoch, exact for whole seconds; clamped (to about
// ±126 years around 1970) so that nonsense claims cannot overflow the arithmetic.
std::chrono::nanoseconds claim_to_ns(double seconds) noexcept
{
    seconds = std::isfinite(seconds) ? std::clamp(seconds, -4e9, 4e9) : 0.0;
    const double whole = std::floor(seconds);
    return std::chrono::seconds(static_cast<std::int64_t>(whole))
           + std::chrono::nanoseconds(std::llround((seconds - whole) * 1e9));
}

duration scale(duration d, double factor) noexcept
{
    return std::chrono::duration_cast<duration>(
        std::chrono::duration<double, duration::period>(static_cast<double>(d.count()) * factor));
}

double clamp01(double x) noexcept
{
    return std::isfinite(x) ? std::clamp(x, 0.0, 1.0) : 0.0;
}

}  // namespace

jitter_source make_random_jitter()
{
    std::uint64_t seed = 0x9E3779B97F4A7C15ull;
    try
    {
        std::random_device device;
        seed ^= (static_cast<std::uint64_t>(device()) << 32) | device();
    }
    catch (...)
    {
        seed ^= static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    }
    return
        [engine = std::mt19937_64(seed)]() mutable { return std::uniform_real_distribution<double>(0.0, 1.0)(engine); };
}

token_timing compute_token_timing(const token_params& params, std::string_view access_token,
                                  std::optional<std::chrono::seconds> expires_in, steady_time now, wall_time wall,
                                  double jitter)
{
    std::optional<duration> remaining;  // from `now` to the token's death
    duration lifetime{};                // its whole life, for the window sizes
    if (expires_in)
    {
        remaining = *expires_in;
        lifetime = *expires_in;
    }
    else if (const auto payload = decode_jwt_payload(access_token); payload && payload->exp)
    {
        // Integer nanoseconds since the epoch, so that whole-second claims stay exact.
        const auto wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wall.time_since_epoch());
        const auto exp = claim_to_ns(*payload->exp);
        if (payload->iat && exp > claim_to_ns(*payload->iat))
        {
            const auto iat = claim_to_ns(*payload->iat);
            const auto skew = iat > wall_ns ? iat - wall_ns : wall_ns - iat;
            // Agreeing clocks: exp against the wall clock, which also catches whole-second
            // truncation of iat. Disagreeing: the lifetime the server meant, from receipt.
            remaining =
                std::chrono::duration_cast<duration>(skew <= params.clock_agreement ? exp - wall_ns : exp - iat);
            lifetime = std::chrono::duration_cast<duration>(exp - iat);
        }
        else if (!payload->iat && exp > wall_ns)
        {
            // No iat to check the clocks with: exp against the wall clock, unless that says the
            // token is already dead (then the clock is wrong and the expiry counts as unknown).
            remaining = std::chrono::duration_cast<duration>(exp - wall_ns);
            lifetime = *remaining;
        }
    }

    token_timing timing;
    if (remaining)
    {
        const steady_time expires = now + *remaining;
        const duration hard_len = std::min(scale(lifetime, clamp01(params.hard_fraction)), params.hard_max);
        const duration soft_len = std::min(scale(lifetime, clamp01(params.soft_fraction)), params.soft_max);
        const duration early = scale(soft_len, clamp01(params.jitter_fraction) * clamp01(jitter));
        timing.expires = expires;
        timing.hard_at = expires - std::max(hard_len, duration::zero());
        timing.soft_at = std::min(expires - std::max(soft_len, duration::zero()) - early, timing.hard_at);
    }
    else if (params.max_token_age)
    {
        // Expiry unknown: a background renewal once the token is this old; it is never held back
        // (a 401 says when it is dead).
        timing.soft_at = now + *params.max_token_age;
    }
    return timing;
}

failure_kind classify_failure(const boost::system::error_code& ec) noexcept
{
    if (ec == error::authentication_failed)
        return failure_kind::authentication;
    if (ec.category() == error_category())
    {
        switch (static_cast<error>(ec.value()))
        {
        case error::connection_failed:
        case error::timeout:
        case error::server_error:
        case error::rate_limited:
        case error::bad_response:
        case error::outcome_unknown: return failure_kind::transient;
        default: return failure_kind::fatal;
        }
    }
    // Errors of other categories come from the network layer (refused, reset, host not found).
    if (ec == boost::asio::error::operation_aborted)
        return failure_kind::fatal;
    return failure_kind::transient;
}

token_state_machine::token_state_machine(const token_params& params, jitter_source jitter)
    : params_(params), jitter_(jitter ? std::move(jitter) : make_random_jitter())
{
    if (params_.max_attempts == 0)
        params_.max_attempts = 1;
}

steady_time token_state_machine::kick_time() const noexcept
{
    if (!token_ || closed_ || phase_ != phase::idle)
        return steady_time::max();
    steady_time t = std::max(token_->soft_at, cooldown_until_);
    if (failure_until_)
        t = std::max(t, *failure_until_);
    return t;
}

bool token_state_machine::failure_remembered(steady_time now) const noexcept
{
    return failure_until_ && now < *failure_until_;
}

acquire_decision token_state_machine::acquire(steady_time now, token_actions& out)
{
    if (closed_)
        return {acquire_status::failed, error::session_closed, {}};
    if (usable(now))
    {
        soft_kick(now, out);
        return {acquire_status::ready, {}, {}};
    }
    if (failure_remembered(now))
        return {acquire_status::failed, failure_ec_, failure_diag_};
    if (held(now))
        return {acquire_status::failed, error::unauthorized, hold_diag_};
    if (phase_ == phase::idle)
        start_renewal(now, renewal_reason::forced, out);
    return {acquire_status::wait, {}, {}};
}

void token_state_machine::soft_kick(steady_time now, token_actions& out)
{
    if (closed_ || !token_ || phase_ != phase::idle || now < kick_time())
        return;
    start_renewal(now, usable(now) ? renewal_reason::proactive : renewal_reason::forced, out);
}

void token_state_machine::accepted(std::uint64_t generation) noexcept
{
    if (token_ && token_->generation == generation)
    {
        token_->accepted = true;
        refused_unaccepted_ = 0;
    }
}

void token_state_machine::unauthorized(steady_time now, std::uint64_t generation, std::string_view server_text,
                                       token_actions& out)
{
    if (closed_ || !token_ || token_->generation != generation)
        return;  // an older token was refused: the current one is newer, just use it
    const bool was_accepted = token_->accepted;
    token_.reset();
    out.publish = true;
    out.unauthorized_generation = generation;
    refused_unaccepted_ = was_accepted ? 0 : refused_unaccepted_ + 1;
    if (refused_unaccepted_ >= 2)
    {
        // A fresh token refused as well: the server refuses whatever it is sent. Renewing again
        // now would only send the password again; hold off, and tell callers why meanwhile.
        duration hold = params_.hold_initial;
        for (unsigned i = 2; i < refused_unaccepted_ && hold < params_.hold_max; ++i)
            hold *= 2;
        hold_until_ = now + std::min(hold, params_.hold_max);
        hold_diag_.clear();
        hold_diag_.http_status = 401;
        hold_diag_.server_message = std::string(server_text);
        hold_diag_.client_message = "the server refused a token it had just issued; no new token is asked for "
                                    "before the hold ends";
        out.waiters = waiters_outcome::fail;
        out.ec = error::unauthorized;
        out.diag = hold_diag_;
        return;
    }
    if (phase_ == phase::idle && !failure_remembered(now))
    {
        out.unauthorized_renewal = true;
        start_renewal(now, renewal_reason::on_401, out);
    }
}

void token_state_machine::fetch_completed(steady_time now, wall_time wall, const token_fetch_result& result,
                                          token_actions& out)
{
    if (closed_ || phase_ != phase::fetching)
        return;
    boost::system::error_code ec = result.ec;
    diagnostics diag = result.diag;
    if (!ec && result.grant.access_token.empty())
    {
        ec = error::bad_response;
        diag.server_message = "the token response carried no access_token";
    }
    if (!ec)
    {
        phase_ = phase::idle;
        attempts_ = 0;
        cooldown_until_ = {};
        install(now, wall, result.grant.token_type, result.grant.access_token, result.grant.expires_in, out);
        out.fetched = fetch_outcome::succeeded;
        return;
    }

    out.ec = ec;
    out.diag = std::move(diag);
    const failure_kind kind = classify_failure(ec);
    if (kind == failure_kind::transient && attempts_ < params_.max_attempts)
    {
        const duration delay = next_backoff(attempts_, result.retry_after);
        // Another attempt only if it can still start before the renewal's deadline.
        if (now + delay < renewal_started_ + params_.renewal_deadline)
        {
            phase_ = phase::backing_off;
            out.fetched = fetch_outcome::retry;
            out.backoff = delay;
            return;
        }
    }

    phase_ = phase::idle;
    attempts_ = 0;
    out.fetched = fetch_outcome::failed;
    out.waiters = waiters_outcome::fail;
    if (kind == failure_kind::authentication)
    {
        failure_until_ = now + params_.failure_memory;
        failure_ec_ = out.ec;
        failure_diag_ = out.diag;
    }
    else
    {
        // Do not start the next proactive renewal at once: the fast path would hammer.
        cooldown_until_ = now + params_.backoff_max;
    }
}

void token_state_machine::backoff_elapsed(steady_time now, token_actions& out)
{
    if (closed_ || phase_ != phase::backing_off)
        return;
    ++attempts_;
    fetch_now(now, out);
}

void token_state_machine::set_token(steady_time now, wall_time wall, std::string_view token_type,
                                    std::string_view access_token, token_actions& out)
{
    if (closed_ || access_token.empty())
        return;
    install(now, wall, token_type, access_token, std::nullopt, out);
}

void token_state_machine::shutdown(token_actions& out)
{
    if (closed_)
        return;
    closed_ = true;
    token_.reset();
    out.cancel_io = phase_ != phase::idle;  // nothing in flight: the executor is not touched
    phase_ = phase::idle;
    attempts_ = 0;
    out.publish = true;
    out.waiters = waiters_outcome::fail;
    out.ec = error::session_closed;
}

void token_state_machine::start_renewal(steady_time now, renewal_reason reason, token_actions& out)
{
    attempts_ = 1;
    renewal_started_ = now;
    hold_until_.reset();
    out.started = reason;
    fetch_now(now, out);
}

void token_state_machine::fetch_now(steady_time now, token_actions& out)
{
    phase_ = phase::fetching;
    out.fetch = true;
    const duration left = renewal_started_ + params_.renewal_deadline - now;
    out.fetch_timeout = std::max(std::min(params_.renewal_timeout, left), duration(std::chrono::milliseconds(1)));
}

void token_state_machine::install(steady_time now, wall_time wall, std::string_view token_type,
                                  std::string_view access_token, std::optional<std::chrono::seconds> expires_in,
                                  token_actions& out)
{
    if (token_type.empty())
        token_type = "Bearer";
    const token_timing timing = compute_token_timing(params_, access_token, expires_in, now, wall, jitter_());
    installed_token t;
    t.generation = ++generation_;
    t.authorization.reserve(token_type.size() + 1 + access_token.size());
    t.authorization.append(token_type).append(1, ':').append(access_token);
    t.received = now;
    t.expires = timing.expires;
    t.soft_at = timing.soft_at;
    t.hard_at = timing.hard_at;
    // A renewal that did not push the expiry out (the server issued a token of the same whole
    // second: iat=100, exp=101 received at 100.95) cannot be bettered by renewing again before
    // that second is over: without this, every request would start another token request until
    // the clock ticks. Such a token is used until it dies; then callers wait (or a 401 renews).
    constexpr auto no_gain = std::chrono::milliseconds(10);
    if (token_ && token_->expires && t.expires && *t.expires <= *token_->expires + no_gain)
    {
        t.soft_at = *t.expires;
        t.hard_at = *t.expires;
    }
    token_ = std::move(t);
    failure_until_.reset();
    failure_ec_ = {};
    failure_diag_.clear();
    out.publish = true;
    out.waiters = waiters_outcome::release;
}

duration token_state_machine::next_backoff(unsigned failures, std::optional<duration> retry_after)
{
    // The server's word wins, even beyond backoff_max.
    return backoff_delay(params_.backoff_initial, params_.backoff_max, failures, jitter_(), retry_after);
}

}  // namespace vovrest::detail
