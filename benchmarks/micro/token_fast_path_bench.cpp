// The token fast path (docs/architecture.md, token rule 8): attaching a fresh token to a request takes no lock, no
// strand round trip and no heap allocation.
#include <vovrest/detail/jwt_payload.hpp>
#include <vovrest/detail/session_observer.hpp>
#include <vovrest/detail/static_token_source.hpp>
#include <vovrest/detail/token_pipeline.hpp>

#include "allocation_counter.hpp"
#include "token_test_support.hpp"  // tests/unit/sdk: JWTs for tests and benchmarks

#include <boost/asio/io_context.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <string>

namespace {

namespace vd = vovrest::detail;

// A realistic Accelerator-sized JWT, valid for an hour from now.
std::string make_jwt()
{
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const std::string payload = R"({"sub":"alice","iss":"vovserver@nchost:6271","iat":)" + std::to_string(now)
                                + R"(,"exp":)" + std::to_string(now + 3600)
                                + R"(,"jti":"5f0c2a9e-8b1d-4c7e-9a3f-2d6b1e8c4f70"})";
    return vovrest::test::jwt_from_payload(payload);
}

struct fixture
{
    boost::asio::io_context io;
    vd::session_observer observer;
    std::string jwt = make_jwt();
    vd::token_pipeline pipeline{io.get_executor(), vovrest::token_params{},
                                std::make_unique<vd::static_token_source>(io.get_executor(), "Bearer", jwt), observer};
    fixture() { pipeline.set_token("Bearer", jwt); }
};

fixture& shared_fixture()
{
    static fixture f;
    return f;
}

void bm_try_acquire(benchmark::State& state)
{
    fixture& f = shared_fixture();
    vd::token_ticket ticket;
    ticket.authorization.reserve(1024);
    if (!f.pipeline.try_acquire(ticket))
    {
        state.SkipWithError("no token on the fast path");
        return;
    }
    const vovrest::bench::allocation_meter meter;
    for (auto _ : state)
    {
        bool ok = f.pipeline.try_acquire(ticket);
        benchmark::DoNotOptimize(ok);
        benchmark::DoNotOptimize(ticket.authorization.data());
    }
    meter.report(state);
    state.counters["header_bytes"] =
        benchmark::Counter(static_cast<double>(ticket.authorization.size()), benchmark::Counter::kAvgThreads);
}
BENCHMARK(bm_try_acquire)->ThreadRange(1, 2)->UseRealTime();

void bm_decode_jwt_payload(benchmark::State& state)
{
    const std::string jwt = make_jwt();
    const vovrest::bench::allocation_meter meter;
    for (auto _ : state)
    {
        auto payload = vd::decode_jwt_payload(jwt);
        benchmark::DoNotOptimize(payload);
    }
    meter.report(state);
}
BENCHMARK(bm_decode_jwt_payload);

}  // namespace
