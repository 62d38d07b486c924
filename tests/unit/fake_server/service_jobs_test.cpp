// accelerator_service: routes, jobs, their lifecycle, permissions and the query endpoint.
#include "service_fixture.hpp"

#include "job_store.hpp"

namespace vovrest::testing::detail::test {
namespace {

using namespace std::chrono_literals;

using routes_test = service_test;

TEST_F(routes_test, ProjectAndVersionTables)
{
    auto p = default_params();
    p.project_name = "queue7";
    p.version = "2099.9";
    make(p);
    std::string auth = login();
    reply_view r = get("/api/v3/project/1/project", auth);
    ASSERT_EQ(r.reply.status, 200u);
    EXPECT_EQ(r.reply.body, R"({"startrow":1,"endrow":1,"query":"SELECT PROJECT FROM project","errormsg":"",)"
                            R"("columns":[{"col":0,"field":"PROJECT"}],"rows":[["queue7"]]})");
    r = get("/api/v3/project/1/version", auth);
    ASSERT_EQ(r.reply.status, 200u);
    EXPECT_EQ(r.body().at("columns").at(0).at("field").as_string(), "VERSION");
    EXPECT_EQ(r.body().at("rows").at(0).at(0).as_string(), "2099.9");
}

TEST_F(routes_test, UnknownResourceAndWrongMethod)
{
    std::string auth = login();
    for (const char* target :
         {"/api/v3/nosuch", "/api/v3/project/2/project", "/api/v3/jobs/1000/status/x", "/api/v3", "/elsewhere"})
    {
        reply_view r = get(target, auth);
        EXPECT_EQ(r.reply.status, 404u) << target;
        EXPECT_FALSE(r.error().empty());
    }
    struct
    {
        const char* method;
        const char* target;
        const char* allow;
    } cases[] = {
        {"POST", "/api/v3/project/1/project", "GET"},
        {"DELETE", "/api/v3/query", "GET"},
        {"GET", "/api/v3/jobs", "POST"},
        {"POST", "/api/v3/jobs/1000", "GET, PUT, PATCH, DELETE"},
        {"PUT", "/api/v3/jobs/1000/status", "GET"},
    };
    for (const auto& c : cases)
    {
        reply_view r = send(c.method, c.target, auth, "{}");
        EXPECT_EQ(r.reply.status, 405u) << c.method << ' ' << c.target;
        EXPECT_EQ(r.header("Allow"), c.allow);
        EXPECT_FALSE(r.error().empty());
    }
}

TEST_F(routes_test, ApiNeedsAToken)
{
    EXPECT_EQ(get("/api/v3/nosuch", "").reply.status, 401u);
    EXPECT_EQ(get("/api/v3/jobs/1000", "").reply.status, 401u);
    EXPECT_EQ(get("/api/v3/query?select=idint", "").reply.status, 401u);
    EXPECT_EQ(stats().unauthorized_by_reason["missing"], 3u);
}

TEST_F(routes_test, BodyTooLarge)
{
    auto p = default_params();
    p.max_body_bytes = 64;
    make(p);
    std::string auth = login();
    std::string big = R"({"command":")" + std::string(100, 'x') + "\"}";
    reply_view r = send("POST", "/api/v3/jobs", auth, big, "application/json");
    EXPECT_EQ(r.reply.status, 413u);
    EXPECT_FALSE(r.error().empty());
    EXPECT_EQ(send("POST", "/api/v3/token", {}, "username=demo&password=" + std::string(64, 'x'),
                   "application/x-www-form-urlencoded")
                  .reply.status,
              413u);
    EXPECT_EQ(svc().job_count(), 0u);
    EXPECT_EQ(send("POST", "/api/v3/jobs", auth, std::string(R"({"command":")") + std::string(64 - 14, 'y') + "\"}")
                  .reply.status,
              201u);  // exactly 64 bytes
}

TEST_F(routes_test, RequestsByRouteAreNormalised)
{
    std::string auth = login();
    std::int64_t id = submit(auth, R"({"command":"a"})");
    get("/api/v3/jobs/" + std::to_string(id), auth);
    get("/api/v3/jobs/000001000/", auth);
    get("/api/v3/jobs/1000/*", auth);
    get("/api/v3/jobs/1000/status", auth);
    get("/api/v3/jobs/1001/status", auth);
    get("/api/v3/query?select=idint", auth);
    send("PUT", "/api/v3/jobs/1000", auth, R"({"action":"suspend"})");
    send("PATCH", "/api/v3/jobs/1000", auth, R"({"priority":5})");
    send("DELETE", "/api/v3/jobs/1000", auth);
    get("/api/v3/what/ever", auth);
    auto s = stats();
    EXPECT_EQ(s.requests, 12u);
    EXPECT_EQ(s.requests_by_route, (std::map<std::string, std::uint64_t>{
                                       {"POST /api/v3/token", 1},
                                       {"POST /api/v3/jobs", 1},
                                       {"GET /api/v3/jobs/{id}", 3},
                                       {"GET /api/v3/jobs/{id}/{field}", 2},
                                       {"GET /api/v3/query", 1},
                                       {"PUT /api/v3/jobs/{id}", 1},
                                       {"PATCH /api/v3/jobs/{id}", 1},
                                       {"DELETE /api/v3/jobs/{id}", 1},
                                       {"GET (other)", 1},
                                   }));
}

TEST_F(routes_test, RequestsByRouteForAnyMethod)
{
    std::string auth = login();
    send("FROB", "/api/v3/jobs", auth);
    send("FROB", "/api/v3/jobs", auth);
    send("OPTIONS", "/api/v3/query", auth);
    send("VERYLONGMETHODNAMEINDEED", "/api/v3/token");
    get("/api/v3/what/ever", auth);
    get("/not/the/api", {});
    send("FROB", "/elsewhere");
    auto s = stats();
    EXPECT_EQ(s.requests, 8u);
    EXPECT_EQ(s.requests_by_route, (std::map<std::string, std::uint64_t>{
                                       {"POST /api/v3/token", 1},
                                       {"FROB /api/v3/jobs", 2},
                                       {"OPTIONS /api/v3/query", 1},
                                       {"VERYLONGMETHODNA /api/v3/token", 1},
                                       {"GET (other)", 2},
                                       {"FROB (other)", 1},
                                   }));
}

using jobs_test = service_test;

TEST_F(jobs_test, SubmitAnswersATableWithTheId)
{
    std::string auth = login();
    reply_view r = send("POST", "/api/v3/jobs", auth, R"({"command":"sleep 1","jobname":"j1"})", "application/json");
    ASSERT_EQ(r.reply.status, 201u);
    EXPECT_EQ(r.reply.body, R"({"startrow":1,"endrow":1,"query":"","errormsg":"",)"
                            R"("columns":[{"col":0,"field":"jobid"}],"rows":[[1000]]})");
    EXPECT_EQ(r.header("Location"), "/api/v3/jobs/1000");
    EXPECT_EQ(submit(auth, R"({"cmd":"sleep 2"})"), 1001);
    EXPECT_EQ(svc().job_count(), 2u);
    EXPECT_EQ(stats().jobs_created, 2u);
}

TEST_F(jobs_test, SubmitNeedsACommand)
{
    std::string auth = login();
    for (const char* body : {"", "not json", "[1]", "{}", R"({"command":""})", R"({"command":5})", R"({"cmd":null})",
                             R"({"command":"x","priority":"urgent"})", R"({"command":"x","priority":1.5})"})
    {
        reply_view r = send("POST", "/api/v3/jobs", auth, body, "application/json");
        EXPECT_EQ(r.reply.status, 400u) << body;
        EXPECT_FALSE(r.error().empty());
    }
    EXPECT_EQ(svc().job_count(), 0u);
    EXPECT_EQ(stats().jobs_created, 0u);
}

TEST_F(jobs_test, AllFieldsOfAJob)
{
    std::string auth = login();
    std::int64_t id = submit(auth, R"({"command":"make all","rundir":"/w","env":"BASE","jobname":"build",)"
                                   R"("resources":"linux64 RAM/100","priority":"8,4","jobclass":"short",)"
                                   R"("group":"g1","logfile":"b.log","autokill":30})");
    ASSERT_EQ(id, 1000);
    for (const char* target :
         {"/api/v3/jobs/1000", "/api/v3/jobs/1000/", "/api/v3/jobs/1000/*", "/api/v3/jobs/000001000"})
    {
        reply_view r = get(target, auth);
        ASSERT_EQ(r.reply.status, 200u) << target;
        json::value v = r.body();
        EXPECT_EQ(v.at("query").as_string(), "SELECT * FROM jobs WHERE idint==1000");
        const auto& columns = v.at("columns").as_array();
        const auto& row = v.at("rows").at(0).as_array();
        ASSERT_EQ(columns.size(), row.size());
        std::map<std::string, json::value> job;
        for (std::size_t i = 0; i < columns.size(); ++i)
        {
            EXPECT_EQ(columns[i].at("col").as_int64(), static_cast<std::int64_t>(i));
            job[std::string(columns[i].at("field").as_string())] = row[i];
        }
        EXPECT_EQ(job["id"], json::value("000001000"));
        EXPECT_EQ(job["idint"], json::value(1000));
        EXPECT_EQ(job["jobname"], json::value("build"));
        EXPECT_EQ(job["user"], json::value("demo"));
        EXPECT_EQ(job["command"], json::value("make all"));
        EXPECT_EQ(job["rundir"], json::value("/w"));
        EXPECT_EQ(job["env"], json::value("BASE"));
        EXPECT_EQ(job["status"], json::value("SCHEDULED"));
        EXPECT_EQ(job["host"], json::value("fakehost"));
        EXPECT_EQ(job["priority"], json::value(8));
        EXPECT_EQ(job["jobclass"], json::value("short"));
        EXPECT_EQ(job["group"], json::value("g1"));
        EXPECT_EQ(job["logfile"], json::value("b.log"));
        EXPECT_EQ(job["resources"], json::value("linux64 RAM/100"));
        EXPECT_EQ(job["submittime"], json::value(1'700'000'000));
        EXPECT_EQ(job["starttime"], json::value(0));
        EXPECT_EQ(job["endtime"], json::value(0));
        EXPECT_EQ(job["duration"], json::value(0));
        EXPECT_EQ(job["exitstatus"], json::value(0));
    }
}

TEST_F(jobs_test, OneField)
{
    std::string auth = login();
    submit(auth, R"({"command":"x","priority":3})");
    reply_view r = get("/api/v3/jobs/1000/STATUS", auth);
    ASSERT_EQ(r.reply.status, 200u);
    EXPECT_EQ(r.reply.body, R"({"startrow":1,"endrow":1,"query":"SELECT STATUS FROM jobs WHERE idint==1000",)"
                            R"("errormsg":"","columns":[{"col":0,"field":"status"}],"rows":[["SCHEDULED"]]})");
    EXPECT_EQ(get("/api/v3/jobs/1000/priority", auth).body().at("rows").at(0).at(0), json::value(3));
    r = get("/api/v3/jobs/1000/nosuch", auth);
    EXPECT_EQ(r.reply.status, 200u);
    EXPECT_NE(r.body().at("errormsg").as_string().find("nosuch"), std::string::npos);
    EXPECT_TRUE(r.body().at("rows").as_array().empty());
}

TEST_F(jobs_test, NoSuchJob)
{
    std::string auth = login();
    for (const char* target : {"/api/v3/jobs/1000", "/api/v3/jobs/1000/status", "/api/v3/jobs/abc", "/api/v3/jobs/-5"})
    {
        reply_view r = get(target, auth);
        EXPECT_EQ(r.reply.status, 404u) << target;
        EXPECT_NE(r.error().find("no such job"), std::string::npos);
    }
    EXPECT_EQ(send("DELETE", "/api/v3/jobs/1000", auth).reply.status, 404u);
    EXPECT_EQ(send("PUT", "/api/v3/jobs/1000", auth, R"({"action":"stop"})").reply.status, 404u);
    EXPECT_EQ(send("PATCH", "/api/v3/jobs/1000", auth, R"({"priority":1})").reply.status, 404u);
}

TEST_F(jobs_test, DuplicateSubmissionsAreCounted)
{
    std::string auth = login();
    submit(auth, R"({"command":"echo 1"})");
    submit(auth, R"({"command":"echo 2"})");
    submit(auth, R"({"cmd":"echo 1"})");
    submit(login("other", "pw-other"), R"({"command":"echo 2"})");
    submit(auth, R"({"command":"echo 1 "})");
    auto s = stats();
    EXPECT_EQ(s.jobs_created, 5u);
    EXPECT_EQ(s.duplicate_submissions, 2u);

    // The jobname is part of what makes a job: the same command under another name is another
    // job (a batch of identical commands, each tagged), under the same name it is a duplicate.
    submit(auth, R"({"command":"echo 3","jobname":"t-1"})");
    submit(auth, R"({"command":"echo 3","jobname":"t-2"})");
    submit(auth, R"({"command":"echo 3"})");
    EXPECT_EQ(stats().duplicate_submissions, 2u);
    submit(auth, R"({"command":"echo 3","jobname":"t-2"})");
    EXPECT_EQ(stats().duplicate_submissions, 3u);
}

TEST_F(jobs_test, LifecycleValid)
{
    auto p = default_params();
    p.forget_after = 1000ms;
    make(p);
    std::string auth = login();
    std::int64_t id = submit(auth, R"({"command":"sleep 1"})");
    EXPECT_EQ(job_status(auth, id), "SCHEDULED");
    advance(49ms);
    EXPECT_EQ(job_status(auth, id), "SCHEDULED");
    advance(1ms);
    EXPECT_EQ(job_status(auth, id), "RUNNING");
    EXPECT_EQ(get("/api/v3/jobs/1000/starttime", auth).body().at("rows").at(0).at(0), json::value(1'700'000'000));
    advance(199ms);
    EXPECT_EQ(job_status(auth, id), "RUNNING");
    advance(1ms);
    EXPECT_EQ(job_status(auth, id), "VALID");
    EXPECT_EQ(get("/api/v3/jobs/1000/exitstatus", auth).body().at("rows").at(0).at(0), json::value(0));
    advance(999ms);
    EXPECT_EQ(job_status(auth, id), "VALID");
    EXPECT_EQ(svc().job_count(), 1u);
    advance(1ms);
    EXPECT_EQ(job_status(auth, id), "HTTP 404");
    EXPECT_EQ(svc().job_count(), 0u);
}

TEST_F(jobs_test, LifecycleFailedByTheWordRule)
{
    std::string auth = login();
    std::int64_t a = submit(auth, R"({"command":"/bin/false"})");
    std::int64_t b = submit(auth, R"({"command":"run --FAIL now"})");
    std::int64_t c = submit(auth, R"({"command":"failover false_alarm"})");
    advance(250ms);  // all in one jump: both transitions apply
    EXPECT_EQ(job_status(auth, a), "FAILED");
    EXPECT_EQ(job_status(auth, b), "FAILED");
    EXPECT_EQ(job_status(auth, c), "VALID");
    EXPECT_EQ(get("/api/v3/jobs/1000/exitstatus", auth).body().at("rows").at(0).at(0), json::value(1));
    // Times come from the schedule, not from when they were looked at.
    EXPECT_EQ(get("/api/v3/jobs/1000/duration", auth).body().at("rows").at(0).at(0), json::value(0));
    EXPECT_EQ(svc().job_count(), 3u);  // never forgotten without forget_after
    advance(std::chrono::hours{24});
    EXPECT_EQ(svc().job_count(), 3u);
}

TEST_F(jobs_test, StopSuspendResume)
{
    std::string auth = login();
    std::int64_t id = submit(auth, R"({"command":"long"})");
    advance(100ms);  // RUNNING, 150 ms left
    reply_view r = send("PUT", "/api/v3/jobs/1000", auth, R"({"action":"suspend"})");
    ASSERT_EQ(r.reply.status, 200u);
    EXPECT_EQ(r.reply.body, R"({"jobid":1000,"action":"suspend","status":"SUSPENDED"})");
    EXPECT_EQ(send("PUT", "/api/v3/jobs/1000", auth, R"({"action":"suspend"})").reply.status, 200u);  // idempotent
    advance(10s);
    EXPECT_EQ(job_status(auth, id), "SUSPENDED");
    EXPECT_EQ(send("PUT", "/api/v3/jobs/1000?action=RESUME", auth).body().at("status"), json::value("RUNNING"));
    advance(149ms);
    EXPECT_EQ(job_status(auth, id), "RUNNING");
    advance(1ms);
    EXPECT_EQ(job_status(auth, id), "VALID");
    r = send("PUT", "/api/v3/jobs/1000", auth, R"({"action":"resume"})");
    EXPECT_EQ(r.reply.status, 409u);
    EXPECT_FALSE(r.error().empty());
    EXPECT_EQ(send("PUT", "/api/v3/jobs/1000", auth, R"({"action":"stop"})").body().at("status"),
              json::value("VALID"));  // stopping a finished job changes nothing

    std::int64_t second = submit(auth, R"({"command":"other"})");
    r = send("PUT", "/api/v3/jobs/" + std::to_string(second), auth, R"({"action":"stop"})");
    EXPECT_EQ(r.reply.body, R"({"jobid":1001,"action":"stop","status":"FAILED"})");
    advance(1s);
    EXPECT_EQ(job_status(auth, second), "FAILED");
    EXPECT_EQ(get("/api/v3/jobs/1001/exitstatus", auth).body().at("rows").at(0).at(0), json::value(143));

    for (const char* body : {"", "{}", R"({"action":"kill"})", R"({"action":1})", "nope"})
        EXPECT_EQ(send("PUT", "/api/v3/jobs/1000", auth, body).reply.status, 400u) << body;
}

TEST_F(jobs_test, PatchAndDelete)
{
    std::string auth = login();
    submit(auth, R"({"command":"x","jobname":"a"})");
    reply_view r = send("PATCH", "/api/v3/jobs/1000", auth, R"({"priority":9,"jobname":"b","resources":"r1"})");
    ASSERT_EQ(r.reply.status, 200u);
    EXPECT_EQ(r.reply.body, R"({"jobid":1000,"status":"SCHEDULED","modified":["priority","jobname","resources"]})");
    EXPECT_EQ(get("/api/v3/jobs/1000/jobname", auth).body().at("rows").at(0).at(0), json::value("b"));
    EXPECT_EQ(get("/api/v3/jobs/1000/priority", auth).body().at("rows").at(0).at(0), json::value(9));
    // One bad member: nothing changes.
    EXPECT_EQ(send("PATCH", "/api/v3/jobs/1000", auth, R"({"jobname":"c","command":"rm -rf"})").reply.status, 400u);
    EXPECT_EQ(send("PATCH", "/api/v3/jobs/1000", auth, R"({"nosuch":1})").reply.status, 400u);
    EXPECT_EQ(send("PATCH", "/api/v3/jobs/1000", auth, "[]").reply.status, 400u);
    EXPECT_EQ(get("/api/v3/jobs/1000/jobname", auth).body().at("rows").at(0).at(0), json::value("b"));

    r = send("DELETE", "/api/v3/jobs/1000", auth);
    ASSERT_EQ(r.reply.status, 200u);
    EXPECT_EQ(r.reply.body, R"({"jobid":1000,"forgotten":true})");
    EXPECT_EQ(svc().job_count(), 0u);
    EXPECT_EQ(get("/api/v3/jobs/1000", auth).reply.status, 404u);
    EXPECT_EQ(send("DELETE", "/api/v3/jobs/1000", auth).reply.status, 404u);
}

using permissions_test = service_test;

TEST_F(permissions_test, ReadonlyReadsOnly)
{
    std::string demo = login();
    submit(demo, R"({"command":"mine"})");
    std::string reader = login("reader", "pw-reader");
    EXPECT_EQ(get("/api/v3/jobs/1000", reader).reply.status, 200u);
    EXPECT_EQ(get("/api/v3/query?select=idint", reader).reply.status, 200u);
    reply_view r = send("POST", "/api/v3/jobs", reader, R"({"command":"x"})");
    EXPECT_EQ(r.reply.status, 403u);
    EXPECT_FALSE(r.error().empty());
    EXPECT_EQ(send("PUT", "/api/v3/jobs/1000", reader, R"({"action":"stop"})").reply.status, 403u);
    EXPECT_EQ(send("PATCH", "/api/v3/jobs/1000", reader, R"({"priority":1})").reply.status, 403u);
    EXPECT_EQ(send("DELETE", "/api/v3/jobs/1000", reader).reply.status, 403u);
    EXPECT_EQ(svc().job_count(), 1u);
    EXPECT_EQ(stats().jobs_created, 1u);
}

TEST_F(permissions_test, UserActsOnlyOnItsOwnJobs)
{
    std::string demo = login();
    std::string other = login("other", "pw-other");
    submit(demo, R"({"command":"demo's"})");
    submit(other, R"({"command":"other's"})");
    EXPECT_EQ(send("PUT", "/api/v3/jobs/1001", demo, R"({"action":"stop"})").reply.status, 403u);
    EXPECT_EQ(send("PATCH", "/api/v3/jobs/1001", demo, R"({"priority":1})").reply.status, 403u);
    EXPECT_EQ(send("DELETE", "/api/v3/jobs/1001", demo).reply.status, 403u);
    EXPECT_EQ(job_status(demo, 1001), "SCHEDULED");  // reading is allowed
    EXPECT_EQ(send("PUT", "/api/v3/jobs/1000", demo, R"({"action":"stop"})").reply.status, 200u);
    EXPECT_EQ(send("PATCH", "/api/v3/jobs/1000", demo, R"({"priority":1})").reply.status, 200u);
    EXPECT_EQ(send("DELETE", "/api/v3/jobs/1000", demo).reply.status, 200u);
    EXPECT_EQ(svc().job_count(), 1u);
}

TEST_F(permissions_test, LeaderAndAdminActOnOthersJobs)
{
    std::string demo = login();
    for (int i = 0; i < 3; ++i)
        submit(demo, R"({"command":"job )" + std::to_string(i) + "\"}");
    std::string lead = login("lead", "pw-lead");
    std::string root = login("root", "pw-root");
    EXPECT_EQ(send("PUT", "/api/v3/jobs/1000", lead, R"({"action":"suspend"})").reply.status, 200u);
    EXPECT_EQ(send("PATCH", "/api/v3/jobs/1001", lead, R"({"priority":2})").reply.status, 200u);
    EXPECT_EQ(send("DELETE", "/api/v3/jobs/1002", root).reply.status, 200u);
    EXPECT_EQ(send("PUT", "/api/v3/jobs/1000", root, R"({"action":"stop"})").reply.status, 200u);
    EXPECT_EQ(job_status(demo, 1000), "FAILED");
    EXPECT_EQ(svc().job_count(), 2u);
    // Leaders and admins submit too; the job is theirs.
    EXPECT_EQ(submit(lead, R"({"command":"led"})"), 1003);
    EXPECT_EQ(get("/api/v3/jobs/1003/user", demo).body().at("rows").at(0).at(0), json::value("lead"));
}

using query_service_test = service_test;

TEST_F(query_service_test, JsonQueryOverJobs)
{
    std::string auth = login();
    submit(auth, R"({"command":"a"})");
    submit(auth, R"({"command":"b fail"})");
    advance(300ms);
    submit(auth, R"({"command":"c"})");
    reply_view r = get("/api/v3/query?select=idint,status&from=jobs&where=status%3D%3DVALID%7C%7Cstatus%3D%3DSCHEDULED"
                       "&order=idint+DESC&limit=10",
                       auth);
    ASSERT_EQ(r.reply.status, 200u);
    EXPECT_EQ(
        r.reply.body,
        R"({"startrow":1,"endrow":2,)"
        R"("query":"SELECT idint,status FROM jobs WHERE status==VALID||status==SCHEDULED ORDERBY idint DESC LIMIT 10",)"
        R"("errormsg":"","columns":[{"col":0,"field":"idint"},{"col":1,"field":"status"}],)"
        R"("rows":[[1002,"SCHEDULED"],[1000,"VALID"]]})");
    r = get("/api/v3/query?select=*&where=idint==1001", auth);
    EXPECT_EQ(r.body().at("columns").as_array().size(), job_store::fields().size());
    EXPECT_EQ(r.body().at("rows").as_array().size(), 1u);
}

TEST_F(query_service_test, Errors)
{
    std::string auth = login();
    submit(auth, R"({"command":"a"})");
    for (const char* q :
         {"select=nosuch", "select=idint&where=nosuch==1", "select=idint&from=hosts", "select=idint&order=nosuch"})
    {
        reply_view r = get(std::string("/api/v3/query?") + q, auth);
        EXPECT_EQ(r.reply.status, 200u) << q;
        EXPECT_FALSE(r.body().at("errormsg").as_string().empty()) << q;
        EXPECT_TRUE(r.body().at("rows").as_array().empty()) << q;
    }
    EXPECT_EQ(get("/api/v3/query?format=xml", auth).reply.status, 400u);
    EXPECT_EQ(get("/api/v3/query?where=%zz", auth).reply.status, 400u);
    reply_view r = get("/api/v3/query?select=nosuch&format=csv", auth);
    EXPECT_EQ(r.reply.status, 400u);
    EXPECT_NE(r.error().find("nosuch"), std::string::npos);
}

// A `where` of 5,000 '(' fits in the server's 16 KiB header limit: it is a query error, answered
// as every other one, and the server goes on serving.
TEST_F(query_service_test, DeeplyNestedRuleIsAQueryError)
{
    std::string auth = login();
    submit(auth, R"({"command":"a"})");
    const std::string where(5'000, '(');
    reply_view r = get("/api/v3/query?select=idint&where=" + where, auth);
    ASSERT_EQ(r.reply.status, 200u);
    EXPECT_EQ(r.body().at("errormsg").as_string(), "selection rule nested deeper than 64 parentheses");
    EXPECT_TRUE(r.body().at("rows").as_array().empty());
    r = get("/api/v3/query?select=idint&format=csv&where=" + where, auth);
    EXPECT_EQ(r.reply.status, 400u);
    EXPECT_EQ(r.error(), "selection rule nested deeper than 64 parentheses");
    EXPECT_EQ(get("/api/v3/query?select=idint&where=((idint==1000))", auth).body().at("rows").as_array().size(), 1u);
}

TEST_F(query_service_test, Csv)
{
    std::string auth = login();
    submit(auth, R"({"command":"echo a,b","jobname":"say \"hi\""})");
    submit(auth, R"({"command":"plain"})");
    reply_view r = get("/api/v3/query?select=idint,command,jobname&order=idint&format=csv", auth);
    ASSERT_EQ(r.reply.status, 200u);
    EXPECT_EQ(r.reply.content_type, "text/csv");
    EXPECT_EQ(r.reply.body, "idint,command,jobname\n1000,\"echo a,b\",\"say \"\"hi\"\"\"\n1001,plain,\n");
    r = get("/api/v3/query?select=idint&where=command==plain&format=csv-noheader", auth);
    EXPECT_EQ(r.reply.body, "1001\n");
}

TEST_F(query_service_test, QueryForgetsExpiredJobs)
{
    auto p = default_params();
    p.forget_after = 100ms;
    make(p);
    std::string auth = login();
    submit(auth, R"({"command":"a"})");
    advance(200ms);
    submit(auth, R"({"command":"b"})");
    advance(50ms);  // a ended at 250
    EXPECT_EQ(get("/api/v3/query?select=idint&format=csv-noheader", auth).reply.body, "1000\n1001\n");
    advance(100ms);  // a forgotten at 350
    EXPECT_EQ(get("/api/v3/query?select=idint,status&format=csv-noheader", auth).reply.body, "1001,RUNNING\n");
}

}  // namespace
}  // namespace vovrest::testing::detail::test
