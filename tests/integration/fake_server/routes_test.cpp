// Every REST route of the fake Accelerator over a real keep-alive connection: project, version,
// jobs (submit, read, one field, control, modify, forget) and the query in its three formats.
#include "raw_http_client.hpp"

#include <vovrest/testing/fake_server.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>

namespace {

namespace json = boost::json;
namespace vt = vovrest::testing;
using namespace vovrest::test;
using namespace std::chrono_literals;

class FakeServerRoutes : public ::testing::Test
{
protected:
    void SetUp() override
    {
        vt::fake_server_params p;
        p.users = {{"alice", "a", vt::security_level::user}};
        p.project_name = "regression";
        p.version = "2099.1.2";
        p.job_schedule_delay = 1h;  // jobs stay SCHEDULED unless a test acts on them
        server_ = std::make_unique<vt::fake_server>(p);
        server_->start();
        authorization_ = fetch_authorization(server_->url(), "alice", "a");
        connection_ = std::make_unique<raw_connection>(server_->url());
    }

    raw_response send(raw_request request)
    {
        request.headers.emplace_back("Authorization", authorization_);
        return connection_->send(request);
    }
    raw_response get_(std::string target) { return send(get(std::move(target))); }
    raw_response with_body(std::string method, std::string target, std::string body)
    {
        raw_request request;
        request.method = std::move(method);
        request.target = std::move(target);
        request.content_type = "application/json";
        request.body = std::move(body);
        return send(std::move(request));
    }
    std::int64_t submit(const std::string& command)
    {
        const auto response = with_body("POST", "/api/v3/jobs", R"({"command":")" + command + R"(","jobname":"j"})");
        EXPECT_EQ(response.status, 201u) << response.body;
        return json::parse(response.body).at("rows").at(0).at(0).as_int64();
    }
    // The one cell of a one-row, one-column table.
    static json::value cell(const raw_response& response)
    {
        EXPECT_EQ(response.status, 200u) << response.body;
        return json::parse(response.body).at("rows").at(0).at(0);
    }
    std::string status_of(std::int64_t id)
    {
        return std::string(cell(get_("/api/v3/jobs/" + std::to_string(id) + "/status")).as_string());
    }

    std::unique_ptr<vt::fake_server> server_;
    std::string authorization_;
    std::unique_ptr<raw_connection> connection_;
};

TEST_F(FakeServerRoutes, ProjectAndVersionAreOneCellTables)
{
    const auto project = get_("/api/v3/project/1/project");
    const auto table = json::parse(project.body).as_object();
    EXPECT_EQ(table.at("columns").at(0).at("field").as_string(), "PROJECT");
    EXPECT_EQ(table.at("errormsg").as_string(), "");
    EXPECT_EQ(cell(project).as_string(), "regression");
    EXPECT_EQ(cell(get_("/api/v3/project/1/version")).as_string(), "2099.1.2");
}

TEST_F(FakeServerRoutes, SubmitAnswers201WithTheJobId)
{
    const auto response = with_body("POST", "/api/v3/jobs", R"({"command":"sleep 10","priority":"high"})");
    ASSERT_EQ(response.status, 201u) << response.body;
    const auto table = json::parse(response.body);
    EXPECT_EQ(table.at("columns").at(0).at("field").as_string(), "jobid");
    const auto id = table.at("rows").at(0).at(0).as_int64();
    EXPECT_EQ(response.header("Location"), "/api/v3/jobs/" + std::to_string(id));
    EXPECT_EQ(server_->job_count(), 1u);

    // "cmd" is accepted as well.
    EXPECT_EQ(with_body("POST", "/api/v3/jobs", R"({"cmd":"echo hi"})").status, 201u);
    EXPECT_EQ(server_->stats().jobs_created, 2u);
}

TEST_F(FakeServerRoutes, GetJobGivesEveryFieldUnderEveryDocumentedPath)
{
    const auto id = submit("sleep 10");
    const auto path = "/api/v3/jobs/" + std::to_string(id);
    for (const auto& target : {path, path + "/", path + "/*", "/api/v3/jobs/00000" + std::to_string(id)})
    {
        const auto response = get_(target);
        ASSERT_EQ(response.status, 200u) << target << ": " << response.body;
        const auto table = json::parse(response.body).as_object();
        const auto& columns = table.at("columns").as_array();
        const auto& row = table.at("rows").at(0).as_array();
        ASSERT_EQ(columns.size(), row.size());
        std::map<std::string, json::value> fields;
        for (std::size_t i = 0; i < columns.size(); ++i)
            fields[std::string(columns[i].at("field").as_string())] = row[i];
        EXPECT_EQ(fields.at("idint").as_int64(), id) << target;
        EXPECT_EQ(fields.at("user").as_string(), "alice");
        EXPECT_EQ(fields.at("command").as_string(), "sleep 10");
        EXPECT_EQ(fields.at("status").as_string(), "SCHEDULED");
        EXPECT_EQ(fields.at("id").as_string().size(), 9u);  // zero-padded
    }
}

TEST_F(FakeServerRoutes, OneFieldIsAOneColumnTable)
{
    const auto id = submit("sleep 10");
    const auto response = get_("/api/v3/jobs/" + std::to_string(id) + "/jobname");
    EXPECT_EQ(json::parse(response.body).at("columns").at(0).at("field").as_string(), "jobname");
    EXPECT_EQ(cell(response).as_string(), "j");
    EXPECT_EQ(status_of(id), "SCHEDULED");
}

TEST_F(FakeServerRoutes, PutStopsSuspendsAndResumes)
{
    const auto id = submit("sleep 10");
    const auto path = "/api/v3/jobs/" + std::to_string(id);

    auto suspend = with_body("PUT", path, R"({"action":"suspend"})");
    ASSERT_EQ(suspend.status, 200u) << suspend.body;
    EXPECT_EQ(json::parse(suspend.body).at("status").as_string(), "SUSPENDED");
    EXPECT_EQ(status_of(id), "SUSPENDED");

    EXPECT_EQ(with_body("PUT", path, R"({"action":"resume"})").status, 200u);
    EXPECT_EQ(status_of(id), "SCHEDULED");

    raw_request stop;  // the query-string form, empty body
    stop.method = "PUT";
    stop.target = path + "?action=stop";
    const auto stopped = send(stop);
    ASSERT_EQ(stopped.status, 200u) << stopped.body;
    EXPECT_EQ(json::parse(stopped.body).at("action").as_string(), "stop");
    EXPECT_EQ(status_of(id), "FAILED");
    EXPECT_EQ(cell(get_(path + "/exitstatus")).as_int64(), 143);
}

TEST_F(FakeServerRoutes, PatchModifiesProperties)
{
    const auto id = submit("sleep 10");
    const auto path = "/api/v3/jobs/" + std::to_string(id);
    const auto response = with_body("PATCH", path, R"({"jobname":"renamed","priority":"high"})");
    ASSERT_EQ(response.status, 200u) << response.body;
    EXPECT_EQ(json::parse(response.body).at("modified").as_array().size(), 2u);
    EXPECT_EQ(cell(get_(path + "/jobname")).as_string(), "renamed");
    EXPECT_EQ(cell(get_(path + "/priority")).as_int64(), 8);
}

TEST_F(FakeServerRoutes, DeleteForgetsTheJob)
{
    const auto id = submit("sleep 10");
    raw_request forget;
    forget.method = "DELETE";
    forget.target = "/api/v3/jobs/" + std::to_string(id);
    const auto response = send(forget);
    ASSERT_EQ(response.status, 200u) << response.body;
    EXPECT_TRUE(json::parse(response.body).at("forgotten").as_bool());
    EXPECT_EQ(server_->job_count(), 0u);
    EXPECT_EQ(get_(forget.target).status, 404u);
    EXPECT_EQ(send(forget).status, 404u);
}

TEST_F(FakeServerRoutes, QueryInJsonCsvAndCsvWithoutHeader)
{
    const auto first = submit("sleep 1");
    const auto second = submit("sleep 2");
    const auto third = submit("sleep 3");
    ASSERT_EQ(with_body("PUT", "/api/v3/jobs/" + std::to_string(second), R"({"action":"stop"})").status, 200u);

    const std::string query =
        "/api/v3/query?select=idint,status&from=jobs&where=status%3D%3DSCHEDULED&order=idint%20DESC";
    const auto response = get_(query);
    ASSERT_EQ(response.status, 200u) << response.body;
    const auto table = json::parse(response.body).as_object();
    EXPECT_EQ(table.at("errormsg").as_string(), "");
    EXPECT_EQ(table.at("columns").at(0).at("field").as_string(), "idint");
    EXPECT_EQ(table.at("columns").at(1).at("field").as_string(), "status");
    const auto& rows = table.at("rows").as_array();
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows.at(0).at(0).as_int64(), third);
    EXPECT_EQ(rows.at(1).at(0).as_int64(), first);

    const auto limited = get_(query + "&limit=1");
    EXPECT_EQ(json::parse(limited.body).at("rows").as_array().size(), 1u);

    const auto csv = get_(query + "&format=csv");
    ASSERT_EQ(csv.status, 200u) << csv.body;
    EXPECT_EQ(csv.header("Content-Type"), "text/csv");
    EXPECT_EQ(csv.body,
              "idint,status\n" + std::to_string(third) + ",SCHEDULED\n" + std::to_string(first) + ",SCHEDULED\n");

    const auto bare = get_(query + "&format=csv-noheader");
    ASSERT_EQ(bare.status, 200u) << bare.body;
    EXPECT_EQ(bare.body, std::to_string(third) + ",SCHEDULED\n" + std::to_string(first) + ",SCHEDULED\n");
}

TEST_F(FakeServerRoutes, RequestsAreCountedByRouteOnOneConnection)
{
    const auto id = submit("sleep 1");
    get_("/api/v3/jobs/" + std::to_string(id));
    get_("/api/v3/jobs/" + std::to_string(id) + "/status");
    get_("/api/v3/project/1/project");
    const auto stats = server_->stats();
    EXPECT_EQ(stats.requests_by_route.at("POST /api/v3/jobs"), 1u);
    EXPECT_EQ(stats.requests_by_route.at("GET /api/v3/jobs/{id}"), 1u);
    EXPECT_EQ(stats.requests_by_route.at("GET /api/v3/jobs/{id}/{field}"), 1u);
    EXPECT_EQ(stats.requests_by_route.at("GET /api/v3/project/1/project"), 1u);
    EXPECT_EQ(stats.requests, 5u);              // and the token request
    EXPECT_EQ(stats.connections_accepted, 2u);  // the token's connection and this one
}

}  // namespace
