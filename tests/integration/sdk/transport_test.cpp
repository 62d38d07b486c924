// The transport against the fake server's connection faults: stale keep-alive connections,
// dropped answers (never a duplicate job), HTTPS verification, many threads, timeouts.
#include "sdk_fixture.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include <unistd.h>

namespace vovrest::test {
namespace {

using namespace std::chrono_literals;

asio::awaitable<void> submit(session& s, std::string command)
{
    // Built before the co_await: g++ 12 rejects an initializer list inside a co_await expression.
    boost::json::object job;
    job["command"] = command;
    co_await s.post("/api/v3/jobs", job);
}

// 8. The server silently closes keep-alive connections: GETs succeed, POSTs are never duplicated.
TEST(transport, stale_connections_are_not_reused_and_posts_never_duplicate)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));
    ASSERT_TRUE(authorize_now(io, s));
    testing::fake_faults faults;  // from here on, once the session holds its token
    faults.silent_close_fraction = 1.0;
    server.set_faults(faults);

    outcomes gets;
    outcomes posts;
    for (int i = 0; i < 200; ++i)
    {
        spawn_counted(io, get_once(s, "/api/v3/project/1/project"), gets);
        spawn_counted(io, submit(s, "sleep " + std::to_string(i)), posts);
    }
    io.restart();
    io.run();

    const auto stats = server.stats();
    EXPECT_EQ(gets.succeeded, 200);
    EXPECT_EQ(gets.failed(), 0);
    EXPECT_EQ(stats.duplicate_submissions, 0u);
    // Every POST either succeeded or was reported as possibly done; none was sent twice.
    EXPECT_EQ(posts.succeeded + posts.failed(), 200);
    for (const auto& ec : posts.errors)
        EXPECT_EQ(ec, error::outcome_unknown);
    EXPECT_GE(stats.jobs_created, static_cast<std::uint64_t>(posts.succeeded.load()));
    EXPECT_GT(stats.silent_closes, 0u);
}

// 9. The answer to a POST is lost after the job was created: outcome_unknown, one job only.
TEST(transport, post_whose_answer_is_lost_is_outcome_unknown_and_not_resent)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));
    ASSERT_TRUE(authorize_now(io, s));
    testing::fake_faults faults;
    faults.drop_before_response_fraction = 1.0;
    server.set_faults(faults);
    outcomes out;
    run_many(io, 1, out, [&s](int) { return submit(s, "echo lost answer"); });

    ASSERT_EQ(out.failed(), 1);
    EXPECT_EQ(out.errors[0], error::outcome_unknown);
    EXPECT_EQ(server.stats().jobs_created, 1u);
    EXPECT_EQ(server.stats().duplicate_submissions, 0u);
    EXPECT_EQ(server.job_count(), 1u);
}

// 10. HTTPS: verified with ca_file; a wrong host name and an untrusted certificate are refused;
// insecure_skip_verify connects.
class https_test : public ::testing::Test
{
protected:
    void SetUp() override
    {
        cert_file_ =
            (std::filesystem::temp_directory_path() / ("vovrest-cert-" + std::to_string(::getpid()) + ".pem")).string();
    }
    void TearDown() override { std::filesystem::remove(cert_file_); }

    std::unique_ptr<testing::fake_server> start_server(const std::string& host)
    {
        auto sp = server_params();
        sp.listen_host = host;
        sp.tls.enabled = true;
        sp.tls.write_cert_file = cert_file_;
        auto server = std::make_unique<testing::fake_server>(sp);
        server->start();
        return server;
    }

    boost::system::error_code authorize_with(session_params params)
    {
        asio::io_context io;
        session s(io.get_executor(), std::move(params));
        diagnostics diag;
        boost::system::error_code result = asio::error::would_block;
        s.async_authorize(diag, [&](boost::system::error_code ec) { result = ec; });
        io.run();
        return result;
    }

    std::string cert_file_;
};

TEST_F(https_test, verified_through_ca_file)
{
    auto server = start_server("127.0.0.1");
    auto params = client_params(*server);
    params.tls.ca_file = cert_file_;
    params.tls.use_system_store = false;
    params.require_https = true;
    EXPECT_FALSE(authorize_with(params));
    EXPECT_EQ(server->stats().tokens_issued, 1u);
}

TEST_F(https_test, wrong_host_name_is_refused)
{
    // The certificate names localhost and 127.0.0.1; the server answers on 127.0.0.2.
    auto server = start_server("127.0.0.2");
    auto params = client_params(*server);
    params.tls.ca_file = cert_file_;
    params.tls.use_system_store = false;
    EXPECT_EQ(authorize_with(params), error::tls_failed);
    EXPECT_EQ(server->stats().token_requests, 0u);
}

TEST_F(https_test, untrusted_certificate_is_refused)
{
    auto server = start_server("127.0.0.1");
    auto params = client_params(*server);
    EXPECT_EQ(authorize_with(params), error::tls_failed);
    EXPECT_EQ(server->stats().token_requests, 0u);
}

TEST_F(https_test, insecure_skip_verify_connects)
{
    auto server = start_server("127.0.0.2");
    auto params = client_params(*server);
    params.tls.insecure_skip_verify = true;
    EXPECT_FALSE(authorize_with(params));
}

TEST_F(https_test, http_is_refused_when_https_is_required)
{
    testing::fake_server server(server_params());
    auto params = client_params(server);
    params.url = "http://127.0.0.1:1";
    params.require_https = true;
    asio::io_context io;
    try
    {
        session s(io.get_executor(), params);
        FAIL() << "an http:// URL was accepted";
    }
    catch (const error_with_diagnostics& e)
    {
        EXPECT_EQ(e.code(), error::https_required);
    }
}

// 11. Four threads run one io_context; 10,000 requests all succeed (and TSan stays quiet).
TEST(transport, four_threads_ten_thousand_requests)
{
    auto sp = server_params();
    sp.threads = 2;
    testing::fake_server server(sp);
    server.start();
    asio::io_context io(4);
    auto params = client_params(server);
    params.single_threaded = false;  // four threads: the session's own strands are needed
    session s(io.get_executor(), params);
    outcomes out;
    std::atomic<int> requests{0};
    for (int i = 0; i < 100; ++i)
    {
        spawn_counted(
            io,
            [](session& sess, std::atomic<int>& n) -> asio::awaitable<void> {
                for (int k = 0; k < 100; ++k)
                {
                    co_await sess.get("/api/v3/project/1/version");
                    ++n;
                }
            }(s, requests),
            out);
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&io] { io.run(); });
    for (auto& t : threads)
        t.join();

    EXPECT_EQ(out.failed(), 0);
    EXPECT_EQ(requests.load(), 10000);
    EXPECT_EQ(server.stats().token_requests, 1u);
    EXPECT_EQ(s.counters().requests, 10000u);
}

// 12. A server that accepts and never answers: a timeout error, not a hang.
TEST(transport, server_that_never_answers_times_out)
{
    auto sp = server_params();
    sp.faults.never_respond = true;
    testing::fake_server server(sp);
    server.start();
    asio::io_context io;
    auto params = client_params(server);
    params.request_timeout = 300ms;
    session s(io.get_executor(), params);
    s.set_token("Bearer", server.issue_token_for("demo", std::chrono::hours(1)));
    diagnostics diag;
    boost::system::error_code result;
    s.async_get("/api/v3/project/1/project", {}, diag, [&](boost::system::error_code ec, response) { result = ec; });
    io.run();
    EXPECT_EQ(result, error::timeout);
}

// A request the pool cannot place at once waits for a connection; the cap is never exceeded.
TEST(transport, pool_never_opens_more_than_max_connections)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    auto params = client_params(server);
    params.max_connections = 2;
    session s(io.get_executor(), params);
    outcomes out;
    run_many(io, 300, out, [&s](int) { return get_once(s, "/api/v3/project/1/version"); });
    EXPECT_EQ(out.succeeded, 300);
    EXPECT_LE(server.stats().connections_accepted, 2u);
    EXPECT_LE(s.counters().connections_opened, 2u);
    EXPECT_GE(s.counters().connections_reused, 298u);
}

// Errors carry the server's words: 404 for a job that does not exist.
TEST(transport, error_statuses_map_to_errors_with_the_servers_text)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));
    diagnostics diag;
    boost::system::error_code result;
    s.async_get("/api/v3/jobs/999999", {}, diag, [&](boost::system::error_code ec, response) { result = ec; });
    io.run();
    EXPECT_EQ(result, error::not_found);
    EXPECT_EQ(diag.http_status, 404u);
    EXPECT_FALSE(diag.server_message.empty());
    EXPECT_EQ(diag.method, "GET");
    EXPECT_EQ(diag.path, "/api/v3/jobs/999999");
}

}  // namespace
}  // namespace vovrest::test

namespace vovrest::test {
namespace {

// A response over max_body_bytes is refused, not buffered.
TEST(transport, response_over_the_body_limit_is_a_bad_response)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    auto params = client_params(server);
    params.max_body_bytes = 64;  // a project table is larger
    session s(io.get_executor(), params);
    s.set_token("Bearer", server.issue_token_for("demo", std::chrono::hours(1)));
    diagnostics diag;
    boost::system::error_code result;
    s.async_get("/api/v3/project/1/project", {}, diag, [&](boost::system::error_code ec, response) { result = ec; });
    io.run();
    EXPECT_EQ(result, error::bad_response);
}

// A whole-operation deadline covers the wait for a token too.
TEST(transport, operation_timeout_bounds_the_wait_for_a_token)
{
    auto sp = server_params();
    sp.faults.token_latency = std::chrono::seconds(5);
    testing::fake_server server(sp);
    server.start();
    asio::io_context io;
    auto params = client_params(server);
    params.operation_timeout = std::chrono::milliseconds(200);
    session s(io.get_executor(), params);
    diagnostics diag;
    boost::system::error_code result;
    s.async_get("/api/v3/project/1/project", {}, diag, [&](boost::system::error_code ec, response) {
        result = ec;
        s.shutdown();  // the renewal the caller left behind is not waited for
    });
    io.run();
    EXPECT_EQ(result, error::timeout);
}

}  // namespace
}  // namespace vovrest::test
