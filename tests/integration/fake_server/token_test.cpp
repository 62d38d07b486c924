// POST /api/v3/token over a real socket: the JWT it returns, the credentials check, and the
// Authorization header forms the fake server accepts.
#include "raw_http_client.hpp"

#include <vovrest/testing/fake_server.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include <chrono>

namespace {

namespace json = boost::json;
namespace vt = vovrest::testing;
using namespace vovrest::test;
using namespace std::chrono_literals;

vt::fake_server_params params()
{
    vt::fake_server_params p;
    p.users = {{"alice", "s3cret: with spaces&=", vt::security_level::user}};
    p.token_lifetime = 120s;
    return p;
}

std::int64_t wall_seconds()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

TEST(FakeServerToken, RoundTripGivesAJwtNamingTheUserWithItsLifetime)
{
    vt::fake_server server(params());
    server.start();
    raw_connection connection(server.url());

    const auto before = wall_seconds();
    const auto response = connection.send(token_request("alice", "s3cret: with spaces&="));
    const auto after = wall_seconds();

    ASSERT_EQ(response.status, 200u) << response.body;
    EXPECT_EQ(response.header("content-type"), "application/json");
    EXPECT_TRUE(response.keep_alive);
    const auto body = json::parse(response.body).as_object();
    EXPECT_EQ(body.at("token_type").as_string(), "Bearer");
    EXPECT_FALSE(body.contains("expires_in"));

    const auto payload = json::parse(jwt_payload(body.at("access_token").as_string())).as_object();
    EXPECT_EQ(payload.at("sub").as_string(), "alice");
    const auto iat = payload.at("iat").as_int64();
    EXPECT_GE(iat, before);
    EXPECT_LE(iat, after);
    EXPECT_EQ(payload.at("exp").as_int64(), iat + 120);

    // The documented header form, on the same keep-alive connection.
    const auto project =
        connection.send(get("/api/v3/project/1/project", authorization_from_token_response(response.body)));
    EXPECT_EQ(project.status, 200u) << project.body;

    const auto stats = server.stats();
    EXPECT_EQ(stats.token_requests, 1u);
    EXPECT_EQ(stats.tokens_issued, 1u);
    EXPECT_EQ(stats.connections_accepted, 1u);
}

TEST(FakeServerToken, ExpiresInIsSentWhenAsked)
{
    auto p = params();
    p.include_expires_in = true;
    vt::fake_server server(p);
    server.start();
    const auto response = raw_connection(server.url()).send(token_request("alice", "s3cret: with spaces&="));
    ASSERT_EQ(response.status, 200u);
    EXPECT_EQ(json::parse(response.body).at("expires_in").as_int64(), 120);
}

TEST(FakeServerToken, WrongPasswordIs401WithAnErrorText)
{
    vt::fake_server server(params());
    server.start();
    raw_connection connection(server.url());
    const auto response = connection.send(token_request("alice", "wrong"));
    EXPECT_EQ(response.status, 401u);
    const auto body = json::parse(response.body).as_object();
    ASSERT_TRUE(body.contains("error"));
    EXPECT_FALSE(body.at("error").as_string().empty());
    EXPECT_EQ(response.body.find("wrong"), std::string::npos);  // the password is never echoed

    const auto unknown = connection.send(token_request("mallory", "s3cret: with spaces&="));
    EXPECT_EQ(unknown.status, 401u);
    EXPECT_EQ(server.stats().rejected_credentials, 2u);
    EXPECT_EQ(server.stats().tokens_issued, 0u);
}

TEST(FakeServerToken, SpaceSeparatedBearerHeaderIsAcceptedToo)
{
    vt::fake_server server(params());
    server.start();
    raw_connection connection(server.url());
    const auto token =
        access_token_from_token_response(connection.send(token_request("alice", "s3cret: with spaces&=")).body);
    EXPECT_EQ(connection.send(get("/api/v3/project/1/version", "Bearer " + token)).status, 200u);
    EXPECT_EQ(connection.send(get("/api/v3/project/1/version", "Bearer:" + token)).status, 200u);
}

TEST(FakeServerToken, IssuedTokenForATestWorksLikeAServedOne)
{
    vt::fake_server server(params());
    server.start();
    const auto token = server.issue_token_for("alice", 60s);
    const auto payload = json::parse(jwt_payload(token)).as_object();
    EXPECT_EQ(payload.at("exp").as_int64() - payload.at("iat").as_int64(), 60);
    raw_connection connection(server.url());
    EXPECT_EQ(connection.send(get("/api/v3/project/1/project", "Bearer:" + token)).status, 200u);
}

}  // namespace
