// The fake server's life: start, stop, restart, many times over; no thread or socket left
// behind; stop() with connections open; the control routes /__fake/stats and /__fake/revoke.
#include "raw_http_client.hpp"

#include <vovrest/testing/fake_server.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace {

namespace json = boost::json;
namespace vt = vovrest::testing;
using namespace vovrest::test;
using namespace std::chrono_literals;

std::size_t entries(const char* directory)
{
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(directory))
        ++n;
    return n;
}
std::size_t thread_count()
{
    return entries("/proc/self/task");
}
std::size_t descriptor_count()
{
    return entries("/proc/self/fd");
}

// Threads and descriptors that the process keeps once it has run any server (the thread
// sanitizer's own background thread starts with the first thread created): the baseline is
// taken after one start and stop, so that only what a server leaves behind is counted.
void settle_process()
{
    vt::fake_server server;
    server.start();
    server.stop();
}

TEST(FakeServerLifecycle, StartsAndStopsManyTimesLeavingNothingBehind)
{
    settle_process();
    const auto threads_before = thread_count();
    const auto descriptors_before = descriptor_count();
    for (int i = 0; i < 20; ++i)
    {
        vt::fake_server_params p;
        p.threads = 1 + i % 3;
        p.tls.enabled = i % 4 == 3;
        vt::fake_server server(p);
        server.start();
        raw_client_options options;
        options.ca_pem = server.certificate_pem();
        raw_connection connection(server.url(), options);  // left open across stop()
        ASSERT_EQ(connection.send(token_request("demo", "demo")).status, 200u) << i;
        server.stop();
        EXPECT_TRUE(is_closed_by_peer(connection.wait_closed())) << i;
    }
    EXPECT_EQ(thread_count(), threads_before);
    EXPECT_EQ(descriptor_count(), descriptors_before);
}

TEST(FakeServerLifecycle, RestartsOnANewPortAndStopIsIdempotent)
{
    vt::fake_server server;
    server.stop();  // before any start: nothing to do
    server.start();
    EXPECT_EQ(server.url(), "http://127.0.0.1:" + std::to_string(server.port()));
    EXPECT_THROW(server.start(), std::logic_error);
    server.stop();
    server.stop();
    server.start();
    EXPECT_EQ(raw_connection(server.url()).send(token_request("demo", "demo")).status, 200u);
    EXPECT_EQ(server.stats().tokens_issued, 1u);
}

TEST(FakeServerLifecycle, DestructorStopsARunningServer)
{
    settle_process();
    const auto threads_before = thread_count();
    std::unique_ptr<raw_connection> connection;
    {
        vt::fake_server_params p;
        p.threads = 3;
        vt::fake_server server(p);
        server.start();
        connection = std::make_unique<raw_connection>(server.url());
        EXPECT_EQ(connection->send(get("/__fake/stats")).status, 200u);
    }
    EXPECT_TRUE(is_closed_by_peer(connection->wait_closed()));
    connection.reset();
    EXPECT_EQ(thread_count(), threads_before);
}

TEST(FakeServerLifecycle, PortInUseMakesStartThrow)
{
    vt::fake_server first;
    first.start();
    vt::fake_server_params p;
    p.port = first.port();
    vt::fake_server second(p);
    EXPECT_THROW(second.start(), std::exception);
    EXPECT_EQ(raw_connection(first.url()).send(get("/__fake/stats")).status, 200u);
}

TEST(FakeServerLifecycle, ManyThreadsServeConcurrentClients)
{
    vt::fake_server_params p;
    p.threads = 4;
    vt::fake_server server(p);
    server.start();
    const std::vector<raw_request> requests(32, token_request("demo", "demo"));
    for (const auto& result : send_concurrently(server.url(), requests))
    {
        EXPECT_FALSE(result.error) << result.error.message();
        EXPECT_EQ(result.response.status, 200u);
    }
    const auto stats = server.stats();
    EXPECT_EQ(stats.tokens_issued, 32u);
    EXPECT_EQ(stats.connections_accepted, 32u);
}

TEST(FakeServerLifecycle, StatsRouteReportsEveryCounter)
{
    vt::fake_server server;
    server.start();
    raw_connection connection(server.url());
    const auto authorization = authorization_from_token_response(connection.send(token_request("demo", "demo")).body);
    connection.send(get("/api/v3/project/1/project", authorization));
    connection.send(token_request("demo", "nope"));

    const auto response = connection.send(get("/__fake/stats"));
    ASSERT_EQ(response.status, 200u);
    EXPECT_EQ(response.header("Content-Type"), "application/json");
    const auto stats = json::parse(response.body).as_object();
    for (const char* name : {"token_requests",
                             "tokens_issued",
                             "rejected_credentials",
                             "token_requests_in_flight_max",
                             "unauthorized_by_reason",
                             "requests_by_route",
                             "requests",
                             "jobs_created",
                             "duplicate_submissions",
                             "connections_accepted",
                             "connections_dropped",
                             "connections_open",
                             "idle_timeouts",
                             "header_timeouts",
                             "revocations",
                             "token_failures_injected",
                             "failures_injected",
                             "closes_announced",
                             "silent_closes",
                             "drops_before_response",
                             "connections_refused_over_cap",
                             "answers_lost_to_crash"})
        EXPECT_TRUE(stats.contains(name)) << name;
    EXPECT_EQ(stats.at("token_requests").as_int64(), 2);
    EXPECT_EQ(stats.at("tokens_issued").as_int64(), 1);
    EXPECT_EQ(stats.at("rejected_credentials").as_int64(), 1);
    EXPECT_EQ(stats.at("requests").as_int64(), 3);  // the control route is not a request
    EXPECT_EQ(stats.at("connections_accepted").as_int64(), 1);
    EXPECT_EQ(stats.at("connections_open").as_int64(), 1);  // the one asking
    EXPECT_EQ(stats.at("requests_by_route").at("GET /api/v3/project/1/project").as_int64(), 1);
    EXPECT_EQ(stats.at("requests_by_route").at("POST /api/v3/token").as_int64(), 2);
}

TEST(FakeServerLifecycle, RevokeRouteRevokesEveryTokenIssuedSoFar)
{
    vt::fake_server server;
    server.start();
    raw_connection connection(server.url());
    const auto old_token = authorization_from_token_response(connection.send(token_request("demo", "demo")).body);
    raw_request revoke = get("/__fake/revoke");
    revoke.method = "POST";
    EXPECT_EQ(connection.send(revoke).status, 200u);

    const auto refused = connection.send(get("/api/v3/project/1/project", old_token));
    EXPECT_EQ(refused.status, 401u);
    EXPECT_NE(refused.body.find("revoked"), std::string::npos) << refused.body;
    const auto new_token = authorization_from_token_response(connection.send(token_request("demo", "demo")).body);
    EXPECT_EQ(connection.send(get("/api/v3/project/1/project", new_token)).status, 200u);
    const auto stats = server.stats();
    EXPECT_EQ(stats.revocations, 1u);
    EXPECT_EQ(stats.unauthorized_by_reason.at("revoked"), 1u);
}

}  // namespace
