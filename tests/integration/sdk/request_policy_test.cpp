// The request policy and what a caller learns of each call, against the fake server on real
// sockets: 503s retried for idempotent requests only, the per-call completion event, causes kept
// in diagnostics::client_message, caller headers checked before anything is sent, and idle
// connections the server closes dropped the moment it does.
#include "sdk_fixture.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

namespace vovrest::test {
namespace {

using namespace std::chrono_literals;

// A call run to its end with the non-throwing API: its error and diagnostics.
struct call_result
{
    boost::system::error_code ec;
    diagnostics diag;
    response answer;
};

call_result call(asio::io_context& io, session& s, request req)
{
    call_result r;
    s.async_execute(std::move(req), r.diag, [&r](boost::system::error_code ec, response answer) {
        r.ec = ec;
        r.answer = std::move(answer);
    });
    io.restart();
    io.run();
    return r;
}

request get_request(std::string path)
{
    request r;
    r.method = http_method::get;
    r.path = std::move(path);
    return r;
}

TEST(request_policy, a_get_answered_503_is_retried_by_the_policy_a_post_never)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    auto params = client_params(server);
    params.retry.max_attempts = 3;
    params.retry.initial_backoff = 1ms;
    session s(io.get_executor(), params);
    ASSERT_TRUE(authorize_now(io, s));
    testing::fake_faults faults;
    faults.fail_fraction = 1.0;
    faults.retry_after = 0s;
    server.set_faults(faults);

    const call_result got = call(io, s, get_request("/api/v3/project/1/project"));
    EXPECT_EQ(got.ec, error::server_error);
    EXPECT_EQ(got.diag.http_status, 503u);
    EXPECT_FALSE(got.diag.server_message.empty());

    request post = session::json_request(http_method::post, "/api/v3/jobs", boost::json::object{{"command", "true"}});
    const call_result posted = call(io, s, std::move(post));
    EXPECT_EQ(posted.ec, error::server_error);

    const auto stats = server.stats();
    EXPECT_EQ(count_of(stats.requests_by_route, "GET /api/v3/project/1/project"), 3u);  // max_attempts
    EXPECT_EQ(count_of(stats.requests_by_route, "POST /api/v3/jobs"), 1u);              // never resent
    EXPECT_EQ(stats.jobs_created, 0u);
    EXPECT_EQ(s.counters().retries, 2u);
}

TEST(request_policy, a_call_may_turn_retries_off_for_itself)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));
    ASSERT_TRUE(authorize_now(io, s));
    testing::fake_faults faults;
    faults.fail_fraction = 1.0;
    faults.retry_after = 0s;
    server.set_faults(faults);
    request once = get_request("/api/v3/project/1/project");
    once.retry = retry_policy{.max_attempts = 1};
    EXPECT_EQ(call(io, s, std::move(once)).ec, error::server_error);
    EXPECT_EQ(count_of(server.stats().requests_by_route, "GET /api/v3/project/1/project"), 1u);
}

TEST(request_events, each_call_reports_its_method_path_status_and_attempts_never_its_query)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    auto params = client_params(server);
    params.retry.initial_backoff = 1ms;
    std::mutex mutex;
    std::vector<std::string> seen;
    params.on_event = [&](const session_event& e) {
        if (e.kind != event_kind::request_completed)
            return;
        std::lock_guard lock(mutex);
        seen.push_back(std::string(e.method) + " " + std::string(e.path) + " " + std::to_string(e.status) + " "
                       + std::to_string(e.attempts) + (e.ec ? " " + e.ec.message() : "")
                       + (e.bytes_sent > 0 ? "" : " nothing sent"));
    };
    session s(io.get_executor(), params);
    request with_query = get_request("/api/v3/query");
    with_query.query = {{"select", "id"}, {"secret-ish", "user data"}};
    EXPECT_FALSE(call(io, s, std::move(with_query)).ec);
    EXPECT_EQ(call(io, s, get_request("/api/v3/jobs/999999")).ec, error::not_found);

    std::lock_guard lock(mutex);
    ASSERT_EQ(seen.size(), 2u);  // the token request is no caller's call: renewal events tell of it
    EXPECT_EQ(seen[0], "GET /api/v3/query 200 1");
    EXPECT_EQ(seen[1], "GET /api/v3/jobs/999999 404 1 not found");
}

TEST(diagnostics_cause, a_refused_connection_says_so_after_the_policys_attempts)
{
    // A port nobody listens on: bound, then closed.
    asio::io_context io;
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = probe.local_endpoint().port();
    probe.close();
    session_params params;
    params.url = "http://127.0.0.1:" + std::to_string(port);
    params.username = "demo";
    params.password = fixed_password("demo-password");
    params.retry.initial_backoff = 1ms;
    params.token.backoff_initial = 1ms;
    params.token.backoff_max = 2ms;
    params.token.max_attempts = 1;
    session s(io.get_executor(), params);
    diagnostics diag;
    boost::system::error_code result;
    s.async_authorize(diag, [&](boost::system::error_code ec) { result = ec; });
    io.run();
    EXPECT_EQ(result, error::connection_failed);
    EXPECT_NE(diag.client_message.find("Connection refused"), std::string::npos) << diag.client_message;
    EXPECT_NE(describe(result, diag).find("Connection refused"), std::string::npos);
}

TEST(diagnostics_cause, an_untrusted_certificate_says_why)
{
    auto server_p = server_params();
    server_p.tls.enabled = true;
    testing::fake_server server(server_p);
    server.start();
    asio::io_context io;
    auto params = client_params(server);
    params.tls.use_system_store = true;  // the fake server's certificate is in no store
    params.token.max_attempts = 1;
    session s(io.get_executor(), params);
    diagnostics diag;
    boost::system::error_code result;
    s.async_authorize(diag, [&](boost::system::error_code ec) { result = ec; });
    io.run();
    EXPECT_EQ(result, error::tls_failed);
    EXPECT_NE(diag.client_message.find("certificate verify failed"), std::string::npos) << diag.client_message;
    EXPECT_NE(diag.client_message.find("self-signed"), std::string::npos) << diag.client_message;
}

TEST(caller_headers, a_header_that_could_inject_or_override_is_refused_before_sending)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));
    ASSERT_TRUE(authorize_now(io, s));
    const auto before = server.stats().requests;
    for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
             {"X-Trace", "a\r\nX-Injected: yes"}, {"Authorization", "Bearer mine"}, {"Host", "elsewhere"}})
    {
        request r = get_request("/api/v3/project/1/project");
        r.headers = {{name, value}};
        const call_result result = call(io, s, std::move(r));
        EXPECT_EQ(result.ec, error::invalid_argument) << name;
        EXPECT_FALSE(result.diag.client_message.empty());
    }
    EXPECT_EQ(call(io, s, get_request("/api/v3/jobs\r\nX-Injected: yes")).ec, error::invalid_argument);
    EXPECT_EQ(server.stats().requests, before);  // nothing was sent

    request fine = get_request("/api/v3/project/1/project");
    fine.headers = {{"X-Trace", "42"}};
    EXPECT_FALSE(call(io, s, std::move(fine)).ec);
}

TEST(idle_watch, a_connection_the_server_closes_while_idle_is_dropped_at_once)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    // Only bounds the test: the drop ends the wait. It may come while the call's io.run() still
    // runs, before the timer is armed: the flag (set on this thread, like the timer) says so.
    asio::steady_timer safety(io);
    bool dropped = false;
    auto params = client_params(server);
    params.on_event = [&](const session_event& e) {
        if (e.kind == event_kind::connection_dropped)
            asio::post(io, [&dropped, &safety] {
                dropped = true;
                safety.cancel();
            });
    };
    session s(io.get_executor(), params);
    ASSERT_TRUE(authorize_now(io, s));
    testing::fake_faults faults;
    faults.silent_close_fraction = 1.0;  // closed right after the next answer, without a word
    server.set_faults(faults);
    EXPECT_FALSE(call(io, s, get_request("/api/v3/project/1/project")).ec);
    // No request follows: the watch alone must see the close.
    if (!dropped)
    {
        safety.expires_after(20s);
        safety.async_wait([](boost::system::error_code) {});
        io.restart();
        io.run();
    }
    EXPECT_EQ(s.counters().connections_dropped, 1u);
    EXPECT_EQ(server.stats().silent_closes, 1u);
}

TEST(idle_watch, a_session_with_idle_connections_does_not_keep_its_io_context_running)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));
    // io.run() returns once the call is done, though its connection stays open and watched.
    EXPECT_FALSE(call(io, s, get_request("/api/v3/project/1/project")).ec);
    EXPECT_EQ(s.counters().connections_opened, 1u);
    EXPECT_EQ(s.counters().connections_dropped, 0u);
    EXPECT_FALSE(call(io, s, get_request("/api/v3/project/1/project")).ec);
    EXPECT_EQ(s.counters().connections_opened, 1u);  // kept alive and reused
}

}  // namespace
}  // namespace vovrest::test
