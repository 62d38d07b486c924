// The token fast path (DESIGN.md rule 8): attaching a fresh token to a request takes no lock, no
// strand round trip and no heap allocation. allocs/op is counted by a global operator new.
#include <vovrest/detail/jwt_payload.hpp>
#include <vovrest/detail/session_observer.hpp>
#include <vovrest/detail/static_token_source.hpp>
#include <vovrest/detail/token_pipeline.hpp>

#include "token_test_support.hpp"  // tests/unit/sdk: JWTs for tests and benchmarks

#include <boost/asio/io_context.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>

namespace {

// Per thread, so that a benchmark thread sees only its own allocations.
thread_local std::uint64_t allocations = 0;

void* counted_alloc(std::size_t size, std::size_t align)
{
    ++allocations;
    if (size == 0)
        size = 1;
    void* p = align > alignof(std::max_align_t) ? std::aligned_alloc(align, (size + align - 1) / align * align)
                                                 : std::malloc(size);
    if (p == nullptr)
        throw std::bad_alloc();
    return p;
}

}  // namespace

void* operator new(std::size_t size) { return counted_alloc(size, 0); }
void* operator new[](std::size_t size) { return counted_alloc(size, 0); }
void* operator new(std::size_t size, std::align_val_t align) { return counted_alloc(size, static_cast<std::size_t>(align)); }
void* operator new[](std::size_t size, std::align_val_t align) { return counted_alloc(size, static_cast<std::size_t>(align)); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

namespace vd = vovrest::detail;

// A realistic Accelerator-sized JWT, valid for an hour from now.
std::string make_jwt()
{
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    const std::string payload = R"({"sub":"alice","iss":"vovserver@nchost:6271","iat":)" + std::to_string(now) +
                                R"(,"exp":)" + std::to_string(now + 3600) + R"(,"jti":"5f0c2a9e-8b1d-4c7e-9a3f-2d6b1e8c4f70"})";
    return vovrest::test::jwt_from_payload(payload);
}

struct fixture
{
    boost::asio::io_context io;
    vd::session_observer observer;
    std::string jwt = make_jwt();
    vd::token_pipeline pipeline{io.get_executor(), vovrest::token_params{},
                                std::make_unique<vd::static_token_source>(io.get_executor(), "Bearer", jwt),
                                observer};
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
    const std::uint64_t before = allocations;
    for (auto _ : state)
    {
        bool ok = f.pipeline.try_acquire(ticket);
        benchmark::DoNotOptimize(ok);
        benchmark::DoNotOptimize(ticket.authorization.data());
    }
    const std::uint64_t after = allocations;
    state.counters["allocs/op"] = benchmark::Counter(static_cast<double>(after - before),
                                                     benchmark::Counter::kAvgIterations);
    state.counters["header_bytes"] = benchmark::Counter(static_cast<double>(ticket.authorization.size()),
                                                        benchmark::Counter::kAvgThreads);
}
BENCHMARK(bm_try_acquire)->ThreadRange(1, 2)->UseRealTime();

void bm_decode_jwt_payload(benchmark::State& state)
{
    const std::string jwt = make_jwt();
    const std::uint64_t before = allocations;
    for (auto _ : state)
    {
        auto payload = vd::decode_jwt_payload(jwt);
        benchmark::DoNotOptimize(payload);
    }
    const std::uint64_t after = allocations;
    state.counters["allocs/op"] = benchmark::Counter(static_cast<double>(after - before),
                                                     benchmark::Counter::kAvgIterations);
}
BENCHMARK(bm_decode_jwt_payload);

}  // namespace

BENCHMARK_MAIN();
