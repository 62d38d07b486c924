// crash() and start() again: connections reset, requests in flight lost (one already carried
// out included), the same port, the jobs kept. And the state file across two server objects.
#include "raw_http_client.hpp"

#include <vovrest/testing/fake_server.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include <unistd.h>

namespace {

namespace vt = vovrest::testing;
using namespace vovrest::test;
using namespace std::chrono_literals;

raw_request job_post(std::string authorization, std::string body)
{
    raw_request r;
    r.method = "POST";
    r.target = "/api/v3/jobs";
    r.headers.emplace_back("Authorization", std::move(authorization));
    r.content_type = "application/json";
    r.body = std::move(body);
    return r;
}

TEST(FakeServerRestart, CrashLosesTheAnswerOfWorkDoneAndStartKeepsPortAndJobs)
{
    vt::fake_server_params p;
    p.faults.answer_delay = 1h;  // every answer waits: the crash catches the job created, unanswered
    vt::fake_server server(p);
    server.start();
    const std::string url = server.url();
    const std::string auth = "Bearer:" + server.issue_token_for("demo", 1h);

    auto lost = std::async(std::launch::async, [&] {
        raw_connection c(url);
        raw_response response;
        return c.try_send(job_post(auth, R"({"command":"sleep 1","jobname":"crash-1"})"), response);
    });
    ASSERT_TRUE(server.wait_until([&](const auto&) { return server.job_count() == 1; }, 20s));
    server.crash();
    const std::error_code ec = lost.get();
    EXPECT_TRUE(is_closed_by_peer(ec)) << ec.message();
    EXPECT_EQ(server.stats().answers_lost_to_crash, 1u);
    EXPECT_THROW(raw_connection{url}, std::system_error);  // nobody listens

    server.set_faults({});
    server.start();
    EXPECT_EQ(server.url(), url);
    EXPECT_EQ(server.job_count(), 1u);
    raw_connection again(url);
    const auto answer = again.send(get("/api/v3/query?select=jobname&where=jobname==crash-1", auth));
    EXPECT_NE(answer.body.find("crash-1"), std::string::npos) << answer.body;
    EXPECT_EQ(again.send(job_post(auth, R"({"command":"sleep 2"})")).status, 201u);
    EXPECT_EQ(server.stats().jobs_created, 2u);
    server.crash();
    server.crash();  // idempotent
}

TEST(FakeServerRestart, AStateFileCarriesJobsToAnotherServer)
{
    const auto path = std::filesystem::temp_directory_path() / ("vovrest-restart-test-" + std::to_string(::getpid()));
    std::filesystem::remove(path);
    vt::fake_server_params p;
    p.state_file = path.string();
    std::uint16_t port = 0;
    {
        vt::fake_server first(p);
        first.start();
        port = first.port();
        raw_connection c(first.url());
        const std::string auth = "Bearer:" + first.issue_token_for("demo", 1h);
        EXPECT_EQ(c.send(job_post(auth, R"({"command":"sleep 1","jobname":"kept"})")).status, 201u);
        first.crash();
    }
    p.port = port;
    vt::fake_server second(p);
    second.start();
    EXPECT_EQ(second.port(), port);
    EXPECT_EQ(second.job_count(), 1u);
    EXPECT_EQ(second.stats().jobs_created, 1u);
    raw_connection c(second.url());
    const std::string auth = "Bearer:" + second.issue_token_for("demo", 1h);
    EXPECT_EQ(c.send(job_post(auth, R"({"command":"sleep 1","jobname":"kept"})")).status, 201u);
    EXPECT_EQ(second.stats().duplicate_submissions, 1u);  // the same job again: a true duplicate
    second.stop();
    std::filesystem::remove(path);
}

}  // namespace
