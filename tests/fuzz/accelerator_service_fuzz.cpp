// The fake Accelerator's behaviour (accelerator_service::handle) behind the signature check: a
// session of up to eight requests against one service, each with a method, a target (a route with
// the id of a job submitted earlier, or any text), an Authorization header (a valid token of a
// USER, READONLY or LEADER account, an expired or malformed one, or any text), a Content-Type and
// a body, the clocks moving on between requests so that jobs run, end and are forgotten. Routing,
// Authorization parsing, job ids, job descriptions, modifications and queries all read these
// bytes; every reply keeps the promises of service_reply_checks.hpp, a valid token is never
// refused, and the service counts every request.
//
// Input: FuzzedDataProvider throughout; texts are length-prefixed strings (a backslash escapes).
#include "job_store.hpp"
#include "service_reply_checks.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace td = vovrest::testing::detail;
namespace vt = vovrest::testing;
using vovrest::fuzz::check;

constexpr std::array<std::string_view, 7> methods{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"};
constexpr std::array<std::string_view, 4> fields{"status", "command", "jobname", "nosuch"};

std::string method(FuzzedDataProvider& in)
{
    if (in.ConsumeIntegralInRange(0, 7) == 7)
        return in.ConsumeRandomLengthString(16);
    return std::string(methods[in.ConsumeIntegralInRange<std::size_t>(0, methods.size() - 1)]);
}

// A job id as a client would write it: one of the jobs submitted so far (plain or zero-padded), or
// any text.
std::string job(FuzzedDataProvider& in, std::int64_t submitted)
{
    switch (in.ConsumeIntegralInRange(0, 2))
    {
    case 0:
    {
        const auto id = in.ConsumeIntegralInRange<std::int64_t>(0, submitted) + td::job_store::first_id;
        return std::to_string(id);
    }
    case 1:
        return "000" + std::to_string(td::job_store::first_id + in.ConsumeIntegralInRange<std::int64_t>(0, submitted));
    default: return in.ConsumeRandomLengthString(24);
    }
}

std::string target(FuzzedDataProvider& in, std::int64_t submitted)
{
    switch (in.ConsumeIntegralInRange(0, 7))
    {
    case 0: return "/api/v3/jobs";
    case 1: return "/api/v3/jobs/" + job(in, submitted);
    case 2: return "/api/v3/jobs/" + job(in, submitted) + "/" + std::string(in.PickValueInArray(fields));
    case 3: return "/api/v3/jobs/" + job(in, submitted) + "/" + in.ConsumeRandomLengthString(24);
    case 4: return "/api/v3/jobs/" + job(in, submitted) + "?" + in.ConsumeRandomLengthString(64);
    case 5: return "/api/v3/query?" + in.ConsumeRandomLengthString(512);
    case 6: return in.PickValueInArray({"/api/v3/token", "/api/v3/project/1/project", "/api/v3/project/1/version"});
    default: return in.ConsumeRandomLengthString(256);
    }
}

struct accounts
{
    std::string user, reader, leader, expired;
};

std::string authorization(FuzzedDataProvider& in, const accounts& tokens, bool& valid)
{
    valid = false;
    switch (in.ConsumeIntegralInRange(0, 6))
    {
    case 0: valid = true; return "Bearer:" + tokens.user;
    case 1: valid = true; return "bearer " + tokens.reader;
    case 2: valid = true; return " Bearer: " + tokens.leader + " ";
    case 3: return "Bearer:" + tokens.expired;
    case 4: return {};
    case 5: return "Bearer:" + in.ConsumeRandomLengthString(256);
    default: return in.ConsumeRandomLengthString(256);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    FuzzedDataProvider in(data, size);
    vt::fake_server_params params;
    params.users = {{"demo", "demo", vt::security_level::user},
                    {"reader", "pw", vt::security_level::readonly},
                    {"lead", "pw", vt::security_level::leader}};
    params.max_body_bytes = 4096;
    params.job_schedule_delay = std::chrono::milliseconds{50};
    params.job_run_time = std::chrono::milliseconds{200};
    if (in.ConsumeBool())
        params.forget_after = std::chrono::milliseconds{500};

    std::chrono::system_clock::time_point wall{std::chrono::seconds{1'700'000'000}};
    std::chrono::steady_clock::time_point steady{std::chrono::hours{10}};
    td::service_clock clock;
    clock.wall = [&wall] { return wall; };
    clock.steady = [&steady] { return steady; };
    td::accelerator_service service(params, clock);
    const accounts tokens{service.issue_token_for("demo", std::chrono::hours{1}),
                          service.issue_token_for("reader", std::chrono::hours{1}),
                          service.issue_token_for("lead", std::chrono::hours{1}),
                          service.issue_token_for("demo", std::chrono::seconds{-1})};

    std::uint64_t handled = 0;
    std::int64_t submitted = 0;
    while (in.remaining_bytes() > 0 && handled < 8)
    {
        const std::string m = method(in);
        const std::string t = target(in, submitted);
        bool valid = false;
        const std::string a = authorization(in, tokens, valid);
        const std::string content_type =
            in.ConsumeBool() ? in.PickValueInArray({"application/json", "application/x-www-form-urlencoded"})
                             : in.ConsumeRandomLengthString(64);
        const std::string body = in.ConsumeRandomLengthString(4096);
        const auto advance = std::chrono::milliseconds{in.ConsumeIntegralInRange(0, 1000)};
        wall += advance;
        steady += advance;

        const td::service_request request{m, t, a, content_type, body};
        const td::service_reply reply = service.handle(request);
        ++handled;
        vovrest::fuzz::check_reply(request, reply);
        // The only 401 a valid token may get is on a path whose own check comes first (the token
        // endpoint itself, checked before any Authorization header).
        if (valid && reply.status == 401)
            check(t.starts_with("/api/v3/token"));
        if (reply.status == 201)
            ++submitted;
    }

    vt::fake_server_stats stats;
    service.add_stats_to(stats);
    check(stats.requests == handled);
    check(stats.jobs_created == static_cast<std::uint64_t>(submitted));
    return 0;
}
