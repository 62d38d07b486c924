// The fake server's own limits, which keep clients from leaking connections into it:
// idle_timeout, header_timeout and connection_limit, observed from raw clients over real sockets.
// No sleeps: the tests wait for the server's close (EOF) or for a count, each bounded by the
// client's timeout as a safety net; the timeouts under test are short, the others an hour.
#include "raw_http_client.hpp"

#include <vovrest/testing/fake_server.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace {

namespace vt = vovrest::testing;
using namespace vovrest::test;
using namespace std::chrono_literals;

const std::string project = "/api/v3/project/1/project";

std::unique_ptr<vt::fake_server> started(std::chrono::milliseconds idle_timeout,
                                         std::chrono::milliseconds header_timeout,
                                         std::uint32_t connection_limit = 1024)
{
    vt::fake_server_params p;
    p.idle_timeout = idle_timeout;
    p.header_timeout = header_timeout;
    p.connection_limit = connection_limit;
    auto server = std::make_unique<vt::fake_server>(p);
    server->start();
    return server;
}

std::string bearer(vt::fake_server& server)
{
    return "Bearer:" + server.issue_token_for("demo", 1h);
}

// Until `done` holds of the server's counters (false after 10 s, the safety net).
bool wait_for_stats(vt::fake_server& server, const std::function<bool(const vt::fake_server_stats&)>& done)
{
    return server.wait_until(done, 10s);
}

TEST(FakeServerLimits, IdleKeepAliveConnectionIsClosedAfterIdleTimeout)
{
    auto server = started(200ms, 1h);
    raw_connection idle(server->url());
    const auto first = idle.send(get(project, bearer(*server)));
    ASSERT_EQ(first.status, 200u);
    EXPECT_TRUE(first.keep_alive);

    EXPECT_TRUE(is_closed_by_peer(idle.wait_closed()));  // without an answer
    auto stats = server->stats();
    EXPECT_EQ(stats.idle_timeouts, 1u);
    EXPECT_EQ(stats.header_timeouts, 0u);
    EXPECT_EQ(stats.connections_dropped, 0u);

    // Still serving: a new connection gets its answer.
    raw_connection next(server->url());
    EXPECT_EQ(next.send(get(project, bearer(*server))).status, 200u);
    EXPECT_TRUE(wait_for_stats(*server, [](const auto& s) { return s.connections_open == 1; }));
}

TEST(FakeServerLimits, SlowHeadIsCutAfterHeaderTimeout)
{
    auto server = started(1h, 200ms);
    raw_connection slow(server->url());
    raw_response response;
    // Half a head, then nothing: the server closes without answering.
    const auto ec = slow.try_send_bytes("GET /api/v3/project/1/project HTTP/1.1\r\nHost: x\r\n", response);
    EXPECT_TRUE(is_closed_by_peer(ec)) << ec.message();
    EXPECT_EQ(response.status, 0u);
    auto stats = server->stats();
    EXPECT_EQ(stats.header_timeouts, 1u);
    EXPECT_EQ(stats.idle_timeouts, 0u);
    EXPECT_EQ(stats.requests, 0u);
}

TEST(FakeServerLimits, SlowHeadAfterAKeptAliveRequestIsCutAfterHeaderTimeout)
{
    auto server = started(1h, 200ms);
    raw_connection connection(server->url());
    ASSERT_EQ(connection.send(get(project, bearer(*server))).status, 200u);
    raw_response response;
    const auto ec = connection.try_send_bytes("GET /api/v3/project/1/project HTTP/1.1\r\n", response);
    EXPECT_TRUE(is_closed_by_peer(ec)) << ec.message();
    const auto stats = server->stats();
    EXPECT_EQ(stats.header_timeouts, 1u);
    EXPECT_EQ(stats.idle_timeouts, 0u);
    EXPECT_EQ(stats.requests, 1u);
}

TEST(FakeServerLimits, ConnectionThatNeverSpeaksIsCutAfterHeaderTimeoutFromAccept)
{
    auto server = started(1h, 200ms);
    raw_connection silent(server->url());
    EXPECT_TRUE(is_closed_by_peer(silent.wait_closed()));
    EXPECT_EQ(server->stats().header_timeouts, 1u);
}

TEST(FakeServerLimits, ConnectionsOverTheLimitAreRefusedAndCounted)
{
    auto server = started(1h, 1h, 2);
    const auto authorization = bearer(*server);
    auto first = std::make_unique<raw_connection>(server->url());
    raw_connection second(server->url());
    // An answer on each proves the server holds both.
    ASSERT_EQ(first->send(get(project, authorization)).status, 200u);
    ASSERT_EQ(second.send(get(project, authorization)).status, 200u);

    raw_connection third(server->url());  // the kernel accepts it; the server closes it at once
    raw_response response;
    const auto ec = third.try_send(get(project, authorization), response);
    EXPECT_TRUE(is_closed_by_peer(ec)) << ec.message();
    auto stats = server->stats();
    EXPECT_EQ(stats.connections_accepted, 3u);
    EXPECT_EQ(stats.connections_refused_over_cap, 1u);
    EXPECT_EQ(stats.connections_dropped, 1u);
    EXPECT_EQ(stats.connections_open, 2u);

    // The connections held go on being served; one that leaves makes room for another.
    EXPECT_EQ(second.send(get(project, authorization)).status, 200u);
    first.reset();
    ASSERT_TRUE(wait_for_stats(*server, [](const auto& s) { return s.connections_open == 1; }));
    raw_connection fourth(server->url());
    EXPECT_EQ(fourth.send(get(project, authorization)).status, 200u);
    EXPECT_EQ(server->stats().connections_refused_over_cap, 1u);
}

TEST(FakeServerLimits, TheLowerOfConnectionLimitAndMaxConnectionsApplies)
{
    vt::fake_server_params p;
    p.connection_limit = 1;
    p.faults.max_connections = 5;
    vt::fake_server server(p);
    server.start();
    const auto authorization = bearer(server);
    raw_connection held(server.url());
    ASSERT_EQ(held.send(get(project, authorization)).status, 200u);
    raw_connection refused(server.url());
    raw_response response;
    EXPECT_TRUE(is_closed_by_peer(refused.try_send(get(project, authorization), response)));
    EXPECT_EQ(server.stats().connections_refused_over_cap, 1u);
}

// Beyond the steady clock's range a timeout is no deadline (UBSan builds would see an overflow).
TEST(FakeServerLimits, TimeoutsBeyondTheClocksRangeMeanNone)
{
    auto server = started(std::chrono::milliseconds::max(), std::chrono::milliseconds::max());
    raw_connection connection(server->url());
    EXPECT_EQ(connection.send(get(project, bearer(*server))).status, 200u);
    EXPECT_EQ(connection.send(get(project, bearer(*server))).status, 200u);
    const auto stats = server->stats();
    EXPECT_EQ(stats.idle_timeouts + stats.header_timeouts, 0u);
}

// One serving thread, a hundred clients that hold a connection without finishing a request:
// the others are answered as if they were not there.
TEST(FakeServerLimits, ServesOthersWhileConnectionsIdleOrStall)
{
    auto server = started(1h, 1h);
    const auto authorization = bearer(*server);
    std::vector<std::unique_ptr<raw_connection>> stalled;
    for (int i = 0; i < 50; ++i)
        stalled.push_back(std::make_unique<raw_connection>(server->url()));  // silent
    std::vector<std::thread> half_heads;
    for (int i = 0; i < 50; ++i)
    {
        stalled.push_back(std::make_unique<raw_connection>(server->url()));
        half_heads.emplace_back([connection = stalled.back().get()] {
            raw_response ignored;
            (void)connection->try_send_bytes("GET / HTTP/1.1\r\nHost: x\r\n", ignored);  // ends with stop()
        });
    }
    ASSERT_TRUE(wait_for_stats(*server, [](const auto& s) { return s.connections_open == 100; }));

    raw_connection client(server->url());
    for (int i = 0; i < 20; ++i)
        EXPECT_EQ(client.send(get(project, authorization)).status, 200u);
    EXPECT_EQ(server->stats().connections_open, 101u);

    server->stop();  // closes every connection: the half heads see their end
    for (auto& t : half_heads)
        t.join();
}

}  // namespace
