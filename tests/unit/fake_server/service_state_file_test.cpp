// The fake server's state file: a service started on the file another one wrote has the same
// jobs, ids, lifecycle and counts; a record cut short by a kill is ignored; a broken file is an
// error. And the cap on query answers.
#include "service_fixture.hpp"

#include <boost/json/serialize.hpp>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include <unistd.h>

namespace vovrest::testing::detail::test {
namespace {

using namespace std::chrono_literals;

class state_file_test : public service_test
{
protected:
    state_file_test()
    {
        path = (std::filesystem::temp_directory_path()
                / ("vovrest-state-" + std::to_string(::getpid()) + "-"
                   + ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                   .string();
        std::filesystem::remove(path);
    }
    ~state_file_test() override { std::filesystem::remove(path); }

    fake_server_params with_file()
    {
        auto p = default_params();
        p.state_file = path;
        return p;
    }

    std::string field(std::string_view auth, std::int64_t id, std::string_view name)
    {
        reply_view r = get("/api/v3/jobs/" + std::to_string(id) + "/" + std::string(name), auth);
        if (r.reply.status != 200)
            return "HTTP " + std::to_string(r.reply.status);
        const json::value body = r.body();
        const auto& cell = body.at("rows").at(0).at(0);
        return cell.is_string() ? std::string(cell.as_string()) : json::serialize(cell);
    }

    std::string path;
};

TEST_F(state_file_test, a_restarted_service_has_the_same_jobs_ids_states_and_counts)
{
    make(with_file());
    std::string auth = login();
    const std::int64_t first = submit(auth, R"({"command":"sleep 1","jobname":"a","priority":"high"})");
    const std::int64_t second = submit(auth, R"({"command":"sleep 2","jobname":"b"})");
    const std::int64_t third = submit(auth, R"({"command":"sleep 3"})");
    submit(auth, R"({"command":"sleep 1","jobname":"a"})");  // a duplicate
    EXPECT_EQ(send("PATCH", "/api/v3/jobs/" + std::to_string(second), auth, R"({"jobname":"b2"})").reply.status, 200u);
    EXPECT_EQ(send("PUT", "/api/v3/jobs/" + std::to_string(third), auth, R"({"action":"stop"})").reply.status, 200u);
    advance(60ms);  // the first ones are RUNNING now
    EXPECT_EQ(send("PUT", "/api/v3/jobs/" + std::to_string(first), auth, R"({"action":"suspend"})").reply.status, 200u);
    EXPECT_EQ(send("DELETE", "/api/v3/jobs/" + std::to_string(first + 3), auth).reply.status, 200u);
    EXPECT_EQ(stats().jobs_created, 4u);
    EXPECT_EQ(stats().duplicate_submissions, 1u);

    // The process ends; another starts on the file a while later.
    service.reset();
    advance(5s);
    make(with_file());
    auth = login();
    EXPECT_EQ(svc().job_count(), 3u);
    EXPECT_EQ(field(auth, first, "jobname"), "a");
    EXPECT_EQ(field(auth, first, "priority"), "8");
    EXPECT_EQ(job_status(auth, first), "SUSPENDED");
    EXPECT_EQ(field(auth, second, "jobname"), "b2");
    EXPECT_EQ(job_status(auth, second), "VALID");  // its lifecycle went on meanwhile
    EXPECT_EQ(job_status(auth, third), "FAILED");
    EXPECT_EQ(field(auth, third, "exitstatus"), "143");
    EXPECT_EQ(job_status(auth, first + 3), "HTTP 404");
    EXPECT_EQ(stats().jobs_created, 4u);
    EXPECT_EQ(stats().duplicate_submissions, 1u);

    // Ids go on; what was submitted before still counts for duplicates.
    EXPECT_EQ(submit(auth, R"({"command":"sleep 4"})"), first + 4);
    submit(auth, R"({"command":"sleep 2","jobname":"b"})");  // b was renamed, but it was created as b
    EXPECT_EQ(stats().jobs_created, 6u);
    EXPECT_EQ(stats().duplicate_submissions, 2u);
    EXPECT_EQ(send("PUT", "/api/v3/jobs/" + std::to_string(first), auth, R"({"action":"resume"})").reply.status, 200u);

    service.reset();
    make(with_file());
    auth = login();
    EXPECT_EQ(job_status(auth, first), "RUNNING");
    EXPECT_EQ(svc().job_count(), 5u);
}

TEST_F(state_file_test, a_last_record_cut_short_is_ignored_and_a_broken_one_is_an_error)
{
    make(with_file());
    std::string auth = login();
    submit(auth, R"({"command":"sleep 1"})");
    service.reset();
    {
        std::ofstream out(path, std::ios::app);
        out << R"({"op":"submit","id":1001,"at_ms":)";  // killed in the middle of a write
    }
    make(with_file());
    EXPECT_EQ(svc().job_count(), 1u);
    service.reset();
    {
        std::ofstream out(path, std::ios::app);
        out << "\n{\"op\":\"explode\",\"id\":1000,\"at_ms\":1}\n";
    }
    EXPECT_THROW(make(with_file()), std::runtime_error);
}

TEST_F(state_file_test, query_answers_are_capped_whatever_the_limit)
{
    auto p = default_params();
    p.max_query_rows = 3;
    make(p);
    std::string auth = login();
    for (int i = 0; i < 5; ++i)
        submit(auth, R"({"command":"sleep 1"})");
    EXPECT_EQ(get("/api/v3/query?select=idint", auth).body().at("rows").as_array().size(), 3u);
    EXPECT_EQ(get("/api/v3/query?select=idint&limit=100", auth).body().at("rows").as_array().size(), 3u);
    EXPECT_EQ(get("/api/v3/query?select=idint&limit=2", auth).body().at("rows").as_array().size(), 2u);
    const auto rest = get("/api/v3/query?select=idint&where=idint>1002&order=idint&limit=100", auth).body();
    ASSERT_EQ(rest.at("rows").as_array().size(), 2u);
    EXPECT_EQ(rest.at("rows").at(0).at(0).as_int64(), 1003);
}

}  // namespace
}  // namespace vovrest::testing::detail::test
