// Job ids (parse, print), the job description's JSON, and every submit-answer shape the
// reference allows (the fake server answers only one of them).
#include <vovrest/error.hpp>
#include <vovrest/jobs.hpp>

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <sstream>

namespace vovrest::test {
namespace {

TEST(job_id, prints_nine_digits_zero_padded)
{
    EXPECT_EQ(job_id(1138).to_string(), "000001138");
    EXPECT_EQ(to_string(job_id(0)), "000000000");
    EXPECT_EQ(job_id(1234567890).to_string(), "1234567890");
    std::ostringstream out;
    out << job_id(42);
    EXPECT_EQ(out.str(), "000000042");
}

TEST(job_id, parses_integer_and_zero_padded_text)
{
    EXPECT_EQ(job_id::parse("1138"), job_id(1138));
    EXPECT_EQ(job_id::parse("000001138"), job_id(1138));
    EXPECT_EQ(job_id::parse("0"), job_id(0));
    for (std::string_view bad : {"", "-1", "+1", " 1", "1 ", "12a", "0x10", "99999999999999999999"})
        EXPECT_FALSE(job_id::parse(bad)) << bad;
    EXPECT_LT(job_id(1), job_id(2));
}

job_id parsed(std::string_view body)
{
    return jobs::parse_submit_response(body);
}

TEST(submit_response, accepts_every_documented_shape)
{
    EXPECT_EQ(parsed(R"({"jobid":1138})"), job_id(1138));
    EXPECT_EQ(parsed(R"({"jobid":"000001138"})"), job_id(1138));
    EXPECT_EQ(parsed(R"({"id":1138})"), job_id(1138));
    EXPECT_EQ(parsed(R"({"id":"000001138","status":"SCHEDULED"})"), job_id(1138));
    for (std::string_view column : {"jobid", "id", "idint", "JOBID"})
    {
        std::string body = R"({"startrow":1,"endrow":1,"query":"","errormsg":"","columns":[{"col":0,"field":")"
                           + std::string(column) + R"("}],"rows":[[1138]]})";
        EXPECT_EQ(parsed(body), job_id(1138)) << column;
        body = R"({"columns":[{"col":0,"field":")" + std::string(column) + R"("}],"rows":[["000001138"]]})";
        EXPECT_EQ(parsed(body), job_id(1138)) << column;
    }
    // The id column among others, first row taken.
    EXPECT_EQ(parsed(R"({"columns":["status","idint"],"rows":[["SCHEDULED",7],["X",8]]})"), job_id(7));
    // Tolerated beyond the reference: a bare id.
    EXPECT_EQ(parsed("1138"), job_id(1138));
    EXPECT_EQ(parsed(R"("000001138")"), job_id(1138));
}

TEST(submit_response, refuses_answers_without_an_id)
{
    for (std::string_view body : {
             "",
             "nope",
             "{}",
             "[]",
             "-3",
             R"({"jobid":null})",
             R"({"jobid":"abc"})",
             R"({"id":-4})",
             R"({"id":[1]})",
             R"({"columns":["status"],"rows":[["SCHEDULED"]]})",
             R"({"columns":["jobid"],"rows":[]})",
             R"({"columns":["jobid"],"rows":[["x"]]})",
             R"({"errormsg":"no","columns":[],"rows":[]})",
             R"({"columns":["jobid"]})",
         })
    {
        try
        {
            parsed(body);
            ADD_FAILURE() << "accepted " << body;
        }
        catch (const error_with_diagnostics& e)
        {
            EXPECT_EQ(e.code(), error::bad_response) << body;
            EXPECT_FALSE(e.get_diagnostics().client_message.empty()) << body;
        }
    }
}

TEST(submit_response, location_header_is_the_last_resort)
{
    response answer;
    answer.status = 201;
    answer.body = "";
    answer.headers = {{"location", "/api/v3/jobs/000001140"}};
    boost::system::error_code ec;
    diagnostics diag;
    EXPECT_EQ(jobs::parse_submit_response(answer, ec, diag), job_id(1140));
    EXPECT_FALSE(ec);

    answer.headers.clear();
    EXPECT_EQ(jobs::parse_submit_response(answer, ec, diag), job_id{});
    EXPECT_EQ(ec, error::bad_response);
    EXPECT_EQ(diag.http_status, 201u);
    EXPECT_EQ(diag.path, "/api/v3/jobs");
}

TEST(job_spec, json_holds_only_what_was_set)
{
    job_spec spec;
    spec.command = "sleep 10";
    spec.jobname = "j1";
    spec.priority = "4,8";
    EXPECT_EQ(boost::json::serialize(to_json(spec)), R"({"command":"sleep 10","jobname":"j1","priority":"4,8"})");

    spec.extra["autokill"] = 60;
    spec.extra["jobname"] = "override";
    auto body = to_json(spec);
    EXPECT_EQ(body.at("autokill").as_int64(), 60);
    EXPECT_EQ(body.at("jobname").as_string(), "override");
}

TEST(job_spec, argv_is_quoted_for_the_shell)
{
    job_spec spec;
    spec.command = "ignored";
    spec.argv = {"echo", "hello world", "it's", "", "$HOME", "a/b.c=1"};
    EXPECT_EQ(command_line(spec), R"(echo 'hello world' 'it'\''s' '' '$HOME' a/b.c=1)");
    spec.argv.clear();
    EXPECT_EQ(command_line(spec), "ignored");
}

TEST(job_state, terminal_states)
{
    EXPECT_TRUE(is_terminal("VALID"));
    EXPECT_TRUE(is_terminal("failed"));
    for (std::string_view s : {"SCHEDULED", "RUNNING", "SUSPENDED", "INVALID", "", "VALIDX"})
        EXPECT_FALSE(is_terminal(s)) << s;
}

}  // namespace
}  // namespace vovrest::test
