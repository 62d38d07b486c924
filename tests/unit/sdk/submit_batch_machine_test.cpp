// submit_many's decisions stepped by hand against a scripted server: a fake clock, a jobs table
// in memory that answers the machine's queries as the fake Accelerator would (contains, ==,
// idint>, order, limit, a cap on rows), and a script that says how each POST ends.
#include <vovrest/detail/submit_batch_machine.hpp>
#include <vovrest/error.hpp>

#include <boost/asio/error.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using namespace vovrest::detail;
using vovrest::error;
using vovrest::job_id;
using vovrest::job_spec;
using vovrest::submit_many_options;
using vovrest::submit_phase;
using vovrest::submit_progress;
using vovrest::submit_result;

// How one POST ends.
enum class plan
{
    created,           // answered with an id
    lost_created,      // carried out, answer lost
    lost_not_created,  // never read by the server, answer lost
    not_sent,          // connection refused: nothing reached the server
    busy,              // 503 + Retry-After
    refused,           // 400
    gateway_created,   // 504 from a proxy, the server having created the job
    token_refused,     // 401 on a fresh token too: nothing done
};

// The server's jobs, and its query engine for the rules the machine writes.
struct scripted_server
{
    std::vector<found_row> jobs;  // in id order
    std::int64_t next_id = 1000;
    std::size_t cap = 0;           // rows per answer at most (0: none)
    bool descending = false;       // ignores order=idint and answers newest first
    unsigned failing_queries = 0;  // the next N queries fail with a 500

    std::int64_t create(const std::string& name)
    {
        jobs.push_back({next_id, name});
        return next_id++;
    }

    std::size_t count(const std::string& name) const
    {
        return static_cast<std::size_t>(
            std::count_if(jobs.begin(), jobs.end(), [&](const found_row& r) { return r.jobname == name; }));
    }

    static std::string unquote(std::string v)
    {
        if (v.size() < 2 || v.front() != '"')
            return v;
        std::string out;
        for (std::size_t i = 1; i + 1 < v.size(); ++i)
        {
            if (v[i] == '\\')
                ++i;
            out += v[i];
        }
        return out;
    }

    std::vector<found_row> answer(const query_spec& q) const
    {
        std::string contains, equals;
        std::optional<std::int64_t> after;
        std::string where = q.where;
        if (const auto at = where.find(" idint>"); at != std::string::npos)
        {
            after = std::stoll(where.substr(at + 7));
            where = where.substr(0, at);
        }
        if (where.starts_with("jobname~"))
            contains = where.substr(8);
        else if (where.starts_with("jobname=="))
            equals = unquote(where.substr(9));
        else
            ADD_FAILURE() << "unexpected rule " << q.where;
        std::vector<found_row> rows;
        for (const auto& j : jobs)
        {
            if (after && j.idint <= *after)
                continue;
            if (!contains.empty() && j.jobname.find(contains) == std::string::npos)
                continue;
            if (!equals.empty() && j.jobname != equals)
                continue;
            rows.push_back(j);
        }
        if (descending)
            std::reverse(rows.begin(), rows.end());
        std::size_t keep = rows.size();
        if (q.limit != 0)
            keep = std::min(keep, q.limit);
        if (cap != 0)
            keep = std::min(keep, cap);
        rows.resize(keep);
        return rows;
    }
};

class submit_batch_machine_test : public ::testing::Test
{
protected:
    submit_batch_machine_test()
    {
        options.tag_prefix = "t";
        options.reconcile_delay = 0s;
        options.retry_delay = 10ms;
    }

    void make_jobs(std::size_t n)
    {
        specs.resize(n);
        for (std::size_t i = 0; i < n; ++i)
            specs[i].command = "sleep " + std::to_string(i);
    }

    submit_batch_machine& machine()
    {
        if (!machine_)
            machine_.emplace(specs, options, "b", now, [] { return 1.0; });
        return *machine_;
    }

    post_result carry_out(std::size_t job, const std::string& jobname)
    {
        const unsigned attempt = ++posts_of[job];
        ++posts;
        post_result r;
        switch (script ? script(job, attempt) : plan::created)
        {
        case plan::created: r.id = job_id(server.create(jobname)); break;
        case plan::lost_created:
            server.create(jobname);
            r.ec = error::outcome_unknown;
            break;
        case plan::lost_not_created: r.ec = error::outcome_unknown; break;
        case plan::not_sent:
            r.ec = error::connection_failed;
            r.diag.client_message = "Connection refused";
            break;
        case plan::busy:
            r.ec = error::server_error;
            r.diag.http_status = 503;
            r.retry_after = 1s;
            break;
        case plan::gateway_created:
            server.create(jobname);
            r.ec = error::server_error;
            r.diag.http_status = 504;
            break;
        case plan::token_refused:
            r.ec = error::unauthorized;
            r.diag.http_status = 401;
            break;
        case plan::refused:
            r.ec = error::bad_request;
            r.diag.http_status = 400;
            r.diag.server_message = "no";
            break;
        }
        return r;
    }

    // Carries out one action at once; false when the machine is done.
    bool step()
    {
        batch_action a = machine().next(now);
        switch (a.kind)
        {
        case batch_action_kind::done: return false;
        case batch_action_kind::wait:
            if (a.until == batch_time::max())
            {
                ADD_FAILURE() << "the machine waits for nothing (nothing is in flight)";
                return false;
            }
            EXPECT_GT(a.until, now);
            waits.push_back(a.until - now);
            now = a.until;
            break;
        case batch_action_kind::submit:
            sent_names.emplace_back(a.jobname);
            machine().post_done(now, a.job, carry_out(a.job, std::string(a.jobname)));
            break;
        case batch_action_kind::query:
            if (queries.empty())
                posts_at_first_query = posts;
            queries.push_back(a.query);
            if (server.failing_queries > 0)
            {
                --server.failing_queries;
                vovrest::diagnostics d;
                d.http_status = 500;
                d.server_message = "query service down";
                machine().query_failed(now, a.query_id, error::server_error, d);
            }
            else
            {
                machine().query_done(now, a.query_id, server.answer(a.query));
            }
            break;
        }
        if (machine().take_progress())
            progress_seen.push_back(machine().progress());
        return true;
    }

    std::vector<submit_result> run()
    {
        for (int i = 0; i < 1000000; ++i)
            if (!step())
                return machine().take_results();
        ADD_FAILURE() << "the batch never ended";
        return {};
    }

    std::vector<job_spec> specs;
    submit_many_options options;
    scripted_server server;
    std::function<plan(std::size_t job, unsigned attempt)> script;
    const batch_time t0 = batch_time{} + 1000s;
    batch_time now = t0;
    std::map<std::size_t, unsigned> posts_of;
    std::size_t posts = 0;
    std::size_t posts_at_first_query = 0;
    std::vector<query_spec> queries;
    std::vector<std::string> sent_names;
    std::vector<std::chrono::steady_clock::duration> waits;
    std::vector<submit_progress> progress_seen;
    std::optional<submit_batch_machine> machine_;
};

// Every job has an id, each created exactly once, and the server's jobs are one per tag.
void expect_exactly_once(const std::vector<submit_result>& results, const scripted_server& server)
{
    std::set<std::int64_t> ids;
    for (const auto& r : results)
    {
        ASSERT_TRUE(r.submitted()) << r.message();
        EXPECT_TRUE(ids.insert(r.id->value()).second);
        EXPECT_EQ(server.count(r.jobname), 1u) << r.jobname;
        EXPECT_TRUE(r.duplicates.empty());
    }
    EXPECT_EQ(server.jobs.size(), results.size());
}

TEST_F(submit_batch_machine_test, nothing_lost_means_no_query_and_generated_tags)
{
    make_jobs(5);
    specs[2].jobname = "nightly";
    const auto results = run();
    expect_exactly_once(results, server);
    EXPECT_TRUE(queries.empty());
    EXPECT_EQ(posts, 5u);
    EXPECT_EQ(results[0].jobname, "t-b-0");
    EXPECT_EQ(results[2].jobname, "nightly.t-b-2");
    const auto& p = machine().progress();
    EXPECT_EQ(p.succeeded, 5u);
    EXPECT_EQ(p.done, 5u);
    EXPECT_EQ(p.phase, submit_phase::finished);
}

TEST_F(submit_batch_machine_test, lost_answer_of_a_created_job_is_found_by_query)
{
    make_jobs(10);
    script = [](std::size_t job, unsigned) { return job == 3 ? plan::lost_created : plan::created; };
    const auto results = run();
    expect_exactly_once(results, server);
    EXPECT_TRUE(results[3].found_by_query);
    EXPECT_EQ(posts, 10u);  // never sent again
    ASSERT_EQ(queries.size(), 1u);
    EXPECT_EQ(queries[0].where, "jobname==t-b-3");  // one unknown: its own tag is cheaper than pages
    const auto& p = machine().progress();
    EXPECT_EQ(p.found, 1u);
    EXPECT_EQ(p.resubmitted, 0u);
    EXPECT_EQ(p.queries, 1u);
    EXPECT_EQ(p.unknown, 0u);
}

TEST_F(submit_batch_machine_test, lost_answer_of_a_job_never_created_is_sent_again_once)
{
    make_jobs(10);
    script = [](std::size_t job, unsigned attempt) {
        return job == 7 && attempt == 1 ? plan::lost_not_created : plan::created;
    };
    const auto results = run();
    expect_exactly_once(results, server);
    EXPECT_FALSE(results[7].found_by_query);
    EXPECT_EQ(posts_of[7], 2u);
    EXPECT_EQ(sent_names.back(), "t-b-7");  // the same tag again
    EXPECT_EQ(machine().progress().resubmitted, 1u);
    EXPECT_EQ(machine().progress().found, 0u);
    // Waiting for a look while lost, then not any more.
    EXPECT_TRUE(std::any_of(progress_seen.begin(), progress_seen.end(),
                            [](const submit_progress& p) { return p.awaiting_reconciliation == 1; }));
    for (const auto& p : progress_seen)
        EXPECT_LE(p.awaiting_reconciliation, 1u);
    EXPECT_EQ(machine().progress().awaiting_reconciliation, 0u);
}

TEST_F(submit_batch_machine_test, a_gateway_error_may_hide_a_created_job_so_it_is_looked_for)
{
    make_jobs(3);
    script = [](std::size_t job, unsigned) { return job == 1 ? plan::gateway_created : plan::created; };
    const auto results = run();
    expect_exactly_once(results, server);
    EXPECT_TRUE(results[1].found_by_query);
    EXPECT_EQ(posts, 3u);
}

TEST_F(submit_batch_machine_test, a_query_is_made_only_after_the_lost_answer_plus_the_delay)
{
    options.reconcile_delay = 2s;
    make_jobs(3);
    script = [](std::size_t job, unsigned) { return job == 0 ? plan::lost_created : plan::created; };
    const auto results = run();
    expect_exactly_once(results, server);
    ASSERT_EQ(waits.size(), 1u);
    EXPECT_EQ(waits[0], 2s);
}

TEST_F(submit_batch_machine_test, pages_over_the_prefix_read_a_capped_server_to_the_end)
{
    make_jobs(3000);
    options.query_page_rows = 1000;
    server.cap = 400;  // the server answers at most 400 rows whatever the limit
    script = [](std::size_t job, unsigned attempt) {
        if (attempt == 1 && job % 60 == 0)
            return plan::lost_created;
        if (attempt == 1 && job % 60 == 30)
            return plan::lost_not_created;
        return plan::created;
    };
    const auto results = run();
    expect_exactly_once(results, server);
    const auto& p = machine().progress();
    EXPECT_EQ(p.found, 50u);
    EXPECT_EQ(p.resubmitted, 50u);
    // Round 1: 100 lost answers, 3000 jobs sent: pages (4 asked) beat 100 tag queries; the
    // capped server needs 3000 / 400 = 8 pages, and one more that comes back empty. Round 2:
    // the 50 resubmitted ones all answered, so no second round.
    ASSERT_EQ(queries.size(), 9u);
    EXPECT_EQ(queries[0].where, "jobname~t-b-");
    EXPECT_TRUE(queries[0].order_by_id);
    EXPECT_EQ(queries[0].limit, 1000u);
    EXPECT_EQ(queries[1].where, "jobname~t-b- idint>" + std::to_string(1000 + 399));
}

TEST_F(submit_batch_machine_test, pages_out_of_order_fall_back_to_one_query_per_tag)
{
    make_jobs(3000);
    server.cap = 400;
    server.descending = true;  // order=idint ignored: keyset paging would skip rows
    script = [](std::size_t job, unsigned attempt) {
        return attempt == 1 && job % 100 == 0 ? plan::lost_created : plan::created;
    };
    const auto results = run();
    expect_exactly_once(results, server);
    EXPECT_EQ(machine().progress().found, 30u);
    EXPECT_EQ(machine().progress().resubmitted, 0u);
    std::size_t by_tag = 0;
    for (const auto& q : queries)
        by_tag += q.where.starts_with("jobname==");
    EXPECT_GT(by_tag, 0u);
    EXPECT_LE(by_tag, 30u);
}

TEST_F(submit_batch_machine_test, query_failures_are_retried_then_leave_the_job_unknown)
{
    make_jobs(4);
    options.max_query_attempts = 3;
    script = [](std::size_t job, unsigned attempt) {
        return job == 1 && attempt == 1 ? plan::lost_not_created : plan::created;
    };
    server.failing_queries = 2;  // two failures, then an answer: not found, sent again
    auto results = run();
    expect_exactly_once(results, server);
    EXPECT_EQ(queries.size(), 3u);
    EXPECT_EQ(posts_of[1], 2u);

    // Now the query never works: the job stays unknown, never resent, its cause said.
    machine_.reset();
    server = scripted_server{};
    queries.clear();
    posts_of.clear();
    server.failing_queries = 100;
    results = run();
    EXPECT_TRUE(results[1].unknown());
    EXPECT_NE(results[1].message().find("query service down"), std::string::npos) << results[1].message();
    EXPECT_EQ(posts_of[1], 1u);
    EXPECT_EQ(queries.size(), 3u);
    EXPECT_EQ(machine().progress().unknown, 1u);
    EXPECT_EQ(machine().progress().succeeded, 3u);
}

TEST_F(submit_batch_machine_test, a_job_never_found_fails_after_the_last_round)
{
    make_jobs(2);
    options.max_reconcile_rounds = 3;
    script = [](std::size_t job, unsigned) { return job == 0 ? plan::lost_not_created : plan::created; };
    const auto results = run();
    EXPECT_TRUE(results[0].failed());
    EXPECT_EQ(results[0].error, error::connection_failed);
    EXPECT_NE(results[0].message().find("not created"), std::string::npos) << results[0].message();
    EXPECT_EQ(posts_of[0], 3u);  // looked for three times, sent again after each look but the last
    EXPECT_EQ(queries.size(), 3u);
    EXPECT_EQ(server.count("t-b-0"), 0u);
    EXPECT_EQ(machine().progress().failed, 1u);
    EXPECT_EQ(machine().progress().resubmitted, 2u);
}

TEST_F(submit_batch_machine_test, a_job_given_up_on_that_a_later_page_finds_gets_its_id)
{
    make_jobs(40);
    options.max_reconcile_rounds = 1;
    options.reconcile_after_unknowns = 2;
    // Jobs 0 and 1 are lost and their one look (a page) finds nothing: failed. The server then
    // creates job 0 late; the next round pages over the batch (for jobs 10 and 11) and sees it.
    script = [this](std::size_t job, unsigned) {
        if (job < 2)
            return plan::lost_not_created;
        if (job == 5)
            server.create("t-b-0");
        return job == 10 || job == 11 ? plan::lost_created : plan::created;
    };
    const auto results = run();
    ASSERT_EQ(queries.size(), 3u);  // an empty page, then a page with rows and an empty one
    ASSERT_TRUE(results[0].submitted()) << results[0].message();
    EXPECT_TRUE(results[0].found_by_query);
    EXPECT_EQ(results[0].id->value(), server.jobs[3].idint);
    EXPECT_TRUE(results[1].failed());
    EXPECT_EQ(machine().progress().failed, 1u);
    EXPECT_EQ(machine().progress().succeeded, 39u);
    EXPECT_EQ(machine().progress().found, 3u);
}

TEST_F(submit_batch_machine_test, two_jobs_under_one_tag_give_the_first_id_and_report_the_other)
{
    make_jobs(3);
    // A slow server carried out the lost POST after the query that looked for it: the job exists
    // twice by the time of the next round.
    script = [this](std::size_t job, unsigned attempt) {
        if (job != 0)
            return plan::created;
        if (attempt == 1)
            return plan::lost_not_created;
        server.create("t-b-0");  // the first POST, carried out late
        return plan::lost_created;
    };
    const auto results = run();
    ASSERT_TRUE(results[0].submitted());
    EXPECT_EQ(server.count("t-b-0"), 2u);
    ASSERT_EQ(results[0].duplicates.size(), 1u);
    EXPECT_LT(results[0].id->value(), results[0].duplicates[0].value());
    EXPECT_EQ(machine().progress().duplicates, 1u);
}

TEST_F(submit_batch_machine_test, duplicates_of_answered_jobs_seen_on_pages_are_reported)
{
    make_jobs(40);
    script = [](std::size_t job, unsigned) { return job < 10 ? plan::lost_created : plan::created; };
    server.create("t-b-20");  // the batch's job 20 exists twice (created before the batch's POST)
    const auto results = run();
    ASSERT_TRUE(results[20].submitted());
    ASSERT_EQ(results[20].duplicates.size(), 1u);
    EXPECT_EQ(results[20].duplicates[0], job_id(1000));
    EXPECT_EQ(machine().progress().duplicates, 1u);
    EXPECT_EQ(machine().progress().found, 10u);
}

TEST_F(submit_batch_machine_test, caller_jobnames_are_tags_only_when_unique_in_the_batch)
{
    make_jobs(5);
    options.jobnames_unique = true;
    specs[0].jobname = "a";
    specs[1].jobname = "a";    // repeated: gets a generated tag
    specs[2].jobname = "b c";  // unique, with a space: quoted in the rule
    specs[3].jobname = "";     // empty: generated
    specs[4].jobname = "d";
    script = [](std::size_t, unsigned attempt) { return attempt == 1 ? plan::lost_created : plan::created; };
    const auto results = run();
    expect_exactly_once(results, server);
    EXPECT_EQ(results[0].jobname, "a.t-b-0");
    EXPECT_EQ(results[1].jobname, "a.t-b-1");
    EXPECT_EQ(results[2].jobname, "b c");
    EXPECT_EQ(results[3].jobname, "t-b-3");
    EXPECT_EQ(results[4].jobname, "d");
    std::set<std::string> rules;
    for (const auto& q : queries)
        rules.insert(q.where);
    EXPECT_TRUE(rules.count("jobname==\"b c\"")) << *rules.begin();
    EXPECT_TRUE(rules.count("jobname==d"));
    EXPECT_EQ(machine().progress().found, 5u);
}

TEST_F(submit_batch_machine_test, without_reconciliation_a_lost_answer_is_final_and_names_are_untouched)
{
    make_jobs(3);
    options.reconcile = false;
    specs[1].jobname = "mine";
    script = [](std::size_t job, unsigned) { return job == 1 ? plan::lost_created : plan::created; };
    const auto results = run();
    EXPECT_TRUE(results[1].unknown());
    EXPECT_EQ(results[1].jobname, "mine");
    EXPECT_EQ(results[0].jobname, "");
    EXPECT_TRUE(queries.empty());
    EXPECT_EQ(machine().progress().unknown, 1u);
}

TEST_F(submit_batch_machine_test, reconciles_mid_batch_once_enough_answers_are_lost)
{
    make_jobs(20);
    options.reconcile_after_unknowns = 2;
    script = [](std::size_t job, unsigned attempt) {
        return attempt == 1 && (job == 1 || job == 2) ? plan::lost_created : plan::created;
    };
    const auto results = run();
    expect_exactly_once(results, server);
    ASSERT_FALSE(queries.empty());
    // The round ran right after job 2's answer was lost, long before job 19 was sent.
    EXPECT_EQ(posts_at_first_query, 3u);
    EXPECT_EQ(queries[0].where, "jobname~t-b-");
    EXPECT_EQ(machine().progress().found, 2u);
}

TEST_F(submit_batch_machine_test, not_now_answers_wait_for_retry_after_then_fail_after_max_attempts)
{
    make_jobs(2);
    options.max_attempts = 3;
    script = [](std::size_t job, unsigned attempt) {
        if (job == 0)
            return attempt < 3 ? plan::busy : plan::created;
        return plan::busy;
    };
    const auto results = run();
    EXPECT_TRUE(results[0].submitted());
    EXPECT_TRUE(results[1].failed());
    EXPECT_EQ(results[1].diag.http_status, 503u);
    EXPECT_EQ(posts, 6u);
    for (const auto w : waits)
        EXPECT_EQ(w, 1s);  // Retry-After
}

TEST_F(submit_batch_machine_test, a_refused_token_is_not_now_not_a_failure)
{
    make_jobs(2);
    script = [](std::size_t job, unsigned attempt) {
        return job == 0 && attempt == 1 ? plan::token_refused : plan::created;
    };
    const auto results = run();
    expect_exactly_once(results, server);
    EXPECT_EQ(posts_of[0], 2u);
    ASSERT_EQ(waits.size(), 1u);
    EXPECT_EQ(waits[0], 10ms);  // retry_delay
}

TEST_F(submit_batch_machine_test, a_dead_server_gets_one_probe_per_growing_wait_then_the_batch_stops)
{
    make_jobs(1000);
    script = [](std::size_t, unsigned) { return plan::not_sent; };
    const auto results = run();
    // Ten probes, one per wait (100 ms doubled up to 10 s, jitter fixed at its top), then the
    // default rule stops the batch: nothing like a retry per job.
    EXPECT_EQ(posts, 10u);
    const std::vector<std::chrono::steady_clock::duration> expected{100ms,  200ms,  400ms, 800ms, 1600ms,
                                                                    3200ms, 6400ms, 10s,   10s};
    EXPECT_EQ(waits, expected);
    for (const auto& r : results)
    {
        EXPECT_TRUE(r.failed());
        EXPECT_EQ(r.error, error::connection_failed);
    }
    EXPECT_NE(results[999].message().find("not sent"), std::string::npos) << results[999].message();
    const auto& p = machine().progress();
    EXPECT_EQ(p.consecutive_connection_failures, 10u);
    EXPECT_EQ(p.last_error, error::connection_failed);
    EXPECT_EQ(p.failed, 1000u);
    // The phases went through backing off to stopping.
    EXPECT_TRUE(std::any_of(progress_seen.begin(), progress_seen.end(),
                            [](const submit_progress& s) { return s.phase == submit_phase::backing_off; }));
}

TEST_F(submit_batch_machine_test, failures_in_flight_together_count_once_and_an_answer_resumes_the_batch)
{
    make_jobs(10);
    auto& m = machine();
    std::vector<batch_action> in_flight;
    for (int i = 0; i < 3; ++i)
        in_flight.push_back(m.next(now));
    for (const auto& a : in_flight)
        ASSERT_EQ(a.kind, batch_action_kind::submit);
    post_result refused;
    refused.ec = error::connection_failed;
    for (const auto& a : in_flight)
        m.post_done(now, a.job, refused);
    EXPECT_EQ(m.progress().consecutive_connection_failures, 1u);
    EXPECT_EQ(m.progress().connection_failures, 3u);
    batch_action wait = m.next(now);
    ASSERT_EQ(wait.kind, batch_action_kind::wait);
    EXPECT_EQ(wait.until, now + 100ms);
    now += 100ms;
    batch_action probe = m.next(now);
    ASSERT_EQ(probe.kind, batch_action_kind::submit);
    EXPECT_EQ(m.next(now).kind, batch_action_kind::wait);  // one probe at a time
    post_result ok;
    ok.id = job_id(1);
    m.post_done(now, probe.job, ok);
    EXPECT_TRUE(m.take_wake());
    EXPECT_EQ(m.progress().consecutive_connection_failures, 0u);
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(m.next(now).kind, batch_action_kind::submit);
}

TEST_F(submit_batch_machine_test, stop_on_authentication_failure_fails_the_rest_unsent)
{
    make_jobs(50);
    script = [](std::size_t job, unsigned) { return job < 3 ? plan::created : plan::refused; };
    options.stop_on = [](const submit_progress& p) { return p.failed >= 2; };
    const auto results = run();
    EXPECT_EQ(posts, 5u);
    EXPECT_EQ(machine().progress().failed, 47u);
    EXPECT_EQ(results[49].error, error::bad_request);
    EXPECT_NE(results[49].message().find("not sent: the batch stopped"), std::string::npos) << results[49].message();
}

TEST_F(submit_batch_machine_test, past_the_deadline_nothing_is_sent_and_lost_answers_are_still_looked_for)
{
    make_jobs(10);
    options.timeout = 250ms;
    options.stop_on = nullptr;
    script = [](std::size_t job, unsigned) {
        if (job == 0)
            return plan::lost_created;
        return job < 3 ? plan::created : plan::not_sent;
    };
    const auto results = run();
    EXPECT_TRUE(results[0].submitted());
    EXPECT_TRUE(results[0].found_by_query);
    for (std::size_t i = 3; i < 10; ++i)
        EXPECT_EQ(results[i].error, error::timeout) << i;
    EXPECT_LE(now, t0 + 250ms);
}

TEST_F(submit_batch_machine_test, partial_cancellation_sends_nothing_more_but_still_reconciles)
{
    make_jobs(10);
    auto& m = machine();
    const batch_action a = m.next(now);
    const batch_action b = m.next(now);
    m.cancel(now, false);
    post_result lost;
    lost.ec = error::outcome_unknown;
    m.post_done(now, a.job, lost);
    server.create(std::string(a.jobname));
    post_result ok;
    ok.id = job_id(server.create(std::string(b.jobname)));
    m.post_done(now, b.job, ok);
    const auto results = run();
    EXPECT_TRUE(results[a.job].submitted());
    EXPECT_TRUE(results[a.job].found_by_query);
    EXPECT_TRUE(results[b.job].submitted());
    for (std::size_t i = 2; i < 10; ++i)
        EXPECT_EQ(results[i].error, boost::asio::error::operation_aborted);
    EXPECT_EQ(posts, 0u);  // nothing went after the cancellation
}

TEST_F(submit_batch_machine_test, terminal_cancellation_gives_up_reconciliation)
{
    make_jobs(5);
    auto& m = machine();
    const batch_action a = m.next(now);
    const batch_action b = m.next(now);
    m.cancel(now, true);
    EXPECT_TRUE(m.cancelled());
    post_result lost;
    lost.ec = error::outcome_unknown;
    m.post_done(now, a.job, lost);
    post_result aborted;
    aborted.ec = boost::asio::error::operation_aborted;
    m.post_done(now, b.job, aborted);  // cancelled in flight: it may have left
    EXPECT_EQ(m.next(now).kind, batch_action_kind::done);
    const auto results = m.take_results();
    EXPECT_TRUE(results[a.job].unknown());
    EXPECT_TRUE(results[b.job].unknown());
    EXPECT_EQ(results[4].error, boost::asio::error::operation_aborted);
    EXPECT_TRUE(queries.empty());
}

TEST_F(submit_batch_machine_test, jobs_without_command_fail_alone)
{
    make_jobs(3);
    script = [](std::size_t job, unsigned) { return job == 1 ? plan::refused : plan::created; };
    const auto results = run();
    EXPECT_TRUE(results[0].submitted());
    EXPECT_TRUE(results[1].failed());
    EXPECT_TRUE(results[2].submitted());
}

}  // namespace
