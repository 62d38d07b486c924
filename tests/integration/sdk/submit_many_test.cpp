// submit_many against the fake server's faults: every job accounted for in input order (id,
// error or unknown), never a duplicate, and the unknown ones settled by a query on jobname, as
// docs/reconciling-unknown-outcomes.md tells users to do.
#include "run_coroutine.hpp"
#include "sdk_fixture.hpp"

#include <vovrest/query.hpp>
#include <vovrest/submit_many.hpp>

#include <map>
#include <set>

namespace vovrest::test {
namespace {

using namespace std::chrono_literals;

// Unique commands (the server counts a repeated command as a duplicate) and unique jobnames.
std::vector<job_spec> numbered_jobs(int count, const std::string& prefix)
{
    std::vector<job_spec> specs(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i)
    {
        specs[static_cast<std::size_t>(i)].command = "sleep " + prefix + std::to_string(i);
        specs[static_cast<std::size_t>(i)].jobname = prefix + std::to_string(i);
    }
    return specs;
}

struct tally
{
    std::size_t succeeded = 0, failed = 0, unknown = 0;
};

tally count(const std::vector<submit_result>& results)
{
    tally t;
    for (const auto& r : results)
    {
        t.succeeded += r.submitted();
        t.failed += r.failed();
        t.unknown += r.unknown();
    }
    return t;
}

TEST(submit_many, every_job_accounted_for_under_drops_503s_silent_closes_and_revocations)
{
    auto sp = server_params();
    sp.job_schedule_delay = 1h;  // jobs stay put: nothing changes under the final query
    sp.faults.drop_before_response_fraction = 0.03;
    sp.faults.fail_fraction = 0.05;
    sp.faults.retry_after = 0s;
    sp.faults.silent_close_fraction = 0.03;
    sp.seed = 7;
    testing::fake_server server(sp);
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));

    constexpr int total = 2000;
    const auto specs = numbered_jobs(total, "many-");
    std::vector<submit_progress> seen;
    submit_many_options options;
    options.concurrency = 32;
    options.retry_delay = 1ms;
    options.on_progress = [&seen, &server](const submit_progress& p) {
        seen.push_back(p);
        if (p.done % 400 == 0)
            server.revoke_all_tokens();  // every token dies mid-batch: replays, not failures
    };
    const auto results = run_coroutine(io, submit_many(s, specs, options));

    ASSERT_EQ(results.size(), static_cast<std::size_t>(total));
    const tally t = count(results);
    EXPECT_EQ(t.succeeded + t.failed + t.unknown, static_cast<std::size_t>(total));
    EXPECT_GT(t.succeeded, static_cast<std::size_t>(total) * 8 / 10);
    EXPECT_GT(t.unknown, 0u);  // drops happened and were reported, not hidden
    for (const auto& r : results)
    {
        if (r.unknown())
        {
            EXPECT_FALSE(r.message().empty());
        }
        else if (r.failed())  // only a 503 three times in a row may fail a job here
        {
            EXPECT_EQ(r.error, error::server_error) << r.message();
        }
    }

    // The progress callback saw every job, once, in order of completion.
    ASSERT_EQ(seen.size(), static_cast<std::size_t>(total));
    for (std::size_t i = 0; i < seen.size(); ++i)
    {
        EXPECT_EQ(seen[i].done, i + 1);
        EXPECT_EQ(seen[i].total, static_cast<std::size_t>(total));
        EXPECT_EQ(seen[i].succeeded + seen[i].failed + seen[i].unknown, i + 1);
    }
    EXPECT_EQ(seen.back().succeeded, t.succeeded);
    EXPECT_EQ(seen.back().unknown, t.unknown);

    auto stats = server.stats();
    EXPECT_EQ(stats.duplicate_submissions, 0u);
    EXPECT_GE(stats.jobs_created, t.succeeded);
    EXPECT_LE(stats.jobs_created, t.succeeded + t.unknown);
    EXPECT_GE(stats.revocations, 5u);
    EXPECT_GT(stats.failures_injected, 0u);
    EXPECT_GT(stats.drops_before_response, 0u);
    EXPECT_GT(s.counters().replays, 0u);

    // Each id is the job of its own input line, and the unknown ones are settled by jobname.
    server.set_faults({});
    table jobs_table = run_coroutine(io, run(s, query().select({"idint", "jobname"})));
    std::map<std::string, std::int64_t> id_by_name;
    for (std::size_t row = 0; row < jobs_table.size(); ++row)
        id_by_name[jobs_table.at(row, "jobname").as_string()] = jobs_table.at(row, "idint").as_int();
    ASSERT_EQ(id_by_name.size(), stats.jobs_created);
    std::size_t unknown_found = 0;
    std::set<std::int64_t> ids;
    for (std::size_t i = 0; i < results.size(); ++i)
    {
        auto it = id_by_name.find(specs[i].jobname);
        if (results[i].submitted())
        {
            ASSERT_NE(it, id_by_name.end()) << i;
            EXPECT_EQ(it->second, results[i].id->value()) << i;
            ids.insert(results[i].id->value());
        }
        else if (results[i].unknown())
        {
            unknown_found += it != id_by_name.end();
        }
        else
        {
            EXPECT_TRUE(it == id_by_name.end()) << "a failed job exists: " << i;
        }
    }
    EXPECT_EQ(ids.size(), t.succeeded);
    EXPECT_EQ(stats.jobs_created, t.succeeded + unknown_found);
}

TEST(submit_many, results_keep_input_order_and_bad_specs_fail_alone)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));
    auto specs = numbered_jobs(50, "order-");
    specs[10].command.clear();
    specs[20].command.clear();
    submit_many_options options;
    options.concurrency = 7;
    const auto results = run_coroutine(io, submit_many(s, specs, options));
    ASSERT_EQ(results.size(), 50u);
    for (std::size_t i = 0; i < results.size(); ++i)
    {
        if (i == 10 || i == 20)
        {
            EXPECT_EQ(results[i].error, error::bad_request);
            EXPECT_TRUE(results[i].failed());
            continue;
        }
        ASSERT_TRUE(results[i].submitted()) << results[i].message();
        EXPECT_TRUE(results[i].message().empty());
        if (i > 0 && results[i - 1].submitted())
        {
            EXPECT_NE(*results[i].id, *results[i - 1].id);
        }
    }
    EXPECT_EQ(server.stats().jobs_created, 48u);
    EXPECT_TRUE(run_coroutine(io, submit_many(s, std::span<const job_spec>{})).empty());
}

TEST(submit_many, a_server_that_keeps_refusing_fails_each_job_after_its_attempts)
{
    auto sp = server_params();
    sp.faults.fail_fraction = 1.0;
    sp.faults.retry_after = 0s;
    testing::fake_server server(sp);
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));
    submit_many_options options;
    options.max_attempts = 3;
    options.retry_delay = 1ms;
    const auto results = run_coroutine(io, submit_many(s, numbered_jobs(20, "refused-"), options));
    for (const auto& r : results)
    {
        EXPECT_EQ(r.error, error::server_error);
        EXPECT_EQ(r.diag.http_status, 503u);
    }
    const auto stats = server.stats();
    EXPECT_EQ(stats.jobs_created, 0u);
    EXPECT_EQ(count_of(stats.requests_by_route, "POST /api/v3/jobs"), 60u);  // 20 jobs x 3 attempts
}

TEST(submit_many, wrong_password_fails_every_job_without_hammering_the_token_endpoint)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server, "wrong"));
    const auto results = run_coroutine(io, submit_many(s, numbered_jobs(100, "denied-")));
    for (const auto& r : results)
        EXPECT_EQ(r.error, error::authentication_failed);
    const auto stats = server.stats();
    EXPECT_EQ(stats.jobs_created, 0u);
    EXPECT_LE(stats.token_requests, 2u);
}

}  // namespace
}  // namespace vovrest::test
