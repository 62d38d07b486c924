// The typed Accelerator API against the fake server: project, submit, get, field, stop, suspend,
// resume, modify, forget, wait, query; and the errors each one reports.
#include "run_coroutine.hpp"
#include "sdk_fixture.hpp"

#include <vovrest/jobs.hpp>
#include <vovrest/project.hpp>
#include <vovrest/query.hpp>

#include <boost/json/object.hpp>

#include <chrono>
#include <thread>

namespace vovrest::test {
namespace {

using namespace std::chrono_literals;

template <class T>
boost::system::error_code error_of(asio::io_context& io, asio::awaitable<T> work)
{
    try
    {
        run_coroutine(io, std::move(work));
    }
    catch (const error_with_diagnostics& e)
    {
        return e.code();
    }
    return {};
}

job_spec spec_of(std::string command, std::string jobname = {})
{
    job_spec spec;
    spec.command = std::move(command);
    spec.jobname = std::move(jobname);
    return spec;
}

// A server whose jobs end quickly (or never, with a long run time), with a third user who may
// not touch demo's jobs.
struct typed_api : ::testing::Test
{
    explicit typed_api(std::chrono::milliseconds run_time = 5ms)
        : server([run_time] {
              auto p = server_params();
              p.users.push_back({"other", "other-password", testing::security_level::user});
              p.job_schedule_delay = 1ms;
              p.job_run_time = run_time;
              return p;
          }())
    {
        server.start();
        s = std::make_unique<session>(io.get_executor(), client_params(server));
    }

    session& as(const std::string& user)
    {
        auto p = client_params(server, user + "-password");
        p.username = user;
        others.push_back(std::make_unique<session>(io.get_executor(), std::move(p)));
        return *others.back();
    }

    testing::fake_server server;
    asio::io_context io;
    std::unique_ptr<session> s;
    std::vector<std::unique_ptr<session>> others;
};

struct long_jobs : typed_api
{
    long_jobs() : typed_api(std::chrono::hours(1)) {}
};

TEST_F(typed_api, project_name_and_version)
{
    EXPECT_EQ(run_coroutine(io, project_name(*s)), "vovrest");
    EXPECT_EQ(run_coroutine(io, server_version(*s)), "2024.1.0");
}

TEST_F(typed_api, submit_get_field_and_wait_until_valid)
{
    job_spec spec = spec_of("sleep 1", "typed-1");
    spec.rundir = "/tmp";
    spec.priority = "high";
    const job_id id = run_coroutine(io, jobs::submit(*s, spec));
    EXPECT_EQ(server.stats().jobs_created, 1u);

    job_record record = run_coroutine(io, jobs::get(*s, id));
    EXPECT_EQ(record.id, id);
    EXPECT_EQ(record.user, "demo");
    EXPECT_EQ(record.command, "sleep 1");
    EXPECT_EQ(record.jobname, "typed-1");
    EXPECT_EQ(record.host, "fakehost");
    EXPECT_GT(record.submit_time, 0);
    EXPECT_EQ(record.fields.at(0, "rundir").as_string(), "/tmp");
    EXPECT_EQ(record.fields.at(0, "priority").as_int(), 8);
    EXPECT_EQ(record.fields.at(0, "id").as_string(), id.to_string());

    EXPECT_EQ(run_coroutine(io, jobs::field(*s, id, "command")), "sleep 1");
    EXPECT_EQ(run_coroutine(io, jobs::field(*s, id, "JOBNAME")), "typed-1");

    wait_result end = run_coroutine(io, jobs::wait(*s, id, 2ms));
    EXPECT_EQ(end.end, job_end::valid);
    EXPECT_EQ(end.status, "VALID");
    record = run_coroutine(io, jobs::get(*s, id));
    EXPECT_EQ(record.status, "VALID");
    EXPECT_EQ(record.exit_status, 0);
    EXPECT_GE(record.end_time, record.start_time);
}

TEST_F(typed_api, argv_and_failing_job)
{
    job_spec spec;
    spec.argv = {"false", "with space"};
    const job_id id = run_coroutine(io, jobs::submit(*s, spec));
    EXPECT_EQ(run_coroutine(io, jobs::field(*s, id, "command")), "false 'with space'");
    wait_result end = run_coroutine(io, jobs::wait(*s, id, 2ms));
    EXPECT_EQ(end.end, job_end::failed);
    EXPECT_EQ(end.status, "FAILED");
    EXPECT_EQ(run_coroutine(io, jobs::get(*s, id)).exit_status, 1);
}

TEST_F(typed_api, errors_of_job_calls)
{
    EXPECT_EQ(error_of(io, jobs::submit(*s, job_spec{})), error::bad_request);  // no command, nothing sent
    EXPECT_EQ(server.stats().jobs_created, 0u);
    EXPECT_EQ(error_of(io, jobs::get(*s, job_id(999999))), error::not_found);
    EXPECT_EQ(error_of(io, jobs::stop(*s, job_id(999999))), error::not_found);

    const job_id id = run_coroutine(io, jobs::submit(*s, spec_of("sleep 2")));
    EXPECT_EQ(error_of(io, jobs::field(*s, id, "nosuchfield")), error::query_failed);
    boost::json::object bad;
    bad["command"] = "rm -rf /";
    EXPECT_EQ(error_of(io, jobs::modify(*s, id, bad)), error::bad_request);

    // The non-throwing submit.
    boost::system::error_code ec;
    diagnostics diag;
    run_coroutine(io, jobs::submit(*s, job_spec{}, ec, diag));
    EXPECT_EQ(ec, error::bad_request);
    EXPECT_EQ(diag.client_message, "the job has no command");
}

TEST_F(long_jobs, stop_suspend_resume_modify)
{
    const job_id id = run_coroutine(io, jobs::submit(*s, spec_of("sleep 3600", "before")));

    boost::json::object change;
    change["jobname"] = "after";
    change["priority"] = 15;
    run_coroutine(io, jobs::modify(*s, id, change));
    job_record record = run_coroutine(io, jobs::get(*s, id));
    EXPECT_EQ(record.jobname, "after");
    EXPECT_EQ(record.fields.at(0, "priority").as_int(), 15);

    run_coroutine(io, jobs::suspend(*s, id));
    EXPECT_EQ(run_coroutine(io, jobs::field(*s, id, "status")), "SUSPENDED");
    run_coroutine(io, jobs::resume(*s, id));
    EXPECT_NE(run_coroutine(io, jobs::field(*s, id, "status")), "SUSPENDED");

    run_coroutine(io, jobs::stop(*s, id));
    record = run_coroutine(io, jobs::get(*s, id));
    EXPECT_EQ(record.status, "FAILED");
    EXPECT_EQ(record.exit_status, 143);
    run_coroutine(io, jobs::stop(*s, id));                               // repeating is harmless
    EXPECT_EQ(error_of(io, jobs::suspend(*s, id)), error::bad_request);  // 409: finished
    EXPECT_EQ(run_coroutine(io, jobs::wait(*s, id, 2ms)).end, job_end::failed);
}

TEST_F(long_jobs, permissions_follow_the_security_level)
{
    const job_id id = run_coroutine(io, jobs::submit(*s, spec_of("sleep 3600")));
    session& other = as("other");
    EXPECT_EQ(error_of(io, jobs::stop(other, id)), error::forbidden);
    EXPECT_EQ(error_of(io, jobs::forget(other, id)), error::forbidden);
    EXPECT_EQ(run_coroutine(io, jobs::get(other, id)).user, "demo");  // reading is allowed
    session& boss = as("boss");
    run_coroutine(io, jobs::stop(boss, id));
    EXPECT_EQ(run_coroutine(io, jobs::field(*s, id, "status")), "FAILED");
}

TEST_F(long_jobs, forget_then_wait_reports_forgotten)
{
    const job_id id = run_coroutine(io, jobs::submit(*s, spec_of("sleep 3600")));
    run_coroutine(io, jobs::forget(*s, id));
    EXPECT_EQ(error_of(io, jobs::get(*s, id)), error::not_found);
    EXPECT_EQ(error_of(io, jobs::forget(*s, id)), error::not_found);
    wait_result end = run_coroutine(io, jobs::wait(*s, id, 2ms));
    EXPECT_EQ(end.end, job_end::forgotten);
    EXPECT_TRUE(end.status.empty());
    EXPECT_EQ(server.job_count(), 0u);
}

TEST(typed_api_forgetting_server, wait_ends_when_the_server_forgets_the_job)
{
    auto p = server_params();
    p.job_schedule_delay = 1ms;
    p.job_run_time = 1ms;
    p.forget_after = 1ms;
    testing::fake_server server(p);
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));
    const job_id id = run_coroutine(io, jobs::submit(s, spec_of("sleep 1")));
    // Either the poller saw VALID or the job was already gone: both are normal ends.
    wait_result end = run_coroutine(io, jobs::wait(s, id, 5ms));
    EXPECT_TRUE(end.end == job_end::forgotten || end.end == job_end::valid);
    // Polling again after the server forgot it: forgotten, not an error.
    const auto give_up = std::chrono::steady_clock::now() + 10s;  // a bound, not a pace
    while (server.job_count() != 0 && std::chrono::steady_clock::now() < give_up)
        std::this_thread::yield();
    ASSERT_EQ(server.job_count(), 0u);
    EXPECT_EQ(run_coroutine(io, jobs::wait(s, id, 5ms)).end, job_end::forgotten);
}

TEST_F(typed_api, query_as_table_and_as_csv)
{
    for (int i = 0; i < 5; ++i)
        run_coroutine(io, jobs::submit(*s, spec_of("sleep " + std::to_string(i), "q-" + std::to_string(i))));

    table t = run_coroutine(io, run(*s, query().select({"idint", "jobname"}).where("jobname==q-3")));
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t.at(0, "JOBNAME").as_string(), "q-3");
    EXPECT_NE(t.query().find("jobname==q-3"), std::string::npos);

    t = run_coroutine(io, run(*s, query().select({"jobname"}).order("idint DESC").limit(2)));
    ASSERT_EQ(t.size(), 2u);
    EXPECT_EQ(t.at(0, "jobname").as_string(), "q-4");
    EXPECT_EQ(t.at(1, "jobname").as_string(), "q-3");

    // run() always asks for JSON; run_text() for what the query says.
    auto csv = query().select({"jobname"}).where("jobname==q-1").format(query_format::csv);
    EXPECT_EQ(run_coroutine(io, run(*s, csv)).size(), 1u);
    EXPECT_EQ(run_coroutine(io, run_text(*s, csv)), "jobname\nq-1\n");
    EXPECT_EQ(run_coroutine(io, run_text(*s, csv.format(query_format::csv_noheader))), "q-1\n");

    EXPECT_EQ(error_of(io, run(*s, query().select({"nosuch"}))), error::query_failed);
    EXPECT_EQ(error_of(io, run(*s, query().where("status=="))), error::query_failed);
    EXPECT_EQ(error_of(io, run_text(*s, query().select({"nosuch"}).format(query_format::csv))), error::bad_request);
}

}  // namespace
}  // namespace vovrest::test
