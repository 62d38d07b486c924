// Each fault knob of the fake server, observed from a client over a real socket, and counted
// in the stats. No sleeps: the tests wait for answers, closes and client timeouts.
#include "raw_http_client.hpp"

#include <vovrest/testing/fake_server.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>

namespace {

namespace vt = vovrest::testing;
using namespace vovrest::test;
using namespace std::chrono_literals;

const std::string project = "/api/v3/project/1/project";

std::unique_ptr<vt::fake_server> started(vt::fake_faults faults, std::uint64_t seed = 1)
{
    vt::fake_server_params p;
    p.faults = faults;
    p.seed = seed;
    p.threads = 2;
    auto server = std::make_unique<vt::fake_server>(p);
    server->start();
    return server;
}

std::string bearer(vt::fake_server& server)
{
    return "Bearer:" + server.issue_token_for("demo", 1h);
}

TEST(FakeServerFaults, CloseFractionAnnouncesTheCloseThenCloses)
{
    vt::fake_faults faults;
    faults.close_fraction = 1.0;
    auto server = started(faults);
    raw_connection connection(server->url());
    const auto response = connection.send(get(project, bearer(*server)));
    EXPECT_EQ(response.status, 200u);
    EXPECT_EQ(response.header("Connection"), "close");
    EXPECT_FALSE(response.keep_alive);
    EXPECT_TRUE(is_closed_by_peer(connection.wait_closed()));
    const auto stats = server->stats();
    EXPECT_EQ(stats.closes_announced, 1u);
    EXPECT_EQ(stats.connections_dropped, 1u);
}

TEST(FakeServerFaults, SilentCloseLeavesAStaleKeepAliveConnection)
{
    vt::fake_faults faults;
    faults.silent_close_fraction = 1.0;
    auto server = started(faults);
    raw_connection connection(server->url());
    const auto first = connection.send(get(project, bearer(*server)));
    EXPECT_EQ(first.status, 200u);
    EXPECT_TRUE(first.keep_alive);
    EXPECT_EQ(first.header("Connection"), "");

    raw_response second;
    const auto ec = connection.try_send(get(project, bearer(*server)), second);
    EXPECT_TRUE(is_closed_by_peer(ec)) << ec.message();
    const auto stats = server->stats();
    EXPECT_EQ(stats.silent_closes, 1u);
    EXPECT_EQ(stats.connections_dropped, 1u);
    EXPECT_EQ(stats.requests, 1u);
}

TEST(FakeServerFaults, DropBeforeResponseProcessesTheRequestButNeverAnswers)
{
    vt::fake_faults faults;
    faults.drop_before_response_fraction = 1.0;
    auto server = started(faults);
    raw_connection connection(server->url());
    raw_request submit;
    submit.method = "POST";
    submit.target = "/api/v3/jobs";
    submit.content_type = "application/json";
    submit.body = R"({"command":"sleep 1"})";
    submit.headers.emplace_back("Authorization", bearer(*server));
    raw_response response;
    const auto ec = connection.try_send(submit, response);
    EXPECT_TRUE(is_closed_by_peer(ec)) << ec.message();
    EXPECT_EQ(server->job_count(), 1u);  // the outcome the client could not see
    const auto stats = server->stats();
    EXPECT_EQ(stats.drops_before_response, 1u);
    EXPECT_EQ(stats.jobs_created, 1u);
    EXPECT_EQ(stats.connections_dropped, 1u);
}

TEST(FakeServerFaults, ConnectionsOverTheCapAreClosedAtOnce)
{
    vt::fake_faults faults;
    faults.max_connections = 1;
    auto server = started(faults);
    const auto authorization = bearer(*server);
    raw_connection first(server->url());
    ASSERT_EQ(first.send(get(project, authorization)).status, 200u);  // now surely counted

    raw_connection second(server->url());  // the kernel accepts; the server closes it
    raw_response response;
    const auto ec = second.try_send(get(project, authorization), response);
    EXPECT_TRUE(is_closed_by_peer(ec)) << ec.message();

    EXPECT_EQ(first.send(get(project, authorization)).status, 200u);
    const auto stats = server->stats();
    EXPECT_EQ(stats.connections_accepted, 2u);
    EXPECT_EQ(stats.connections_refused_over_cap, 1u);
    EXPECT_EQ(stats.connections_dropped, 1u);
}

TEST(FakeServerFaults, TokenLatencyHoldsConcurrentTokenRequestsInFlight)
{
    vt::fake_faults faults;
    faults.token_latency = 1s;
    auto server = started(faults);
    const std::vector<raw_request> requests(4, token_request("demo", "demo"));
    const auto results = send_concurrently(server->url(), requests);
    for (const auto& result : results)
    {
        EXPECT_FALSE(result.error) << result.error.message();
        EXPECT_EQ(result.response.status, 200u);
    }
    const auto stats = server->stats();
    EXPECT_EQ(stats.token_requests_in_flight_max, 4u);
    EXPECT_EQ(stats.tokens_issued, 4u);
}

TEST(FakeServerFaults, TokenLatencyLeavesOtherRequestsAlone)
{
    vt::fake_faults faults;
    faults.token_latency = 1h;
    auto server = started(faults);
    raw_client_options impatient;
    impatient.timeout = 200ms;
    raw_connection held(server->url(), impatient);
    raw_response response;
    EXPECT_TRUE(is_timeout(held.try_send(token_request("demo", "demo"), response)));

    raw_connection other(server->url());  // the default 10 s timeout, far below the hour
    EXPECT_EQ(other.send(get(project, bearer(*server))).status, 200u);
    EXPECT_EQ(server->stats().token_requests_in_flight_max, 1u);
    server->stop();  // and stop() cancels the held request at once
}

TEST(FakeServerFaults, LatencyDelaysEveryRequestTokensIncluded)
{
    vt::fake_faults faults;
    faults.latency = 1s;
    auto server = started(faults);
    const std::vector<raw_request> requests(3, token_request("demo", "demo"));
    for (const auto& result : send_concurrently(server->url(), requests))
        EXPECT_FALSE(result.error) << result.error.message();
    EXPECT_EQ(server->stats().token_requests_in_flight_max, 3u);

    faults.latency = 1h;
    server->set_faults(faults);
    raw_client_options impatient;
    impatient.timeout = 200ms;
    raw_connection connection(server->url(), impatient);
    raw_response response;
    EXPECT_TRUE(is_timeout(connection.try_send(get(project, bearer(*server)), response)));
}

TEST(FakeServerFaults, NeverRespondMakesTheClientTimeOut)
{
    vt::fake_faults faults;
    faults.never_respond = true;
    auto server = started(faults);
    raw_client_options impatient;
    impatient.timeout = 200ms;
    raw_connection connection(server->url(), impatient);
    raw_response response;
    const auto ec = connection.try_send(token_request("demo", "demo"), response);
    EXPECT_TRUE(is_timeout(ec)) << ec.message();
    EXPECT_EQ(server->stats().token_requests, 0u);

    // The control routes still answer, and turning the knob off heals the server.
    raw_connection control(server->url());
    EXPECT_EQ(control.send(get("/__fake/stats")).status, 200u);
    server->set_faults({});
    EXPECT_EQ(control.send(token_request("demo", "demo")).status, 200u);
}

TEST(FakeServerFaults, FailFirstTokenRequestsAnswer503WithRetryAfter)
{
    vt::fake_faults faults;
    faults.fail_first_token_requests = 2;
    faults.retry_after = 3s;
    auto server = started(faults);
    raw_connection connection(server->url());
    for (int i = 0; i < 2; ++i)
    {
        const auto response = connection.send(token_request("demo", "demo"));
        EXPECT_EQ(response.status, 503u);
        EXPECT_EQ(response.header("Retry-After"), "3");
    }
    EXPECT_EQ(connection.send(token_request("demo", "demo")).status, 200u);
    const auto stats = server->stats();
    EXPECT_EQ(stats.token_failures_injected, 2u);
    EXPECT_EQ(stats.tokens_issued, 1u);
}

TEST(FakeServerFaults, FailFractionAnswers503ToApiRequests)
{
    vt::fake_faults faults;
    faults.fail_fraction = 1.0;
    faults.retry_after = 2s;
    auto server = started(faults);
    raw_connection connection(server->url());
    const auto token = connection.send(token_request("demo", "demo"));  // tokens are spared
    ASSERT_EQ(token.status, 200u);
    const auto response = connection.send(get(project, authorization_from_token_response(token.body)));
    EXPECT_EQ(response.status, 503u);
    EXPECT_EQ(response.header("Retry-After"), "2");
    EXPECT_EQ(server->stats().failures_injected, 1u);
}

TEST(FakeServerFaults, RevokeEveryRevokesTokensOnATimer)
{
    vt::fake_faults faults;
    faults.revoke_every = 100ms;
    faults.latency = 5ms;  // paces the polling below; the revocation timer is what ends it
    auto server = started(faults);
    raw_connection connection(server->url());
    const auto authorization = authorization_from_token_response(connection.send(token_request("demo", "demo")).body);
    unsigned status = 0;
    raw_response response;
    for (int i = 0; i < 2000 && status != 401; ++i)
    {
        response = connection.send(get(project, authorization));
        status = response.status;
    }
    ASSERT_EQ(status, 401u);
    EXPECT_NE(response.body.find("revoked"), std::string::npos) << response.body;
    auto stats = server->stats();
    EXPECT_GE(stats.revocations, 1u);
    EXPECT_GE(stats.unauthorized_by_reason["revoked"], 1u);

    server->set_faults({});  // no more revocations: a new token stays good
    const auto fresh = authorization_from_token_response(connection.send(token_request("demo", "demo")).body);
    EXPECT_EQ(connection.send(get(project, fresh)).status, 200u);
}

// The fractions come from one seeded generator: the same seed, the same faults.
std::vector<bool> close_pattern(std::uint64_t seed)
{
    vt::fake_faults faults;
    faults.close_fraction = 0.5;
    auto server = started(faults, seed);
    const auto authorization = bearer(*server);
    std::vector<bool> closed;
    auto connection = std::make_unique<raw_connection>(server->url());
    for (int i = 0; i < 32; ++i)
    {
        const auto response = connection->send(get(project, authorization));
        closed.push_back(!response.keep_alive);
        if (!response.keep_alive)
            connection = std::make_unique<raw_connection>(server->url());
    }
    EXPECT_EQ(server->stats().closes_announced,
              static_cast<std::uint64_t>(std::count(closed.begin(), closed.end(), true)));
    return closed;
}

TEST(FakeServerFaults, FractionsAreSeeded)
{
    const auto first = close_pattern(42);
    EXPECT_EQ(first, close_pattern(42));
    const auto closes = std::count(first.begin(), first.end(), true);
    EXPECT_GT(closes, 0);
    EXPECT_LT(closes, 32);
}

}  // namespace
