// submit_many against the fake server's faults: every job created exactly once (the server's
// own count of jobs and of duplicates says so), each id the job of its own input line, nothing
// left unknown; through a server crash and restart; a dead server is not a retry storm; the
// batch can be cancelled through its completion token.
#include "run_coroutine.hpp"
#include "sdk_fixture.hpp"

#include <vovrest/query.hpp>
#include <vovrest/submit_many.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>

#include <iostream>
#include <map>
#include <atomic>
#include <set>
#include <thread>

namespace vovrest::test {
namespace {

using namespace std::chrono_literals;

// Unique commands, so that the server's duplicate count means something.
std::vector<job_spec> numbered_jobs(int count, const std::string& prefix)
{
    std::vector<job_spec> specs(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i)
        specs[static_cast<std::size_t>(i)].command = "sleep " + prefix + std::to_string(i);
    return specs;
}

struct server_job
{
    std::int64_t id = 0;
    std::string command;
};

// Every job of the server by jobname, read in pages (the server may cap its answers).
std::map<std::string, std::vector<server_job>> jobs_by_name(asio::io_context& io, session& s)
{
    std::map<std::string, std::vector<server_job>> out;
    std::int64_t cursor = -1;
    for (;;)
    {
        auto q = query()
                     .select(std::vector<std::string>{"idint", "jobname", "command"})
                     .where("idint>" + std::to_string(cursor))
                     .order("idint")
                     .limit(5000);
        const table t = run_coroutine(io, run(s, q));
        if (t.empty())
            return out;
        for (std::size_t row = 0; row < t.size(); ++row)
        {
            cursor = t.at(row, "idint").as_int();
            out[t.at(row, "jobname").as_string()].push_back({cursor, t.at(row, "command").as_string()});
        }
    }
}

// What users rely on: each job has an id, the job of that id is this job (its jobname and its
// command), and the server holds each job exactly once.
void expect_each_job_created_once(asio::io_context& io, session& s, const std::vector<job_spec>& specs,
                                  const std::vector<submit_result>& results)
{
    ASSERT_EQ(results.size(), specs.size());
    const auto on_server = jobs_by_name(io, s);
    std::set<std::int64_t> ids;
    std::size_t missing = 0;
    for (std::size_t i = 0; i < results.size(); ++i)
    {
        const auto& r = results[i];
        if (!r.submitted())
        {
            if (++missing < 5)
                ADD_FAILURE() << "job " << i << ": " << r.message();
            continue;
        }
        EXPECT_TRUE(ids.insert(r.id->value()).second) << "id given twice: " << *r.id;
        EXPECT_TRUE(r.duplicates.empty()) << i;
        auto it = on_server.find(r.jobname);
        ASSERT_NE(it, on_server.end()) << "no job named " << r.jobname;
        ASSERT_EQ(it->second.size(), 1u) << r.jobname << " exists " << it->second.size() << " times";
        EXPECT_EQ(it->second[0].id, r.id->value()) << r.jobname;
        EXPECT_EQ(it->second[0].command, specs[i].command) << r.jobname;
    }
    EXPECT_EQ(missing, 0u);
}

submit_many_options quick_options()
{
    submit_many_options o;
    o.concurrency = 64;
    o.retry_delay = 1ms;
    o.reconcile_delay = 100ms;
    o.backoff_initial = 5ms;
    o.backoff_max = 200ms;
    return o;
}

TEST(submit_many, every_job_created_exactly_once_under_closes_drops_revocations_and_token_503s)
{
    auto sp = server_params();
    sp.job_schedule_delay = 1h;  // jobs stay put while the batch and the check run
    sp.faults.silent_close_fraction = 0.05;
    sp.faults.drop_before_response_fraction = 0.02;
    sp.faults.close_fraction = 0.10;
    sp.faults.revoke_every = 1s;
    sp.faults.fail_first_token_requests = 3;
    sp.faults.retry_after = 0s;
    sp.max_query_rows = 700;  // reconciliation pages must read a capped server to the end
    sp.seed = 11;
    testing::fake_server server(sp);
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));

    const int total = 20000;
    const auto specs = numbered_jobs(total, "exactly-once-");
    std::vector<submit_progress> seen;
    auto options = quick_options();
    options.on_progress = [&seen](const submit_progress& p) { seen.push_back(p); };
    const auto results = run_coroutine(io, submit_many(s, specs, options));

    const auto stats = server.stats();
    EXPECT_EQ(stats.jobs_created, static_cast<std::uint64_t>(total));
    EXPECT_EQ(stats.duplicate_submissions, 0u);
    ASSERT_FALSE(seen.empty());
    const submit_progress& last = seen.back();
    EXPECT_EQ(last.done, static_cast<std::size_t>(total));
    EXPECT_EQ(last.succeeded, static_cast<std::size_t>(total));
    EXPECT_EQ(last.unknown, 0u);
    EXPECT_EQ(last.failed, 0u);
    EXPECT_EQ(last.duplicates, 0u);
    EXPECT_EQ(last.phase, submit_phase::finished);
    // The faults fired, and the lost answers were settled: some found, some sent again.
    EXPECT_GT(stats.silent_closes, 0u);
    EXPECT_GT(stats.drops_before_response, 0u);
    EXPECT_GT(stats.closes_announced, 0u);
    EXPECT_EQ(stats.token_failures_injected, 3u);
    EXPECT_GE(last.found, stats.drops_before_response / 2);
    EXPECT_GT(last.queries, 0u);
    std::cout << "[ measured ] " << total << " jobs: found by query " << last.found << ", resubmitted "
              << last.resubmitted << ", queries " << last.queries << ", connection failures "
              << last.connection_failures << ", drops " << stats.drops_before_response << ", silent closes "
              << stats.silent_closes << ", announced closes " << stats.closes_announced << '\n';
    // Progress only moves forward.
    for (std::size_t i = 1; i < seen.size(); ++i)
    {
        EXPECT_GE(seen[i].done, seen[i - 1].done);
        EXPECT_GE(seen[i].found, seen[i - 1].found);
    }
    server.set_faults({});
    expect_each_job_created_once(io, s, specs, results);
}

TEST(submit_many, a_crash_and_restart_mid_batch_leaves_every_job_created_once)
{
    auto sp = server_params();
    sp.job_schedule_delay = 1h;
    sp.faults.silent_close_fraction = 0.05;
    sp.faults.drop_before_response_fraction = 0.02;
    sp.seed = 5;
    testing::fake_server server(sp);
    server.start();
    const auto faults = sp.faults;
    asio::io_context io;
    session s(io.get_executor(), client_params(server));

    const int total = 5000;
    const auto specs = numbered_jobs(total, "restart-");
    // Half-way, answers start to wait on the server's side after the job is created; once a
    // few jobs were created that way, another thread crashes the server (their answers are
    // lost). The batch backs off; after its second failed try the server starts again on the
    // same port, with its jobs.
    std::atomic<std::int64_t> crash_after_created{-1};
    std::atomic<bool> down{false};
    bool restarted = false;
    std::size_t backoffs_seen = 0;
    auto options = quick_options();
    options.on_progress = [&](const submit_progress& p) {
        if (crash_after_created < 0 && p.done >= static_cast<std::size_t>(total) / 2)
        {
            auto slow = faults;
            slow.answer_delay = 200ms;
            server.set_faults(slow);
            crash_after_created = static_cast<std::int64_t>(server.stats().jobs_created) + 8;
        }
        else if (down && !restarted && p.consecutive_connection_failures >= 2)
        {
            backoffs_seen = p.consecutive_connection_failures;
            server.start();
            restarted = true;
        }
    };
    std::thread crasher([&] {
        server.wait_until(
            [&](const testing::fake_server_stats& st) {
                return crash_after_created >= 0 && static_cast<std::int64_t>(st.jobs_created) >= crash_after_created;
            },
            60s);
        server.crash();
        server.set_faults(faults);
        down = true;
    });
    std::vector<submit_result> results;
    try
    {
        results = run_coroutine(io, submit_many(s, specs, options));
    }
    catch (...)
    {
        crasher.join();
        throw;
    }
    crasher.join();
    ASSERT_TRUE(restarted);
    EXPECT_GE(backoffs_seen, 2u);
    const auto stats = server.stats();
    EXPECT_GT(stats.answers_lost_to_crash, 0u);  // jobs created whose answer the crash lost
    EXPECT_EQ(stats.jobs_created, static_cast<std::uint64_t>(total));
    EXPECT_EQ(stats.duplicate_submissions, 0u);
    server.set_faults({});
    expect_each_job_created_once(io, s, specs, results);
}

TEST(submit_many, a_dead_server_is_not_a_retry_storm)
{
    auto sp = server_params();
    testing::fake_server server(sp);
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));
    const auto specs = numbered_jobs(2000, "dead-");
    auto options = quick_options();
    options.concurrency = 32;
    options.backoff_initial = 1ms;
    options.backoff_max = 20ms;
    bool killed = false;
    submit_progress last;
    options.on_progress = [&](const submit_progress& p) {
        last = p;
        if (!killed && p.done >= 200)
        {
            server.crash();  // and it never comes back
            killed = true;
        }
    };
    const auto results = run_coroutine(io, submit_many(s, specs, options));
    ASSERT_TRUE(killed);
    const auto created = server.stats().jobs_created;
    std::size_t submitted = 0, not_sent = 0, unknown = 0;
    for (const auto& r : results)
    {
        submitted += r.submitted();
        unknown += r.unknown();
        if (r.failed())
        {
            EXPECT_EQ(r.error, error::connection_failed) << r.message();
            not_sent += r.message().find("not sent") != std::string::npos;
        }
    }
    // The default rule stopped the batch after 10 failed tries in a row, each after a longer
    // wait: the jobs left were never tried, instead of ~1800 jobs each tried three times.
    EXPECT_EQ(last.consecutive_connection_failures, 10u);
    EXPECT_GE(submitted, 200u);
    EXPECT_LE(submitted, created);
    EXPECT_LE(created, submitted + unknown);
    EXPECT_GT(not_sent, 1500u);
    EXPECT_LT(last.connection_failures, 100u);
    EXPECT_LT(s.counters().retries, 300u);
    EXPECT_EQ(last.last_error, error::connection_failed);
}

TEST(submit_many, terminal_cancellation_through_the_completion_token)
{
    auto sp = server_params();
    sp.job_schedule_delay = 1h;
    testing::fake_server server(sp);
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));
    const auto specs = numbered_jobs(3000, "cancel-");
    asio::cancellation_signal signal;
    auto options = quick_options();
    bool emitted = false;
    options.on_progress = [&](const submit_progress& p) {
        if (!emitted && p.done >= 300)
        {
            emitted = true;
            // Not from inside the callback (it runs under the batch's lock): posted.
            asio::post(io, [&signal] { signal.emit(asio::cancellation_type::terminal); });
        }
    };
    boost::system::error_code batch_ec;
    std::vector<submit_result> results;
    async_submit_many(
        s, specs, options,
        asio::bind_cancellation_slot(signal.slot(), [&](boost::system::error_code ec, std::vector<submit_result> r) {
            batch_ec = ec;
            results = std::move(r);
        }));
    io.run();
    EXPECT_EQ(batch_ec, asio::error::operation_aborted);
    ASSERT_EQ(results.size(), specs.size());
    std::size_t submitted = 0, aborted = 0, unknown = 0;
    for (const auto& r : results)
    {
        submitted += r.submitted();
        unknown += r.unknown();
        aborted += r.error == asio::error::operation_aborted;
    }
    EXPECT_GE(submitted, 300u);
    EXPECT_GT(aborted, 2000u);  // never sent
    const auto stats = server.stats();
    EXPECT_GE(stats.jobs_created, submitted);
    EXPECT_LE(stats.jobs_created, submitted + unknown);  // cancelled in flight: maybe created
    EXPECT_EQ(stats.duplicate_submissions, 0u);
}

TEST(submit_many, any_completion_token_use_future)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));
    const auto specs = numbered_jobs(100, "future-");
    auto future = async_submit_many(s, specs, quick_options(), asio::use_future);
    io.run();
    const auto results = future.get();
    ASSERT_EQ(results.size(), 100u);
    for (const auto& r : results)
        EXPECT_TRUE(r.submitted()) << r.message();
    EXPECT_EQ(server.stats().jobs_created, 100u);
}

TEST(submit_many, partial_cancellation_results_have_no_unknown)
{
    auto sp = server_params();
    sp.job_schedule_delay = 1h;
    sp.faults.drop_before_response_fraction = 0.05;
    sp.seed = 4;
    testing::fake_server server(sp);
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));
    const auto specs = numbered_jobs(3000, "partial2-");
    asio::cancellation_signal signal;
    auto options = quick_options();
    bool emitted = false;
    options.on_progress = [&](const submit_progress& p) {
        if (!emitted && p.done >= 500)
        {
            emitted = true;
            asio::post(io, [&signal] { signal.emit(asio::cancellation_type::partial); });
        }
    };
    boost::system::error_code batch_ec;
    std::vector<submit_result> results;
    async_submit_many(
        s, specs, options,
        asio::bind_cancellation_slot(signal.slot(), [&](boost::system::error_code ec, std::vector<submit_result> r) {
            batch_ec = ec;
            results = std::move(r);
        }));
    io.run();
    EXPECT_EQ(batch_ec, asio::error::operation_aborted);
    std::size_t submitted = 0, unknown = 0, aborted = 0;
    for (const auto& r : results)
    {
        submitted += r.submitted();
        unknown += r.unknown();
        aborted += r.error == asio::error::operation_aborted;
    }
    EXPECT_EQ(unknown, 0u);  // the lost answers of the jobs in flight were looked for
    EXPECT_EQ(submitted + aborted, specs.size());
    EXPECT_EQ(server.stats().jobs_created, submitted);
    EXPECT_EQ(server.stats().duplicate_submissions, 0u);
}

TEST(submit_many, callers_unique_jobnames_are_the_tags_even_with_spaces_and_quotes)
{
    auto sp = server_params();
    sp.job_schedule_delay = 1h;
    sp.faults.drop_before_response_fraction = 0.2;
    sp.seed = 9;
    testing::fake_server server(sp);
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));
    auto specs = numbered_jobs(200, "named-");
    for (std::size_t i = 0; i < specs.size(); ++i)
        specs[i].jobname = "nightly run \"" + std::to_string(i) + "\"";
    auto options = quick_options();
    options.jobnames_unique = true;
    const auto results = run_coroutine(io, submit_many(s, specs, options));
    for (std::size_t i = 0; i < results.size(); ++i)
        EXPECT_EQ(results[i].jobname, specs[i].jobname);
    EXPECT_EQ(server.stats().jobs_created, 200u);
    EXPECT_EQ(server.stats().duplicate_submissions, 0u);
    server.set_faults({});
    expect_each_job_created_once(io, s, specs, results);
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
    }
    EXPECT_EQ(server.stats().jobs_created, 48u);
    EXPECT_TRUE(run_coroutine(io, submit_many(s, std::span<const job_spec>{})).empty());
}

TEST(submit_many, a_bad_tag_prefix_is_invalid_argument_before_anything_is_sent)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));
    submit_many_options options;
    options.tag_prefix = "no spaces";
    EXPECT_THROW(run_coroutine(io, submit_many(s, numbered_jobs(3, "bad-"), options)), error_with_diagnostics);
    EXPECT_EQ(server.stats().requests, 0u);
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

TEST(jobs_submit, a_tagged_submit_settles_its_lost_answer_by_query)
{
    auto sp = server_params();
    sp.job_schedule_delay = 1h;
    testing::fake_server server(sp);
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));
    ASSERT_TRUE(authorize_now(io, s));
    // The POST is carried out and its answer lost; the server heals before the query (which
    // waits reconcile_delay, a second) looks for it.
    auto faults = sp.faults;
    faults.drop_before_response_fraction = 1.0;
    server.set_faults(faults);
    std::thread healer([&server] {
        server.wait_until([](const testing::fake_server_stats& st) { return st.drops_before_response > 0; }, 20s);
        server.set_faults({});
    });
    job_spec spec;
    spec.command = "sleep tagged";
    spec.jobname = "tagged-once";
    job_id id;
    try
    {
        id = run_coroutine(io, jobs::submit(s, spec, jobs::reconcile_tag{true, "vovrest"}));
    }
    catch (...)
    {
        healer.join();
        throw;
    }
    healer.join();
    const auto stats = server.stats();
    EXPECT_EQ(stats.jobs_created, 1u);
    EXPECT_EQ(stats.drops_before_response, 1u);
    EXPECT_EQ(count_of(stats.requests_by_route, "POST /api/v3/jobs"), 1u);  // found, not sent again
    const auto on_server = jobs_by_name(io, s);
    ASSERT_EQ(on_server.at("tagged-once").size(), 1u);
    EXPECT_EQ(on_server.at("tagged-once")[0].id, id.value());
}

}  // namespace
}  // namespace vovrest::test
