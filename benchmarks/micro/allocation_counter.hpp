// Heap allocations counted per thread by the replaced global operator new (allocation_counter.cpp,
// the only definition in vovrest-micro-bench), reported by each benchmark as allocs/op.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>

namespace vovrest::bench {

// Allocations made so far by the calling thread (every form of operator new and new[]).
std::uint64_t allocations() noexcept;

// Started just before a benchmark's timed loop. Per thread, so that threads of the same benchmark
// do not count each other's allocations; the library sums the counters of all threads and
// divides by all their iterations.
class allocation_meter
{
public:
    allocation_meter() noexcept : start_(allocations()) {}

    std::uint64_t count() const noexcept { return allocations() - start_; }

    // Sets allocs/op to what this thread allocated since the meter started.
    void report(benchmark::State& state) const
    {
        state.counters["allocs/op"] =
            benchmark::Counter(static_cast<double>(count()), benchmark::Counter::kAvgIterations);
    }

private:
    std::uint64_t start_;
};

}  // namespace vovrest::bench
