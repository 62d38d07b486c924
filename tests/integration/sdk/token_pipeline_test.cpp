// The token pipeline against the fake server: single flight, renewal ahead of expiry, 401
// replay, failures sorted, cancellation of one waiter.
#include "sdk_fixture.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

namespace vovrest::test {
namespace {

using namespace std::chrono_literals;

asio::awaitable<void> read_project(session& s)
{
    return get_once(s, "/api/v3/project/1/project");
}

// 1. 1,000 coroutines start at once on a fresh session: exactly one token request.
TEST(token_pipeline, thousand_callers_share_one_token_request)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));
    outcomes out;
    run_many(io, 1000, out, [&s](int) { return read_project(s); });

    EXPECT_EQ(out.succeeded, 1000);
    EXPECT_EQ(out.failed(), 0);
    EXPECT_EQ(server.stats().token_requests, 1u);
    EXPECT_EQ(s.counters().token_requests, 1u);
    EXPECT_LE(server.stats().connections_accepted, 8u);  // the pool's cap, not 1,000 sockets
}

// 2. Tokens of 3 s, 200 coroutines looping for 10 s: renewed ahead of expiry, never late.
TEST(token_pipeline, short_lived_tokens_are_renewed_ahead_of_expiry)
{
    auto sp = server_params();
    sp.token_lifetime = 3s;
    testing::fake_server server(sp);
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));
    outcomes out;
    const auto end = std::chrono::steady_clock::now() + 10s;
    std::atomic<long> requests{0};
    for (int i = 0; i < 200; ++i)
    {
        spawn_counted(
            io,
            [](session& sess, std::chrono::steady_clock::time_point until,
               std::atomic<long>& n) -> asio::awaitable<void> {
                while (std::chrono::steady_clock::now() < until)
                {
                    co_await sess.get("/api/v3/project/1/version");
                    ++n;
                }
            }(s, end, requests),
            out);
    }
    io.run();

    const auto stats = server.stats();
    EXPECT_EQ(out.failed(), 0);
    EXPECT_EQ(out.succeeded, 200);
    EXPECT_GT(requests.load(), 200);
    EXPECT_EQ(count_of(stats.unauthorized_by_reason, "expired"), 0u);
    // One renewal per lifetime at most: 10 s of 3 s tokens renewed in their last quarter (with
    // jitter) is 1 + 10 / 2.175 < 6 token requests; at least 3 show that renewals happened.
    EXPECT_GE(stats.token_requests, 3u);
    EXPECT_LE(stats.token_requests, 6u);
    EXPECT_EQ(s.counters().renewals_on_401, 0u);
}

// 2b. A slow server and a long queue: 200 callers on 8 connections wait about 0.6 s for one,
// longer than a 2 s token's soft window (0.5 s). The renewal goes ahead of the queue, and each
// request takes its token once it holds a connection, so that none carries a token that died
// while it waited: no 401, no caller waits for a renewal.
TEST(token_pipeline, queued_requests_never_carry_a_token_that_died_while_they_waited)
{
    auto sp = server_params();
    sp.token_lifetime = 2s;
    sp.faults.latency = 25ms;
    testing::fake_server server(sp);
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));
    outcomes out;
    constexpr int callers = 200;
    for (int i = 0; i < callers; ++i)
    {
        spawn_counted(
            io,
            [](session& sess) -> asio::awaitable<void> {
                // Until the second renewal has been asked for: count-based, no clock.
                while (sess.counters().token_requests < 3)
                    co_await sess.get("/api/v3/project/1/version");
            }(s),
            out);
    }
    io.run();

    const auto stats = server.stats();
    EXPECT_EQ(out.succeeded, callers);
    EXPECT_EQ(out.failed(), 0);
    EXPECT_TRUE(stats.unauthorized_by_reason.empty());
    EXPECT_EQ(s.counters().replays, 0u);
    EXPECT_EQ(s.counters().renewals_proactive, 2u);
    // For the first token only, and only the calls with a turn (one per connection): the others
    // waited for their turn, by which time the token was there.
    EXPECT_EQ(s.counters().waiters, client_params(server).max_connections);
    EXPECT_EQ(stats.token_requests, 3u);
}

// 3. A slow token endpoint and 500 callers: never more than one token request in flight.
TEST(token_pipeline, slow_token_endpoint_sees_one_request_in_flight)
{
    auto sp = server_params();
    sp.faults.token_latency = 300ms;
    testing::fake_server server(sp);
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));
    outcomes out;
    run_many(io, 500, out, [&s](int) { return read_project(s); });

    EXPECT_EQ(out.succeeded, 500);
    EXPECT_EQ(server.stats().token_requests_in_flight_max, 1u);
    EXPECT_EQ(server.stats().token_requests, 1u);
}

// 4. Revocation under load: each revocation costs one renewal; every request succeeds.
TEST(token_pipeline, each_revocation_costs_one_renewal_and_requests_are_replayed)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));
    outcomes out;
    constexpr int revocations = 3;
    constexpr int per_phase = 400;  // successful requests between two revocations
    std::atomic<int> done{0};
    std::atomic<int> revoked{0};
    for (int i = 0; i < 200; ++i)
    {
        spawn_counted(
            io,
            [](session& sess, testing::fake_server& srv, std::atomic<int>& d,
               std::atomic<int>& r) -> asio::awaitable<void> {
                for (int k = 0; k < 12; ++k)
                {
                    co_await sess.get("/api/v3/project/1/project");
                    // Count-based, no clock: revoke after every per_phase successes.
                    const int n = ++d;
                    if (n % per_phase == 0 && r < revocations)
                    {
                        ++r;
                        srv.revoke_all_tokens();
                    }
                }
            }(s, server, done, revoked),
            out);
    }
    io.run();

    const auto stats = server.stats();
    EXPECT_EQ(out.failed(), 0);
    EXPECT_EQ(out.succeeded, 200);
    EXPECT_EQ(revoked.load(), revocations);
    EXPECT_EQ(stats.token_requests, 1u + revocations);
    EXPECT_EQ(s.counters().renewals_on_401, static_cast<std::uint64_t>(revocations));
    EXPECT_GE(s.counters().replays, static_cast<std::uint64_t>(revocations));
    EXPECT_EQ(count_of(stats.unauthorized_by_reason, "revoked"), s.counters().replays);
}

// 5. Wrong password, 100 callers: one token request, everyone told why, no hammering.
TEST(token_pipeline, wrong_password_fails_everyone_with_one_request)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server, "not-the-password"));
    outcomes out;
    run_many(io, 100, out, [&s](int) { return read_project(s); });

    ASSERT_EQ(out.failed(), 100);
    for (std::size_t i = 0; i < out.errors.size(); ++i)
    {
        EXPECT_EQ(out.errors[i], error::authentication_failed);
        EXPECT_NE(out.texts[i].find("401"), std::string::npos) << out.texts[i];
    }
    EXPECT_EQ(server.stats().token_requests, 1u);
    EXPECT_EQ(server.stats().rejected_credentials, 1u);

    // An immediate retry is answered from memory: nothing is sent.
    outcomes again;
    run_many(io, 1, again, [&s](int) { return read_project(s); });
    ASSERT_EQ(again.failed(), 1);
    EXPECT_EQ(again.errors[0], error::authentication_failed);
    EXPECT_EQ(server.stats().token_requests, 1u);
}

// 6. The first 3 token requests fail with 503: backoff, then success.
TEST(token_pipeline, transient_token_failures_are_retried_with_backoff)
{
    auto sp = server_params();
    sp.faults.fail_first_token_requests = 3;
    sp.faults.retry_after = 0s;
    testing::fake_server server(sp);
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));
    outcomes out;
    run_many(io, 20, out, [&s](int) { return read_project(s); });

    EXPECT_EQ(out.succeeded, 20);
    EXPECT_EQ(server.stats().token_requests, 4u);
    EXPECT_EQ(server.stats().token_failures_injected, 3u);
    EXPECT_EQ(s.counters().renewal_failures, 3u);
}

// 7. A waiter of a slow renewal is cancelled: it alone ends, the renewal runs once for the others.
TEST(token_pipeline, cancelled_waiter_leaves_the_renewal_to_the_others)
{
    auto sp = server_params();
    sp.faults.token_latency = 300ms;
    testing::fake_server server(sp);
    server.start();
    asio::io_context io;
    constexpr int callers = 10;
    asio::cancellation_signal cancel_one;
    std::atomic<int> waiting{0};
    auto params = client_params(server);
    params.max_connections = callers;  // every caller has a turn, and waits for the token
    // When every caller waits for the token, the first one is cancelled (event-driven, no timer).
    params.on_event = [&](const session_event& e) {
        if (e.kind == event_kind::waiter_added && ++waiting == callers)
            asio::post(io, [&] { cancel_one.emit(asio::cancellation_type::terminal); });
    };
    session s(io.get_executor(), params);

    boost::system::error_code cancelled_ec;
    diagnostics cancelled_diag;
    bool cancelled_done = false;
    s.async_get("/api/v3/project/1/project", {}, cancelled_diag,
                asio::bind_cancellation_slot(cancel_one.slot(), [&](boost::system::error_code ec, response) {
                    cancelled_ec = ec;
                    cancelled_done = true;
                }));
    outcomes out;
    run_many(io, callers - 1, out, [&s](int) { return read_project(s); });

    EXPECT_TRUE(cancelled_done);
    EXPECT_EQ(cancelled_ec, asio::error::operation_aborted);
    EXPECT_EQ(out.succeeded, callers - 1);
    EXPECT_EQ(server.stats().token_requests, 1u);
}

// authorize() learns early that the password is wrong, with the server's words.
TEST(token_pipeline, authorize_reports_the_servers_text)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server, "wrong"));
    diagnostics diag;
    boost::system::error_code result;
    s.async_authorize(diag, [&](boost::system::error_code ec) { result = ec; });
    io.run();
    EXPECT_EQ(result, error::authentication_failed);
    EXPECT_EQ(diag.http_status, 401u);
    EXPECT_FALSE(diag.server_message.empty());
}

// setJWT / getJWT: a token from elsewhere is used as is; no token request is made.
TEST(token_pipeline, token_handed_in_is_used_and_readable)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));
    EXPECT_FALSE(s.token().has_value());
    const auto jwt = server.issue_token_for("demo", std::chrono::hours(1));
    s.set_token("Bearer", jwt);
    ASSERT_TRUE(s.token().has_value());
    EXPECT_EQ(*s.token(), "Bearer:" + jwt);
    outcomes out;
    spawn_counted(io, read_project(s), out);
    io.run();
    EXPECT_EQ(out.succeeded, 1);
    EXPECT_EQ(server.stats().token_requests, 0u);
}

}  // namespace
}  // namespace vovrest::test
