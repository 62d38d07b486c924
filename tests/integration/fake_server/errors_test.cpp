// Every error status of the fake server over a real socket: 400, 401 (each reason), 403, 404,
// 405, 413, 431, and what comes back for bytes that are not HTTP.
#include "raw_http_client.hpp"

#include <vovrest/testing/fake_server.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>

namespace {

namespace json = boost::json;
namespace vt = vovrest::testing;
using namespace vovrest::test;
using namespace std::chrono_literals;

class FakeServerErrors : public ::testing::Test
{
protected:
    void SetUp() override
    {
        vt::fake_server_params p;
        p.users = {{"alice", "a", vt::security_level::user},
                   {"bob", "b", vt::security_level::user},
                   {"reader", "r", vt::security_level::readonly}};
        p.max_body_bytes = 1024;
        p.job_schedule_delay = 1h;
        server_ = std::make_unique<vt::fake_server>(p);
        server_->start();
        connection_ = std::make_unique<raw_connection>(server_->url());
    }

    raw_response send(raw_request request, const std::string& authorization)
    {
        if (!authorization.empty())
            request.headers.emplace_back("Authorization", authorization);
        return connection_->send(request);
    }
    static raw_request json_request(std::string method, std::string target, std::string body)
    {
        raw_request request;
        request.method = std::move(method);
        request.target = std::move(target);
        request.content_type = "application/json";
        request.body = std::move(body);
        return request;
    }
    static void expect_error(const raw_response& response, unsigned status)
    {
        EXPECT_EQ(response.status, status) << response.body;
        EXPECT_EQ(response.header("Content-Type"), "application/json");
        const auto body = json::parse(response.body);
        ASSERT_TRUE(body.is_object() && body.as_object().contains("error")) << response.body;
        EXPECT_FALSE(body.at("error").as_string().empty());
    }
    std::string login(const char* user, const char* password)
    {
        return fetch_authorization(server_->url(), user, password);
    }

    std::unique_ptr<vt::fake_server> server_;
    std::unique_ptr<raw_connection> connection_;
};

TEST_F(FakeServerErrors, BadRequests400)
{
    const auto alice = login("alice", "a");
    expect_error(send(json_request("POST", "/api/v3/jobs", "not json"), alice), 400);
    expect_error(send(json_request("POST", "/api/v3/jobs", R"({"jobname":"no command"})"), alice), 400);
    expect_error(send(json_request("POST", "/api/v3/token", R"({"username":"alice","password":"a"})"), {}), 400);
    expect_error(send(get("/api/v3/query?format=xml"), alice), 400);
    // Still the same keep-alive connection: errors do not close it.
    EXPECT_EQ(send(get("/api/v3/project/1/project"), alice).status, 200u);
}

TEST_F(FakeServerErrors, Unauthorized401ForEachReason)
{
    const auto alice = login("alice", "a");
    const auto token = alice.substr(alice.find(':') + 1);
    // A signature byte changed in the middle (every bit of a middle character counts).
    auto forged = token;
    const auto middle = token.rfind('.') + 10;
    forged[middle] = forged[middle] == 'A' ? 'B' : 'A';

    const std::string target = "/api/v3/project/1/project";
    expect_error(send(get(target), {}), 401);
    expect_error(send(get(target), "Basic YWxpY2U6YQ=="), 401);
    expect_error(send(get(target), "Bearer:" + forged), 401);
    expect_error(send(get(target), "Bearer:" + server_->issue_token_for("alice", -10s)), 401);
    server_->revoke_all_tokens();
    expect_error(send(get(target), alice), 401);

    const auto reasons = server_->stats().unauthorized_by_reason;
    for (const char* reason : {"missing", "malformed", "signature", "expired", "revoked"})
        EXPECT_EQ(reasons.count(reason) ? reasons.at(reason) : 0u, 1u) << reason;
}

TEST_F(FakeServerErrors, Forbidden403)
{
    const auto reader = login("reader", "r");
    expect_error(send(json_request("POST", "/api/v3/jobs", R"({"command":"x"})"), reader), 403);

    const auto alice = login("alice", "a");
    const auto submitted = send(json_request("POST", "/api/v3/jobs", R"({"command":"x"})"), alice);
    ASSERT_EQ(submitted.status, 201u);
    const auto job = submitted.header("Location");
    expect_error(send(json_request("PUT", job, R"({"action":"stop"})"), login("bob", "b")), 403);
    // Reading someone else's job is allowed.
    EXPECT_EQ(send(get(job), reader).status, 200u);
}

TEST_F(FakeServerErrors, NotFound404)
{
    const auto alice = login("alice", "a");
    expect_error(send(get("/nothing/here"), {}), 404);
    expect_error(send(get("/api/v3/jobs/999999"), alice), 404);
    expect_error(send(get("/api/v3/no-such-resource"), alice), 404);
    expect_error(send(get("/__fake/nothing"), {}), 404);
}

TEST_F(FakeServerErrors, MethodNotAllowed405)
{
    const auto alice = login("alice", "a");
    const auto token = send(get("/api/v3/token"), {});
    expect_error(token, 405);
    EXPECT_EQ(token.header("Allow"), "POST");
    raw_request remove = get("/api/v3/query");
    remove.method = "DELETE";
    expect_error(send(remove, alice), 405);
    raw_request stats_post = get("/__fake/stats");
    stats_post.method = "POST";
    expect_error(send(stats_post, {}), 405);
}

TEST_F(FakeServerErrors, BodyOverTheLimitIs413AndClosesTheConnection)
{
    const auto alice = login("alice", "a");
    const auto response = send(json_request("POST", "/api/v3/jobs", std::string(2048, ' ')), alice);
    expect_error(response, 413);
    EXPECT_FALSE(response.keep_alive);
    EXPECT_TRUE(is_closed_by_peer(connection_->wait_closed()));
    EXPECT_EQ(server_->job_count(), 0u);
}

TEST_F(FakeServerErrors, HugeHeaderIs431)
{
    raw_request request = get("/api/v3/project/1/project");
    request.headers.emplace_back("X-Padding", std::string(32 * 1024, 'x'));
    const auto response = connection_->send(request);
    expect_error(response, 431);
    EXPECT_TRUE(is_closed_by_peer(connection_->wait_closed()));
}

TEST_F(FakeServerErrors, BytesThatAreNotHttpGet400)
{
    raw_response response;
    ASSERT_FALSE(connection_->try_send_bytes("HELLO THERE\r\n\r\n", response));
    expect_error(response, 400);
    EXPECT_TRUE(is_closed_by_peer(connection_->wait_closed()));
}

}  // namespace
