// One main for every micro-benchmark family: each *_bench.cpp registers its own benchmarks.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
