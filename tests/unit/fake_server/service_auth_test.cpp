// accelerator_service: the token endpoint, the Authorization check, revocation, faults.
#include "service_fixture.hpp"

#include <thread>
#include <vector>

namespace vovrest::testing::detail::test {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> split(const std::string& token)
{
    std::vector<std::string> parts;
    std::size_t begin = 0;
    while (true)
    {
        std::size_t dot = token.find('.', begin);
        parts.push_back(token.substr(begin, dot - begin));
        if (dot == std::string::npos)
            return parts;
        begin = dot + 1;
    }
}

json::value payload_of(const std::string& access_token)
{
    return json::parse(*base64url_decode(split(access_token).at(1)));
}

using token_test = service_test;

TEST_F(token_test, IssuesAJwtWithClaims)
{
    wall += 900ms;  // iat is floored to whole seconds
    reply_view r = post_token("demo", "demo");
    ASSERT_EQ(r.reply.status, 200u);
    EXPECT_EQ(r.reply.content_type, "application/json");
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    json::value v = r.body();
    EXPECT_EQ(v.at("token_type").as_string(), "Bearer");
    EXPECT_EQ(v.as_object().if_contains("expires_in"), nullptr);
    std::string token(v.at("access_token").as_string());
    EXPECT_EQ(base64url_decode(split(token).at(0)), R"({"alg":"HS256","typ":"JWT"})");
    json::value p = payload_of(token);
    EXPECT_EQ(p.at("sub").as_string(), "demo");
    EXPECT_EQ(p.at("iat").as_int64(), 1'700'000'000);
    EXPECT_EQ(p.at("exp").as_int64(), 1'700'000'000 + 3600);
    EXPECT_FALSE(p.at("jti").as_string().empty());

    std::string second(post_token("demo", "demo").body().at("access_token").as_string());
    EXPECT_NE(payload_of(second).at("jti"), p.at("jti"));

    auto s = stats();
    EXPECT_EQ(s.token_requests, 2u);
    EXPECT_EQ(s.tokens_issued, 2u);
    EXPECT_EQ(s.rejected_credentials, 0u);
    EXPECT_EQ(s.requests_by_route["POST /api/v3/token"], 2u);
    EXPECT_EQ(s.token_requests_in_flight_max, 1u);  // counted inside handle() as nobody reports
}

TEST_F(token_test, TokenWorksInBothHeaderForms)
{
    std::string auth = login();
    std::string token = auth.substr(auth.find(':') + 1);
    EXPECT_EQ(get("/api/v3/project/1/project", auth).reply.status, 200u);
    EXPECT_EQ(get("/api/v3/project/1/project", "Bearer " + token).reply.status, 200u);
    EXPECT_EQ(get("/api/v3/project/1/project", "bearer:" + token).reply.status, 200u);
}

TEST_F(token_test, ExpiresInWhenAsked)
{
    auto p = default_params();
    p.include_expires_in = true;
    p.token_lifetime = 90s;
    make(p);
    json::value v = post_token("demo", "demo").body();
    EXPECT_EQ(v.at("expires_in").as_int64(), 90);
    std::string token(v.at("access_token").as_string());
    EXPECT_EQ(payload_of(token).at("exp").as_int64() - payload_of(token).at("iat").as_int64(), 90);
}

TEST_F(token_test, DefaultUserIsDemo)
{
    auto p = default_params();
    p.users.clear();
    make(p);
    EXPECT_EQ(post_token("demo", "demo").reply.status, 200u);
    EXPECT_EQ(post_token("other", "pw-other").reply.status, 401u);
}

TEST_F(token_test, BadPasswordIs401WithoutThePassword)
{
    reply_view r = post_token("demo", "S3cretGuess");
    EXPECT_EQ(r.reply.status, 401u);
    EXPECT_FALSE(r.error().empty());
    EXPECT_EQ(r.reply.body.find("S3cretGuess"), std::string::npos);
    EXPECT_EQ(post_token("nobody", "demo").reply.status, 401u);
    EXPECT_EQ(post_token("demo", "").reply.status, 401u);
    EXPECT_EQ(post_token("demo", "dem").reply.status, 401u);
    auto s = stats();
    EXPECT_EQ(s.rejected_credentials, 4u);
    EXPECT_EQ(s.token_requests, 4u);
    EXPECT_EQ(s.tokens_issued, 0u);
}

TEST_F(token_test, NotAFormIs400)
{
    EXPECT_EQ(
        send("POST", "/api/v3/token", {}, R"({"username":"demo","password":"demo"})", "application/json").reply.status,
        400u);
    EXPECT_EQ(send("POST", "/api/v3/token", {}, "username=demo&password=demo", "").reply.status, 400u);
    EXPECT_EQ(send("POST", "/api/v3/token", {}, "username=demo", "application/x-www-form-urlencoded").reply.status,
              400u);
    EXPECT_EQ(send("POST", "/api/v3/token", {}, "password=demo", "application/x-www-form-urlencoded").reply.status,
              400u);
    reply_view r = send("POST", "/api/v3/token", {}, "username=demo&password=%zz", "application/x-www-form-urlencoded");
    EXPECT_EQ(r.reply.status, 400u);
    EXPECT_FALSE(r.error().empty());
    EXPECT_EQ(send("POST", "/api/v3/token", {}, "username=demo&password=demo",
                   "application/x-www-form-urlencoded; charset=UTF-8")
                  .reply.status,
              200u);
    EXPECT_EQ(stats().rejected_credentials, 0u);
}

TEST_F(token_test, PasswordIsPercentDecoded)
{
    auto p = default_params();
    p.users = {{"x y", "p&ss=w+rd", security_level::user}};
    make(p);
    EXPECT_EQ(post_token("x+y", "p%26ss%3Dw%2Brd").reply.status, 200u);
    EXPECT_EQ(post_token("x+y", "p&ss=w+rd").reply.status, 401u);  // password "p", then a pair "ss=w rd"
}

TEST_F(token_test, WrongMethodOnTokenIs405)
{
    reply_view r = send("GET", "/api/v3/token");
    EXPECT_EQ(r.reply.status, 405u);
    EXPECT_EQ(r.header("Allow"), "POST");
    EXPECT_FALSE(r.error().empty());
    EXPECT_EQ(stats().token_requests, 0u);
}

TEST_F(token_test, FailFirstTokenRequests)
{
    auto p = default_params();
    p.faults.fail_first_token_requests = 2;
    p.faults.retry_after = 7s;
    make(p);
    for (int i = 0; i < 2; ++i)
    {
        reply_view r = post_token("demo", "demo");
        EXPECT_EQ(r.reply.status, 503u);
        EXPECT_EQ(r.header("Retry-After"), "7");
        EXPECT_FALSE(r.error().empty());
    }
    EXPECT_EQ(post_token("demo", "demo").reply.status, 200u);
    auto s = stats();
    EXPECT_EQ(s.token_failures_injected, 2u);
    EXPECT_EQ(s.token_requests, 3u);
    EXPECT_EQ(s.tokens_issued, 1u);

    // set_faults starts a new count.
    fake_faults f;
    f.fail_first_token_requests = 1;
    svc().set_faults(f);
    EXPECT_EQ(post_token("demo", "demo").reply.status, 503u);
    EXPECT_EQ(post_token("demo", "demo").reply.status, 200u);
    EXPECT_EQ(stats().token_failures_injected, 3u);
}

TEST_F(token_test, InFlightCountReportedByTheShell)
{
    svc().token_request_started();
    svc().token_request_started();
    svc().token_request_started();
    post_token("demo", "demo");  // not counted again: the shell reports
    svc().token_request_finished();
    svc().token_request_finished();
    svc().token_request_finished();
    svc().token_request_started();
    svc().token_request_finished();
    EXPECT_EQ(stats().token_requests_in_flight_max, 3u);
}

using auth_test = service_test;

TEST_F(auth_test, MissingAndMalformed)
{
    std::string auth = login();
    std::string token = auth.substr(auth.find(':') + 1);
    struct
    {
        std::string header;
        std::string reason;
    } cases[] = {
        {"", "missing"},
        {"   ", "missing"},
        {token, "malformed"},             // no type
        {"Basic:" + token, "malformed"},  // wrong type
        {"Bearer:", "malformed"},
        {"Bearer:abc.def", "malformed"},
        {"Bearer:" + token + "x.y", "malformed"},
        {"Bearer:" + token.substr(0, token.size() - 3) + "AAA", "signature"},
    };
    std::map<std::string, std::uint64_t> expected;
    for (const auto& c : cases)
    {
        reply_view r = get("/api/v3/project/1/project", c.header);
        EXPECT_EQ(r.reply.status, 401u) << c.header;
        ++expected[c.reason];
        // The error says which, and never echoes the token.
        EXPECT_EQ(r.reply.body.find(token), std::string::npos);
        EXPECT_NE(r.error().find(c.reason == "signature" ? "signature" : c.reason), std::string::npos) << r.reply.body;
    }
    EXPECT_EQ(stats().unauthorized_by_reason, expected);
}

TEST_F(auth_test, TokenFromAnotherServiceIsASignatureError)
{
    std::string auth = login();
    auto first = std::move(service);
    make();
    reply_view r = get("/api/v3/project/1/project", auth);
    EXPECT_EQ(r.reply.status, 401u);
    EXPECT_EQ(stats().unauthorized_by_reason["signature"], 1u);
}

TEST_F(auth_test, ExpiredToken)
{
    auto p = default_params();
    p.token_lifetime = 2s;
    make(p);
    wall += 900ms;
    std::string auth = login();  // iat = T, exp = T + 2, issued at T + 0.9
    advance(1000ms);
    EXPECT_EQ(get("/api/v3/project/1/version", auth).reply.status, 200u);
    advance(99ms);  // T + 1.999
    EXPECT_EQ(get("/api/v3/project/1/version", auth).reply.status, 200u);
    advance(1ms);  // T + 2 == exp
    reply_view r = get("/api/v3/project/1/version", auth);
    EXPECT_EQ(r.reply.status, 401u);
    EXPECT_NE(r.error().find("expired"), std::string::npos);
    EXPECT_EQ(stats().unauthorized_by_reason, (std::map<std::string, std::uint64_t>{{"expired", 1}}));
    EXPECT_EQ(get("/api/v3/project/1/version", login()).reply.status, 200u);
}

TEST_F(auth_test, IssueTokenFor)
{
    std::string fresh = "Bearer:" + svc().issue_token_for("demo", 60s);
    EXPECT_EQ(get("/api/v3/project/1/project", fresh).reply.status, 200u);
    std::string dead = "Bearer:" + svc().issue_token_for("demo", 0s);
    EXPECT_EQ(get("/api/v3/project/1/project", dead).reply.status, 401u);
    EXPECT_EQ(stats().unauthorized_by_reason["expired"], 1u);
    EXPECT_EQ(stats().tokens_issued, 0u);
    EXPECT_EQ(payload_of(fresh.substr(7)).at("exp").as_int64() - payload_of(fresh.substr(7)).at("iat").as_int64(), 60);
}

TEST_F(auth_test, Revocation)
{
    std::string old_token = login();
    std::string helper_token = "Bearer:" + svc().issue_token_for("demo", 60s);
    svc().revoke_all_tokens();
    // Same second, issued after the revocation: valid.
    std::string new_token = login();
    for (const auto& t : {old_token, helper_token})
    {
        reply_view r = get("/api/v3/project/1/project", t);
        EXPECT_EQ(r.reply.status, 401u);
        EXPECT_NE(r.error().find("revoked"), std::string::npos);
    }
    EXPECT_EQ(get("/api/v3/project/1/project", new_token).reply.status, 200u);
    auto s = stats();
    EXPECT_EQ(s.revocations, 1u);
    EXPECT_EQ(s.unauthorized_by_reason, (std::map<std::string, std::uint64_t>{{"revoked", 2}}));

    svc().revoke_all_tokens();
    EXPECT_EQ(get("/api/v3/project/1/project", new_token).reply.status, 401u);
    EXPECT_EQ(stats().revocations, 2u);
}

// More tokens in use than the server keeps verified: every one of them is still accepted, and a
// forged one is still refused however often it comes.
TEST_F(auth_test, ManyTokensInUse)
{
    std::vector<std::string> tokens;
    for (int i = 0; i < 1500; ++i)
        tokens.push_back("Bearer:" + svc().issue_token_for(i % 2 == 0 ? "demo" : "other", 60s));
    for (int round = 0; round < 2; ++round)
        for (const auto& t : tokens)
            ASSERT_EQ(get("/api/v3/project/1/version", t).reply.status, 200u);
    std::string forged = tokens.front().substr(0, tokens.front().size() - 3) + "AAA";
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(get("/api/v3/project/1/version", forged).reply.status, 401u);
    EXPECT_EQ(stats().unauthorized_by_reason, (std::map<std::string, std::uint64_t>{{"signature", 3}}));
    advance(60s);
    EXPECT_EQ(get("/api/v3/project/1/version", tokens.back()).reply.status, 401u);
}

TEST_F(auth_test, FailFractionOnAuthenticatedRequestsOnly)
{
    auto p = default_params();
    p.faults.fail_fraction = 1.0;
    p.faults.retry_after = 3s;
    make(p);
    std::string auth = login();  // token requests are never failed by fail_fraction
    ASSERT_FALSE(auth.empty());
    reply_view r = get("/api/v3/project/1/project", auth);
    EXPECT_EQ(r.reply.status, 503u);
    EXPECT_EQ(r.header("Retry-After"), "3");
    EXPECT_EQ(get("/api/v3/project/1/project", "").reply.status, 401u);
    // A failed submission does nothing.
    EXPECT_EQ(send("POST", "/api/v3/jobs", auth, R"({"command":"x"})").reply.status, 503u);
    EXPECT_EQ(svc().job_count(), 0u);
    EXPECT_EQ(stats().failures_injected, 2u);

    fake_faults half;
    half.fail_fraction = 0.5;
    svc().set_faults(half);
    int failed = 0;
    for (int i = 0; i < 400; ++i)
        failed += get("/api/v3/project/1/project", auth).reply.status == 503 ? 1 : 0;
    EXPECT_GT(failed, 120);
    EXPECT_LT(failed, 280);
    EXPECT_EQ(stats().failures_injected, 2u + static_cast<std::uint64_t>(failed));

    svc().set_faults(fake_faults{});
    EXPECT_EQ(get("/api/v3/project/1/project", auth).reply.status, 200u);
}

TEST_F(auth_test, FailFractionIsReproducibleFromTheSeed)
{
    auto pattern = [&](std::uint64_t seed) {
        auto p = default_params();
        p.seed = seed;
        make(p);
        std::string auth = login();
        fake_faults f;
        f.fail_fraction = 0.5;
        svc().set_faults(f);
        std::string out;
        for (int i = 0; i < 64; ++i)
            out += get("/api/v3/project/1/project", auth).reply.status == 503 ? 'x' : '.';
        return out;
    };
    EXPECT_EQ(pattern(7), pattern(7));
    EXPECT_NE(pattern(7), pattern(8));
}

TEST_F(auth_test, ConcurrentHandleIsSafe)
{
    std::string auth = login();
    svc();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i)
            {
                std::string body = R"({"command":"job )" + std::to_string(t * 100 + i) + "\"}";
                service->handle(service_request{"POST", "/api/v3/jobs", auth, "application/json", body});
                service->handle(service_request{"GET", "/api/v3/query?select=idint", auth, {}, {}});
                service->handle(service_request{
                    "POST", "/api/v3/token", {}, "application/x-www-form-urlencoded", "username=demo&password=demo"});
            }
        });
    for (auto& th : threads)
        th.join();
    auto s = stats();
    EXPECT_EQ(s.jobs_created, 200u);
    EXPECT_EQ(s.duplicate_submissions, 0u);
    EXPECT_EQ(s.tokens_issued, 201u);
    EXPECT_EQ(s.requests, 601u);
    EXPECT_EQ(svc().job_count(), 200u);
    EXPECT_GE(s.token_requests_in_flight_max, 1u);
}

}  // namespace
}  // namespace vovrest::testing::detail::test
