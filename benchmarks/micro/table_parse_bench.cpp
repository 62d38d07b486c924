// The table parser: every typed read (a job's fields, a project, a query) goes through
// table::parse, so its cost per row and its allocations are paid on each reply. (The cells and
// row offsets of a table are two malloc'd arrays, which the operator-new count below leaves out.)
#include <vovrest/diagnostics.hpp>
#include <vovrest/table.hpp>

#include "allocation_counter.hpp"

#include <boost/json/parse.hpp>
#include <boost/system/error_code.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace {

// A reply to GET /api/v3/query?select=id,status,command,user,host,duration&from=jobs&format=json,
// shaped as Accelerator sends it. The command is longer than any small-string buffer, as real
// ones are, so that each row holds one string on the heap.
std::string make_reply(std::size_t rows)
{
    constexpr std::array<std::string_view, 4> statuses{"VALID", "FAILED", "RUNNING", "QUEUED"};
    std::string out =
        R"({"startrow":1,"endrow":)" + std::to_string(rows)
        + R"(,"query":"SELECT id,status,command,user,host,duration FROM jobs WHERE user==alice ORDERBY id",)"
          R"("errormsg":"","columns":[{"col":0,"field":"id"},{"col":1,"field":"status"},)"
          R"({"col":2,"field":"command"},{"col":3,"field":"user"},{"col":4,"field":"host"},)"
          R"({"col":5,"field":"duration"}],"rows":[)";
    for (std::size_t i = 0; i < rows; ++i)
    {
        const std::string n = std::to_string(i % 1000);
        if (i != 0)
            out += ',';
        out += '[' + std::to_string(1138 + i) + ",\"" + std::string(statuses[i % statuses.size()])
               + "\",\"vw make -C /proj/chip/blocks/alu_" + n + " synth\",\"alice\",\"nc-host-" + n + "\","
               + std::to_string(37 + i * 13 % 5000) + ']';
    }
    out += "]}";
    return out;
}

void set_rows_per_second(benchmark::State& state, std::size_t rows)
{
    state.counters["rows/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(rows),
                                                  benchmark::Counter::kIsRate);
}

void bm_table_parse(benchmark::State& state)
{
    const auto rows = static_cast<std::size_t>(state.range(0));
    const std::string body = make_reply(rows);
    boost::system::error_code ec;
    vovrest::diagnostics diag;
    if (vovrest::table::parse(body, ec, diag).size() != rows || ec)
    {
        state.SkipWithError("the reply did not parse as a table of the expected size");
        return;
    }
    // The non-throwing form, the one the typed API calls (table_reply.cpp).
    const vovrest::bench::allocation_meter meter;
    for (auto _ : state)
    {
        vovrest::table t = vovrest::table::parse(body, ec, diag);
        benchmark::DoNotOptimize(t);
    }
    meter.report(state);
    set_rows_per_second(state, rows);
    state.counters["body_bytes"] = static_cast<double>(body.size());
}
BENCHMARK(bm_table_parse)->ArgName("rows")->Arg(1)->Arg(100);

// The same reply read row by row (parse_table_rows, what `vovrest query` streams): no table is
// built, each row's cells are handed over and their bytes reused for the next row.
void bm_table_rows_streamed(benchmark::State& state)
{
    const auto rows = static_cast<std::size_t>(state.range(0));
    const std::string body = make_reply(rows);
    std::size_t cells = 0;
    vovrest::table_visitor visitor;
    visitor.on_row = [&cells](const vovrest::table_row& row) { cells += row.size(); };
    boost::system::error_code ec;
    vovrest::diagnostics diag;
    if (vovrest::parse_table_rows(body, visitor, ec, diag).rows != rows || ec)
    {
        state.SkipWithError("the reply did not parse as a table of the expected size");
        return;
    }
    const vovrest::bench::allocation_meter meter;
    for (auto _ : state)
    {
        auto summary = vovrest::parse_table_rows(body, visitor, ec, diag);
        benchmark::DoNotOptimize(summary);
    }
    benchmark::DoNotOptimize(cells);
    meter.report(state);
    set_rows_per_second(state, rows);
}
BENCHMARK(bm_table_rows_streamed)->ArgName("rows")->Arg(1)->Arg(100);

// The floor under table::parse: the same reply read into a boost::json DOM and nothing more. The
// difference in time and allocations is what building the table costs.
void bm_table_parse_json_dom_only(benchmark::State& state)
{
    const auto rows = static_cast<std::size_t>(state.range(0));
    const std::string body = make_reply(rows);
    const vovrest::bench::allocation_meter meter;
    for (auto _ : state)
    {
        boost::system::error_code ec;
        boost::json::value doc = boost::json::parse(body, ec);
        benchmark::DoNotOptimize(doc);
        benchmark::DoNotOptimize(ec);
    }
    meter.report(state);
    set_rows_per_second(state, rows);
}
BENCHMARK(bm_table_parse_json_dom_only)->ArgName("rows")->Arg(1)->Arg(100);

}  // namespace
