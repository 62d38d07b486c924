// The token policy stepped by hand: a fake steady clock, a fake wall clock, fixed jitter.
#include <vovrest/detail/token_state_machine.hpp>
#include <vovrest/error.hpp>

#include "token_test_support.hpp"

#include <boost/asio/error.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace std::chrono_literals;
using namespace vovrest::detail;
using vovrest::error;
using vovrest::test::make_jwt;

constexpr double wall_seconds = 1700000000.0;

class token_state_machine_test : public ::testing::Test
{
protected:
    token_state_machine_test()
    {
        params.soft_fraction = 0.25;
        params.soft_max = 5min;
        params.hard_fraction = 0.10;
        params.hard_max = 30s;
        params.jitter_fraction = 0.10;
        params.failure_memory = 2s;
        params.backoff_initial = 100ms;
        params.backoff_max = 10s;
        params.max_attempts = 6;
        params.renewal_timeout = 30s;
        params.clock_agreement = 5s;
    }

    token_state_machine& machine()
    {
        if (!machine_)
            machine_.emplace(params, [this] { return jitter; });
        return *machine_;
    }

    static wall_time wall_at(std::chrono::nanoseconds after_base)
    {
        return wall_time(std::chrono::duration_cast<wall_time::duration>(
            std::chrono::seconds(static_cast<std::int64_t>(wall_seconds)) + after_base));
    }
    wall_time wall() const { return wall_at(now - t0); }

    static token_fetch_result success(std::string access_token, std::optional<std::chrono::seconds> expires_in = {})
    {
        token_fetch_result r;
        r.grant.token_type = "Bearer";
        r.grant.access_token = std::move(access_token);
        r.grant.expires_in = expires_in;
        return r;
    }
    static token_fetch_result failure(error e, std::string text = {},
                                      std::optional<std::chrono::steady_clock::duration> retry_after = {})
    {
        token_fetch_result r;
        r.ec = e;
        r.diag.http_status = e == error::authentication_failed ? 401 : 503;
        r.diag.server_message = std::move(text);
        r.retry_after = retry_after;
        return r;
    }

    // A one-hour token issued now (clocks agree).
    std::string hour_token() const
    {
        const double w =
            static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(wall().time_since_epoch()).count());
        return make_jwt(w, w + 3600);
    }

    // Gets a first token through a forced renewal.
    void install_first(const std::string& token)
    {
        token_actions a;
        ASSERT_EQ(machine().acquire(now, a).status, acquire_status::wait);
        ASSERT_TRUE(a.fetch);
        token_actions b;
        machine().fetch_completed(now, wall(), success(token), b);
        ASSERT_EQ(b.waiters, waiters_outcome::release);
    }

    vovrest::token_params params;
    double jitter = 0.0;
    const steady_time t0 = steady_time{} + 1000s;
    steady_time now = t0;
    std::optional<token_state_machine> machine_;
};

TEST_F(token_state_machine_test, no_token_renewal_success_releases_waiters)
{
    token_actions a1;
    EXPECT_EQ(machine().acquire(now, a1).status, acquire_status::wait);
    EXPECT_TRUE(a1.fetch);
    EXPECT_EQ(a1.started, renewal_reason::forced);
    EXPECT_TRUE(machine().renewing());
    EXPECT_EQ(machine().kick_time(), steady_time::max());

    // Single flight: more callers wait on the same renewal.
    token_actions a2;
    EXPECT_EQ(machine().acquire(now, a2).status, acquire_status::wait);
    EXPECT_FALSE(a2.fetch);
    EXPECT_EQ(a2.started, renewal_reason::none);

    now += 50ms;
    const std::string jwt = hour_token();
    token_actions done;
    machine().fetch_completed(now, wall(), success(jwt), done);
    EXPECT_EQ(done.waiters, waiters_outcome::release);
    EXPECT_EQ(done.fetched, fetch_outcome::succeeded);
    EXPECT_TRUE(done.publish);
    EXPECT_FALSE(done.fetch);
    EXPECT_FALSE(machine().renewing());
    ASSERT_NE(machine().token(), nullptr);
    EXPECT_EQ(machine().token()->generation, 1u);
    EXPECT_EQ(machine().token()->authorization, "Bearer:" + jwt);

    token_actions a3;
    EXPECT_EQ(machine().acquire(now, a3).status, acquire_status::ready);
    EXPECT_FALSE(a3.fetch);
}

TEST_F(token_state_machine_test, empty_token_type_defaults_to_bearer)
{
    token_actions a;
    machine().set_token(now, wall(), "", "abc", a);
    EXPECT_EQ(machine().token()->authorization, "Bearer:abc");
    token_actions b;
    machine().set_token(now, wall(), "JWT", "xyz", b);
    EXPECT_EQ(machine().token()->authorization, "JWT:xyz");
}

TEST_F(token_state_machine_test, expiry_from_exp_when_clocks_agree)
{
    // iat is 2 s behind our wall clock (within clock_agreement): exp is trusted against it.
    const std::string jwt = make_jwt(wall_seconds - 2, wall_seconds - 2 + 3600);
    install_first(jwt);
    const installed_token& t = *machine().token();
    ASSERT_TRUE(t.expires);
    EXPECT_EQ(*t.expires, now + 3598s);
    EXPECT_EQ(t.hard_at, *t.expires - 30s);   // 10 % of 1 h = 360 s, capped at 30 s
    EXPECT_EQ(t.soft_at, *t.expires - 300s);  // 25 % of 1 h = 900 s, capped at 5 min; jitter 0
}

TEST_F(token_state_machine_test, expiry_from_lifetime_when_clocks_disagree)
{
    // The local wall clock is 10 minutes ahead of the server's: use exp - iat from receipt.
    const std::string jwt = make_jwt(wall_seconds - 600, wall_seconds - 600 + 3600);
    install_first(jwt);
    const installed_token& t = *machine().token();
    ASSERT_TRUE(t.expires);
    EXPECT_EQ(*t.expires, now + 3600s);
    EXPECT_EQ(t.hard_at, now + 3570s);
}

TEST_F(token_state_machine_test, whole_second_claims_expire_on_time)
{
    // Issued at 100.9 with a 1 s lifetime: iat=100, exp=101, dead 0.1 s after receipt.
    const wall_time w = wall_at(900ms);
    token_actions a;
    machine().set_token(now, w, "Bearer", make_jwt(wall_seconds, wall_seconds + 1), a);
    const installed_token& t = *machine().token();
    ASSERT_TRUE(t.expires);
    EXPECT_EQ(*t.expires, now + 100ms);
    EXPECT_EQ(t.hard_at, now);  // hard window = 10 % of 1 s = the 0.1 s left
    EXPECT_FALSE(machine().usable(now));
}

TEST_F(token_state_machine_test, renewal_that_cannot_extend_the_expiry_is_not_repeated)
{
    // 100.9: the token of second 100 has 0.1 s left and is in its hard window at once.
    const wall_time w = wall_at(900ms);
    token_actions a;
    machine().set_token(now, w, "Bearer", make_jwt(wall_seconds, wall_seconds + 1), a);
    ASSERT_FALSE(machine().usable(now));
    // The renewal it causes gets a token of the same second: same expiry, nothing gained.
    token_actions b;
    ASSERT_EQ(machine().acquire(now + 1ms, b).status, acquire_status::wait);
    ASSERT_TRUE(b.fetch);
    token_actions c;
    machine().fetch_completed(now + 2ms, w + 2ms, success(make_jwt(wall_seconds, wall_seconds + 1)), c);
    ASSERT_EQ(c.waiters, waiters_outcome::release);
    // Used as it is until it dies, with no further renewal: no stampede within the second.
    token_actions d;
    EXPECT_EQ(machine().acquire(now + 50ms, d).status, acquire_status::ready);
    EXPECT_FALSE(d.fetch);
    EXPECT_EQ(d.started, renewal_reason::none);
    // Once dead, the next caller renews (and gets the next second's token).
    token_actions e;
    EXPECT_EQ(machine().acquire(now + 100ms, e).status, acquire_status::wait);
    EXPECT_TRUE(e.fetch);
}

TEST_F(token_state_machine_test, exp_without_iat_uses_the_wall_clock)
{
    token_actions a;
    machine().set_token(now, wall(), "Bearer", make_jwt(std::nullopt, wall_seconds + 600), a);
    ASSERT_TRUE(machine().token()->expires);
    EXPECT_EQ(*machine().token()->expires, now + 600s);

    // Already past by our clock: the clock is wrong, expiry counts as unknown.
    token_actions b;
    machine().set_token(now, wall(), "Bearer", make_jwt(std::nullopt, wall_seconds - 600), b);
    EXPECT_FALSE(machine().token()->expires);
    EXPECT_TRUE(machine().usable(now + 24h));
}

TEST_F(token_state_machine_test, expires_in_wins_over_the_payload)
{
    token_actions a;
    ASSERT_EQ(machine().acquire(now, a).status, acquire_status::wait);
    token_actions b;
    machine().fetch_completed(now, wall(), success(hour_token(), 60s), b);
    const installed_token& t = *machine().token();
    EXPECT_EQ(*t.expires, now + 60s);
    EXPECT_EQ(t.hard_at, now + 54s);  // 10 % of 60 s
    EXPECT_EQ(t.soft_at, now + 45s);  // 25 % of 60 s
}

TEST_F(token_state_machine_test, jitter_moves_the_soft_window_earlier)
{
    jitter = 0.5;
    install_first(make_jwt(wall_seconds, wall_seconds + 3600));
    const installed_token& t = *machine().token();
    // soft window 300 s; jitter_fraction 10 % of it, times 0.5 = 15 s earlier.
    EXPECT_EQ(t.soft_at, *t.expires - 315s);
}

TEST_F(token_state_machine_test, unknown_expiry_renews_only_on_401)
{
    install_first("opaque-not-a-jwt");
    const installed_token& t = *machine().token();
    EXPECT_FALSE(t.expires);
    EXPECT_EQ(t.soft_at, steady_time::max());
    EXPECT_EQ(t.hard_at, steady_time::max());
    now += 1000h;
    token_actions a;
    EXPECT_EQ(machine().acquire(now, a).status, acquire_status::ready);
    EXPECT_FALSE(a.fetch);
}

TEST_F(token_state_machine_test, unknown_expiry_with_max_token_age)
{
    params.max_token_age = 10min;
    install_first("opaque-not-a-jwt");
    EXPECT_EQ(machine().token()->soft_at, now + 10min);
    EXPECT_EQ(machine().kick_time(), now + 10min);

    now += 10min - 1ms;
    token_actions a;
    EXPECT_EQ(machine().acquire(now, a).status, acquire_status::ready);
    EXPECT_FALSE(a.fetch);

    now += 1ms;
    token_actions b;
    EXPECT_EQ(machine().acquire(now, b).status, acquire_status::ready);  // still used
    EXPECT_TRUE(b.fetch);
    EXPECT_EQ(b.started, renewal_reason::proactive);
}

TEST_F(token_state_machine_test, soft_window_starts_one_proactive_renewal_nobody_waits)
{
    install_first(hour_token());
    const steady_time soft_at = machine().token()->soft_at;
    EXPECT_EQ(machine().kick_time(), soft_at);

    token_actions early;
    now = soft_at - 1ms;
    machine().soft_kick(now, early);
    EXPECT_FALSE(early.fetch);

    now = soft_at;
    token_actions kick;
    machine().soft_kick(now, kick);
    EXPECT_TRUE(kick.fetch);
    EXPECT_EQ(kick.started, renewal_reason::proactive);
    EXPECT_EQ(machine().kick_time(), steady_time::max());

    // Callers keep using the token, nobody waits, no second renewal.
    for (int i = 0; i < 3; ++i)
    {
        token_actions a;
        EXPECT_EQ(machine().acquire(now, a).status, acquire_status::ready);
        EXPECT_FALSE(a.fetch);
        token_actions k;
        machine().soft_kick(now, k);
        EXPECT_FALSE(k.fetch);
    }

    token_actions done;
    machine().fetch_completed(now, wall(), success(hour_token()), done);
    EXPECT_EQ(machine().token()->generation, 2u);
    EXPECT_GT(machine().kick_time(), now);
}

TEST_F(token_state_machine_test, hard_window_makes_callers_wait)
{
    install_first(hour_token());
    const steady_time hard_at = machine().token()->hard_at;

    // A proactive renewal is in flight when the hard window begins: join it.
    now = machine().token()->soft_at;
    token_actions kick;
    machine().soft_kick(now, kick);
    ASSERT_TRUE(kick.fetch);
    now = hard_at;
    EXPECT_FALSE(machine().usable(now));
    token_actions a;
    EXPECT_EQ(machine().acquire(now, a).status, acquire_status::wait);
    EXPECT_FALSE(a.fetch);

    token_actions done;
    machine().fetch_completed(now, wall(), success(hour_token()), done);
    EXPECT_EQ(done.waiters, waiters_outcome::release);
    EXPECT_TRUE(machine().usable(now));
}

TEST_F(token_state_machine_test, hard_window_without_renewal_starts_one)
{
    install_first(hour_token());
    now = machine().token()->hard_at;
    token_actions a;
    EXPECT_EQ(machine().acquire(now, a).status, acquire_status::wait);
    EXPECT_TRUE(a.fetch);
    EXPECT_EQ(a.started, renewal_reason::forced);
}

TEST_F(token_state_machine_test, unauthorized_on_current_generation_renews_once)
{
    install_first(hour_token());
    token_actions a;
    machine().unauthorized(now, 1, a);
    EXPECT_TRUE(a.publish);
    EXPECT_TRUE(a.fetch);
    EXPECT_TRUE(a.unauthorized_renewal);
    EXPECT_EQ(a.unauthorized_generation, 1u);
    EXPECT_EQ(a.started, renewal_reason::on_401);
    EXPECT_EQ(machine().token(), nullptr);

    // Another request with the same refused token: nothing more.
    token_actions b;
    machine().unauthorized(now, 1, b);
    EXPECT_FALSE(b.fetch);
    EXPECT_FALSE(b.unauthorized_renewal);

    token_actions w;
    EXPECT_EQ(machine().acquire(now, w).status, acquire_status::wait);
    EXPECT_FALSE(w.fetch);

    token_actions done;
    machine().fetch_completed(now, wall(), success(hour_token()), done);
    EXPECT_EQ(machine().token()->generation, 2u);
}

TEST_F(token_state_machine_test, unauthorized_on_old_generation_does_nothing)
{
    install_first(hour_token());
    token_actions a;
    machine().unauthorized(now, 1, a);
    token_actions done;
    machine().fetch_completed(now, wall(), success(hour_token()), done);
    ASSERT_EQ(machine().token()->generation, 2u);

    token_actions late;
    machine().unauthorized(now, 1, late);  // a request that was sent with generation 1
    EXPECT_FALSE(late.fetch);
    EXPECT_FALSE(late.publish);
    EXPECT_NE(machine().token(), nullptr);
    EXPECT_EQ(machine().token()->generation, 2u);
}

TEST_F(token_state_machine_test, unauthorized_during_renewal_invalidates_without_second_fetch)
{
    install_first(hour_token());
    now = machine().token()->soft_at;
    token_actions kick;
    machine().soft_kick(now, kick);
    ASSERT_TRUE(kick.fetch);
    token_actions a;
    machine().unauthorized(now, 1, a);
    EXPECT_TRUE(a.publish);
    EXPECT_FALSE(a.fetch);
    EXPECT_EQ(machine().token(), nullptr);
}

TEST_F(token_state_machine_test, generations_increase_monotonically)
{
    std::uint64_t last = 0;
    for (int i = 0; i < 5; ++i)
    {
        token_actions a;
        machine().set_token(now, wall(), "Bearer", hour_token(), a);
        EXPECT_GT(machine().token()->generation, last);
        last = machine().token()->generation;
        machine().accepted(last);  // in use, then refused (revoked)
        token_actions b;
        machine().unauthorized(now, last, b);
        token_actions c;
        machine().fetch_completed(now, wall(), success(hour_token()), c);
        EXPECT_GT(machine().token()->generation, last);
        last = machine().token()->generation;
    }
}

TEST_F(token_state_machine_test, authentication_failure_is_remembered_then_forgotten)
{
    token_actions a;
    ASSERT_EQ(machine().acquire(now, a).status, acquire_status::wait);
    token_actions failed;
    machine().fetch_completed(now, wall(), failure(error::authentication_failed, "invalid username or password"),
                              failed);
    EXPECT_EQ(failed.waiters, waiters_outcome::fail);
    EXPECT_EQ(failed.fetched, fetch_outcome::failed);
    EXPECT_EQ(failed.ec, error::authentication_failed);
    EXPECT_EQ(failed.diag.server_message, "invalid username or password");
    EXPECT_FALSE(failed.backoff);
    EXPECT_FALSE(machine().renewing());

    // Within failure_memory: fail at once, nothing is sent.
    for (int i = 0; i < 2; ++i)
    {
        now += 900ms;
        token_actions b;
        const acquire_decision d = machine().acquire(now, b);
        EXPECT_EQ(d.status, acquire_status::failed);
        EXPECT_EQ(d.ec, error::authentication_failed);
        EXPECT_EQ(d.diag.server_message, "invalid username or password");
        EXPECT_FALSE(b.fetch);
    }

    now = t0 + 2s;  // failure_memory elapsed
    token_actions c;
    EXPECT_EQ(machine().acquire(now, c).status, acquire_status::wait);
    EXPECT_TRUE(c.fetch);
}

TEST_F(token_state_machine_test, authentication_failure_does_not_retry_an_unauthorized_token)
{
    install_first(hour_token());
    token_actions a;
    machine().unauthorized(now, 1, a);
    token_actions failed;
    machine().fetch_completed(now, wall(), failure(error::authentication_failed, "password expired"), failed);
    token_actions b;
    machine().unauthorized(now, 2, b);
    EXPECT_FALSE(b.fetch);
    token_actions c;
    EXPECT_EQ(machine().acquire(now, c).status, acquire_status::failed);
}

TEST_F(token_state_machine_test, transient_failures_back_off_exponentially_until_max_attempts)
{
    token_actions a;
    ASSERT_EQ(machine().acquire(now, a).status, acquire_status::wait);
    const std::chrono::milliseconds expected[] = {100ms, 200ms, 400ms, 800ms, 1600ms};
    for (const auto delay : expected)
    {
        token_actions f;
        machine().fetch_completed(now, wall(), failure(error::server_error, "busy"), f);
        EXPECT_EQ(f.fetched, fetch_outcome::retry);
        EXPECT_EQ(f.waiters, waiters_outcome::none);  // waiters keep waiting
        ASSERT_TRUE(f.backoff);
        EXPECT_EQ(*f.backoff, delay);
        EXPECT_FALSE(f.fetch);
        EXPECT_TRUE(machine().backing_off());

        // Joining callers wait; nothing new is sent during the backoff.
        token_actions w;
        EXPECT_EQ(machine().acquire(now, w).status, acquire_status::wait);
        EXPECT_FALSE(w.fetch);

        now += delay;
        token_actions t;
        machine().backoff_elapsed(now, t);
        EXPECT_TRUE(t.fetch);
        EXPECT_EQ(t.started, renewal_reason::none);
    }
    EXPECT_EQ(machine().attempts(), 6u);
    token_actions last;
    machine().fetch_completed(now, wall(), failure(error::connection_failed), last);
    EXPECT_EQ(last.fetched, fetch_outcome::failed);
    EXPECT_EQ(last.waiters, waiters_outcome::fail);
    EXPECT_EQ(last.ec, error::connection_failed);
    EXPECT_FALSE(last.backoff);
    EXPECT_FALSE(machine().renewing());

    // A transient failure is not remembered: the next caller starts a new renewal.
    token_actions again;
    EXPECT_EQ(machine().acquire(now, again).status, acquire_status::wait);
    EXPECT_TRUE(again.fetch);
}

TEST_F(token_state_machine_test, backoff_is_capped_jittered_and_honours_retry_after)
{
    params.backoff_max = 300ms;
    jitter = 0.5;  // takes a quarter off
    token_actions a;
    machine().acquire(now, a);
    const std::chrono::milliseconds expected[] = {75ms, 150ms, 225ms, 225ms};
    for (const auto delay : expected)
    {
        token_actions f;
        machine().fetch_completed(now, wall(), failure(error::timeout), f);
        ASSERT_TRUE(f.backoff);
        EXPECT_EQ(*f.backoff, delay);
        token_actions t;
        machine().backoff_elapsed(now, t);
    }
    // Retry-After wins, even beyond backoff_max.
    token_actions r;
    machine().fetch_completed(now, wall(), failure(error::rate_limited, "slow down", 3s), r);
    ASSERT_TRUE(r.backoff);
    EXPECT_EQ(*r.backoff, 3s);
}

TEST_F(token_state_machine_test, old_token_stays_in_use_while_renewal_fails_transiently)
{
    install_first(hour_token());
    const installed_token before = *machine().token();
    now = before.soft_at;
    token_actions kick;
    machine().soft_kick(now, kick);
    ASSERT_TRUE(kick.fetch);
    for (unsigned i = 1; i < params.max_attempts; ++i)
    {
        token_actions f;
        machine().fetch_completed(now, wall(), failure(error::server_error), f);
        ASSERT_TRUE(f.backoff);
        token_actions w;
        EXPECT_EQ(machine().acquire(now, w).status, acquire_status::ready);
        now += *f.backoff;
        token_actions t;
        machine().backoff_elapsed(now, t);
    }
    token_actions last;
    machine().fetch_completed(now, wall(), failure(error::server_error), last);
    EXPECT_EQ(last.fetched, fetch_outcome::failed);
    ASSERT_NE(machine().token(), nullptr);
    EXPECT_EQ(machine().token()->generation, before.generation);

    // No proactive renewal again before backoff_max has passed.
    EXPECT_EQ(machine().kick_time(), now + params.backoff_max);
    token_actions k1;
    machine().soft_kick(now, k1);
    EXPECT_FALSE(k1.fetch);
    now += params.backoff_max;
    token_actions k2;
    machine().soft_kick(now, k2);
    EXPECT_TRUE(k2.fetch);
}

TEST_F(token_state_machine_test, fatal_failures_fail_at_once)
{
    token_actions a;
    machine().acquire(now, a);
    token_actions f;
    machine().fetch_completed(now, wall(), failure(error::tls_failed), f);
    EXPECT_EQ(f.fetched, fetch_outcome::failed);
    EXPECT_EQ(f.waiters, waiters_outcome::fail);
    EXPECT_FALSE(f.backoff);
}

TEST_F(token_state_machine_test, success_without_access_token_is_a_bad_response)
{
    token_actions a;
    machine().acquire(now, a);
    token_actions f;
    machine().fetch_completed(now, wall(), success(""), f);
    EXPECT_EQ(f.fetched, fetch_outcome::retry);
    EXPECT_EQ(f.ec, error::bad_response);
}

TEST_F(token_state_machine_test, failure_classification)
{
    EXPECT_EQ(classify_failure(error::authentication_failed), failure_kind::authentication);
    for (const error e :
         {error::connection_failed, error::timeout, error::server_error, error::rate_limited, error::bad_response})
        EXPECT_EQ(classify_failure(e), failure_kind::transient);
    EXPECT_EQ(classify_failure(boost::asio::error::connection_refused), failure_kind::transient);
    EXPECT_EQ(classify_failure(error::tls_failed), failure_kind::fatal);
    EXPECT_EQ(classify_failure(error::no_password), failure_kind::fatal);
    EXPECT_EQ(classify_failure(boost::asio::error::operation_aborted), failure_kind::fatal);
}

TEST_F(token_state_machine_test, a_fresh_token_refused_again_holds_renewals_and_fails_callers)
{
    install_first(hour_token());
    // The first token is refused before the server ever accepted it: one renewal, as usual.
    token_actions a;
    machine().unauthorized(now, 1, "token not valid", a);
    ASSERT_TRUE(a.fetch);
    token_actions b;
    machine().fetch_completed(now, wall(), success(hour_token()), b);
    ASSERT_EQ(machine().token()->generation, 2u);

    // Its successor is refused as well: the server refuses whatever it is sent.
    token_actions c;
    machine().unauthorized(now, 2, "token not valid", c);
    EXPECT_FALSE(c.fetch);
    EXPECT_EQ(c.waiters, waiters_outcome::fail);
    EXPECT_EQ(c.ec, error::unauthorized);
    EXPECT_EQ(c.diag.server_message, "token not valid");
    EXPECT_EQ(c.diag.http_status, 401u);

    // During the hold: callers fail at once with the server's words, nothing is sent.
    now += 14s;
    token_actions d;
    const acquire_decision held = machine().acquire(now, d);
    EXPECT_EQ(held.status, acquire_status::failed);
    EXPECT_EQ(held.ec, error::unauthorized);
    EXPECT_EQ(held.diag.server_message, "token not valid");
    EXPECT_FALSE(d.fetch);

    // After it (hold_initial = 15 s) one renewal; refused again, the next hold is twice as long.
    now += 1s;
    token_actions e;
    EXPECT_EQ(machine().acquire(now, e).status, acquire_status::wait);
    ASSERT_TRUE(e.fetch);
    token_actions f;
    machine().fetch_completed(now, wall(), success(hour_token()), f);
    token_actions g;
    machine().unauthorized(now, 3, "token not valid", g);
    EXPECT_FALSE(g.fetch);
    now += 29s;
    token_actions h;
    EXPECT_EQ(machine().acquire(now, h).status, acquire_status::failed);
    now += 1s;
    token_actions i;
    EXPECT_EQ(machine().acquire(now, i).status, acquire_status::wait);
}

TEST_F(token_state_machine_test, a_token_the_server_accepted_is_renewed_on_401_however_often)
{
    install_first(hour_token());
    for (std::uint64_t generation = 1; generation <= 5; ++generation)
    {
        machine().accepted(generation);  // some request succeeded with it, then it was revoked
        token_actions a;
        machine().unauthorized(now, generation, "revoked", a);
        ASSERT_TRUE(a.fetch) << generation;
        token_actions b;
        machine().fetch_completed(now, wall(), success(hour_token()), b);
    }
}

TEST_F(token_state_machine_test, a_renewal_ends_by_its_deadline_whatever_is_left_of_its_attempts)
{
    params.renewal_timeout = 15s;
    params.renewal_deadline = 30s;
    token_actions a;
    ASSERT_EQ(machine().acquire(now, a).status, acquire_status::wait);
    EXPECT_EQ(a.fetch_timeout, 15s);
    now += 15s;  // the first request timed out
    token_actions b;
    machine().fetch_completed(now, wall(), failure(error::timeout), b);
    ASSERT_TRUE(b.backoff);
    now += *b.backoff;
    token_actions c;
    machine().backoff_elapsed(now, c);
    ASSERT_TRUE(c.fetch);
    EXPECT_EQ(c.fetch_timeout, 30s - 15s - *b.backoff);  // no later than the renewal's deadline
    now = t0 + 30s;
    token_actions d;
    machine().fetch_completed(now, wall(), failure(error::timeout), d);
    EXPECT_EQ(d.fetched, fetch_outcome::failed);
    EXPECT_EQ(d.waiters, waiters_outcome::fail);
    EXPECT_EQ(d.ec, error::timeout);
    EXPECT_EQ(machine().attempts(), 0u);
}

TEST_F(token_state_machine_test, set_token_installs_releases_waiters_and_clears_failure)
{
    token_actions a;
    machine().acquire(now, a);
    token_actions auth;
    machine().fetch_completed(now, wall(), failure(error::authentication_failed, "nope"), auth);

    token_actions s;
    machine().set_token(now, wall(), "Bearer", hour_token(), s);
    EXPECT_TRUE(s.publish);
    EXPECT_EQ(s.waiters, waiters_outcome::release);
    EXPECT_EQ(machine().token()->generation, 1u);
    token_actions b;
    EXPECT_EQ(machine().acquire(now, b).status, acquire_status::ready);

    token_actions empty;
    machine().set_token(now, wall(), "Bearer", "", empty);
    EXPECT_FALSE(empty.publish);
    EXPECT_EQ(machine().token()->generation, 1u);
}

TEST_F(token_state_machine_test, set_token_during_renewal_releases_waiters_renewal_goes_on)
{
    token_actions a;
    machine().acquire(now, a);
    token_actions s;
    machine().set_token(now, wall(), "Bearer", hour_token(), s);
    EXPECT_EQ(s.waiters, waiters_outcome::release);
    EXPECT_TRUE(machine().renewing());
    token_actions done;
    machine().fetch_completed(now, wall(), success(hour_token()), done);
    EXPECT_EQ(machine().token()->generation, 2u);
}

TEST_F(token_state_machine_test, shutdown_fails_waiters_and_everything_after)
{
    token_actions a;
    machine().acquire(now, a);
    token_actions s;
    machine().shutdown(s);
    EXPECT_EQ(s.waiters, waiters_outcome::fail);
    EXPECT_EQ(s.ec, error::session_closed);
    EXPECT_TRUE(s.cancel_io);
    EXPECT_TRUE(machine().closed());

    token_actions b;
    const acquire_decision d = machine().acquire(now, b);
    EXPECT_EQ(d.status, acquire_status::failed);
    EXPECT_EQ(d.ec, error::session_closed);
    token_actions late;
    machine().fetch_completed(now, wall(), success(hour_token()), late);
    EXPECT_EQ(machine().token(), nullptr);
    EXPECT_EQ(late.waiters, waiters_outcome::none);
}

TEST_F(token_state_machine_test, shutdown_when_idle_touches_no_io)
{
    install_first(hour_token());
    token_actions s;
    machine().shutdown(s);
    EXPECT_FALSE(s.cancel_io);
    EXPECT_TRUE(s.publish);
}

}  // namespace
