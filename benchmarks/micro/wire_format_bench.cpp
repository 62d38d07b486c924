// What every request costs before it reaches the socket: form and query encoding, and the request
// head. A connection rewrites its one head buffer for each request, so after the first request
// serialising a head must not allocate at all.
#include <vovrest/detail/wire_format.hpp>
#include <vovrest/query.hpp>
#include <vovrest/session_params.hpp>

#include "allocation_counter.hpp"
#include "token_test_support.hpp"  // tests/unit/sdk: JWTs for tests and benchmarks

#include <benchmark/benchmark.h>

#include <string>
#include <string_view>

namespace {

namespace vd = vovrest::detail;

// A VOV selection rule: spaces and '=' are the characters that must be escaped in a query.
constexpr std::string_view rule = "status==FAILED AND user==alice";

vovrest::query failed_jobs()
{
    vovrest::query q;
    q.select({"id", "status", "command", "user", "host", "duration"})
        .from("jobs")
        .where(std::string(rule))
        .order("id")
        .limit(100);
    return q;
}

// The Authorization value as the token cache stores it: "Bearer:" and an Accelerator-sized JWT
// (about 250 bytes). Fixed times: nothing here reads them.
std::string authorization()
{
    return "Bearer:"
           + vovrest::test::jwt_from_payload(
               R"({"sub":"alice","iss":"vovserver@nchost:6271","iat":1732870000,"exp":1732873600,)"
               R"("jti":"5f0c2a9e-8b1d-4c7e-9a3f-2d6b1e8c4f70"})");
}

void set_bytes(benchmark::State& state, std::size_t bytes_per_op)
{
    state.SetBytesProcessed(state.iterations() * static_cast<benchmark::IterationCount>(bytes_per_op));
}

// No SDK function builds this body on its own: these lines are password_token_source::fetch's,
// a fresh body for each token request (it is wiped after sending, so never reused).
void bm_form_encode_token_body(benchmark::State& state)
{
    const std::string username = "alice";
    const std::string password = "c0rrect horse&battery=staple";  // ' ', '&' and '=' all escaped
    std::size_t size = 0;
    const vovrest::bench::allocation_meter meter;
    for (auto _ : state)
    {
        std::string body;
        body.reserve(32 + username.size() + 3 * password.size());
        body = "username=";
        vd::append_encoded(body, username, true);
        body += "&password=";
        vd::append_encoded(body, password, true);
        benchmark::DoNotOptimize(body.data());
        benchmark::ClobberMemory();
        size = body.size();
    }
    meter.report(state);
    set_bytes(state, size);
}
BENCHMARK(bm_form_encode_token_body);

// The encoder alone, into a buffer that has room: what each query parameter costs.
void bm_append_encoded_rule(benchmark::State& state)
{
    std::string out;
    out.reserve(3 * rule.size());
    const vovrest::bench::allocation_meter meter;
    for (auto _ : state)
    {
        out.clear();
        vd::append_encoded(out, rule, false);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    meter.report(state);
    set_bytes(state, rule.size());
}
BENCHMARK(bm_append_encoded_rule);

// A whole query target, built from a fresh string the way a request's target is (query::target
// uses the session's encoder and loop): the allocations are the string's growth and params().
void bm_query_target(benchmark::State& state)
{
    const vovrest::query q = failed_jobs();
    std::size_t size = 0;
    const vovrest::bench::allocation_meter meter;
    for (auto _ : state)
    {
        std::string target = q.target();
        benchmark::DoNotOptimize(target);
        size = target.size();
    }
    meter.report(state);
    set_bytes(state, size);
}
BENCHMARK(bm_query_target);

struct head_case
{
    std::string_view method;
    std::string target;
    std::string_view content_type;
    std::size_t body_size;
};

void run_request_head(benchmark::State& state, const head_case& c)
{
    const std::string host = "nc-host-017:6271";
    const std::string user_agent = vovrest::session_params{}.user_agent;
    const std::string auth = authorization();
    std::string head;  // the connection's buffer
    const vovrest::bench::allocation_meter first;
    if (!vd::write_request_head(head, c.method, c.target, host, user_agent, auth, c.content_type, c.body_size))
    {
        state.SkipWithError("write_request_head refused the head");
        return;
    }
    state.counters["first_call_allocs"] = static_cast<double>(first.count());
    const vovrest::bench::allocation_meter meter;
    for (auto _ : state)
    {
        bool ok = vd::write_request_head(head, c.method, c.target, host, user_agent, auth, c.content_type, c.body_size);
        benchmark::DoNotOptimize(ok);
        benchmark::DoNotOptimize(head.data());
        benchmark::ClobberMemory();
    }
    meter.report(state);
    state.counters["head_bytes"] = static_cast<double>(head.size());
    set_bytes(state, head.size());
}

void bm_write_request_head_get(benchmark::State& state)
{
    run_request_head(state, {"GET", failed_jobs().target(), {}, 0});
}
BENCHMARK(bm_write_request_head_get);

void bm_write_request_head_post(benchmark::State& state)
{
    run_request_head(state, {"POST", "/api/v3/jobs", "application/json", 412});
}
BENCHMARK(bm_write_request_head_post);

}  // namespace
