// vovrest token, get, query and job: one request or a few each, printed as they come.
#include "cli_commands.hpp"
#include "cli_format.hpp"

#include <vovrest/jobs.hpp>
#include <vovrest/query.hpp>

#include <iostream>
#include <string_view>

namespace vovrest::cli {
namespace {

namespace asio = boost::asio;

constexpr std::string_view token_help = R"help(usage: vovrest [options] token

Prints the Authorization header value "<token_type>:<access_token>" of a fresh token, e.g.
  curl -H "Authorization: $(vovrest token)" "$NC_URL/api/v3/project/1/project"
The only command that prints a token.
)help";

constexpr std::string_view get_help = R"help(usage: vovrest [options] get PATH [NAME=VALUE ...]

GETs PATH (e.g. /api/v3/jobs/1138, or jobs/1138 for short: a PATH without a leading '/' is taken
under /api/v3/) with the NAME=VALUE pairs as query parameters, and prints the body.
)help";

constexpr std::string_view query_help = R"help(usage: vovrest [options] query [--select F[,F...]] [--from TABLE] [--where RULE]
                     [--order F[,F...]] [--limit N] [--format json|csv|csv-noheader|table]

Runs GET /api/v3/query. --from defaults to jobs, --select to every field, --format to table
(aligned columns); json, csv and csv-noheader print the server's answer as it came.
Example: vovrest query --select idint,status --where status==VALID --order idint --limit 10
)help";

constexpr std::string_view job_help = R"help(usage: vovrest [options] job info|stop|suspend|resume|forget ID
       vovrest [options] job wait [--poll DURATION] ID

ID is 1138 or 000001138.
  info     every field of the job, one per line
  stop     stops the job (it ends FAILED); repeating is harmless
  suspend  suspends a scheduled or running job; resume gives it back its state
  forget   makes the server forget the job
  wait     polls (every 1s by default) until the job is VALID or FAILED or forgotten, and prints
           that state; the exit status is 0 whichever it is
)help";

bool print_help_if_asked(arguments& args, std::string_view text)
{
    if (!args.help())
        return false;
    std::cout << text;
    return true;
}

asio::awaitable<int> run_token(session& s)
{
    co_await s.authorize();
    auto header = s.token();
    if (!header)
        throw cli_failure(exit_authentication, "no token was obtained");
    std::cout << *header << '\n';
    co_return exit_ok;
}

void print_body(const std::string& body)
{
    std::cout << body;
    if (!body.empty() && body.back() != '\n')
        std::cout << '\n';
}

asio::awaitable<int> run_get(session& s, std::string path, query_params params)
{
    response answer = co_await s.get(std::move(path), std::move(params));
    print_body(answer.body);
    co_return exit_ok;
}

asio::awaitable<int> run_query(session& s, query q, bool as_table)
{
    if (as_table)
    {
        table t = co_await run(s, std::move(q));
        std::cout << aligned_columns(t);
        co_return exit_ok;
    }
    const bool json = q.result_format() == query_format::json;
    std::string body = co_await run_text(s, std::move(q));
    if (json)
        table::parse(body);  // a table with an errormsg is a failure, not output
    print_body(body);
    co_return exit_ok;
}

asio::awaitable<int> run_job(session& s, std::string action, job_id id, std::chrono::milliseconds poll)
{
    if (action == "info")
    {
        job_record record = co_await jobs::get(s, id);
        std::cout << aligned_fields(record.fields);
    }
    else if (action == "stop")
        co_await jobs::stop(s, id);
    else if (action == "suspend")
        co_await jobs::suspend(s, id);
    else if (action == "resume")
        co_await jobs::resume(s, id);
    else if (action == "forget")
        co_await jobs::forget(s, id);
    else
    {
        wait_result end = co_await jobs::wait(s, id, poll);
        std::cout << (end.end == job_end::forgotten ? std::string("forgotten") : end.status) << '\n';
    }
    co_return exit_ok;
}

}  // namespace

runner parse_token(arguments& args)
{
    if (print_help_if_asked(args, token_help))
        return {};
    args.expect_end("token");
    return [](session& s) { return run_token(s); };
}

runner parse_get(arguments& args)
{
    if (print_help_if_asked(args, get_help))
        return {};
    if (args.empty())
        throw usage_error("get: PATH is missing");
    std::string path = args.take();
    if (!path.starts_with('/'))
        path = "/api/v3/" + path;
    query_params params;
    for (auto& pair : args.rest())
    {
        const auto eq = pair.find('=');
        if (eq == std::string::npos || eq == 0)
            throw usage_error("get: expected NAME=VALUE, got '" + pair + "'");
        params.emplace_back(pair.substr(0, eq), pair.substr(eq + 1));
    }
    return [path, params](session& s) { return run_get(s, path, params); };
}

runner parse_query(arguments& args)
{
    query q;
    bool as_table = true;
    while (!args.empty())
    {
        if (print_help_if_asked(args, query_help))
            return {};
        if (auto select = args.option("--select"))
        {
            std::vector<std::string> fields;
            std::string_view rest = *select;
            while (!rest.empty())
            {
                auto comma = rest.find(',');
                if (auto field = rest.substr(0, comma); !field.empty())
                    fields.emplace_back(field);
                rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            }
            q.select(std::move(fields));
        }
        else if (auto from = args.option("--from"))
            q.from(*from);
        else if (auto where = args.option("--where"))
            q.where(*where);
        else if (auto order = args.option("--order"))
            q.order(*order);
        else if (auto limit = args.option("--limit"))
            q.limit(parse_count("--limit", *limit, 0, 1'000'000'000));
        else if (auto format = args.option("--format"))
        {
            as_table = *format == "table";
            if (*format == "json" || as_table)
                q.format(query_format::json);
            else if (*format == "csv")
                q.format(query_format::csv);
            else if (*format == "csv-noheader")
                q.format(query_format::csv_noheader);
            else
                throw usage_error("--format: expected json, csv, csv-noheader or table, got '" + *format + "'");
        }
        else
            throw usage_error("query: unexpected argument '" + std::string(args.peek()) + "'");
    }
    return [q, as_table](session& s) { return run_query(s, q, as_table); };
}

runner parse_job(arguments& args)
{
    if (print_help_if_asked(args, job_help))
        return {};
    if (args.empty())
        throw usage_error("job: an action is missing (info, stop, suspend, resume, forget, wait)");
    std::string action = args.take();
    if (action != "info" && action != "stop" && action != "suspend" && action != "resume" && action != "forget"
        && action != "wait")
        throw usage_error("job: unknown action '" + action + "'");
    std::chrono::milliseconds poll = std::chrono::seconds(1);
    std::optional<job_id> id;
    while (!args.empty())
    {
        if (print_help_if_asked(args, job_help))
            return {};
        if (auto p = action == "wait" ? args.option("--poll") : std::nullopt)
            poll = parse_duration("--poll", *p);
        else if (!id)
        {
            std::string text = args.take();
            id = job_id::parse(text);
            if (!id)
                throw usage_error("job " + action + ": not a job id: '" + text + "'");
        }
        else
            throw usage_error("job " + action + ": unexpected argument '" + std::string(args.peek()) + "'");
    }
    if (!id)
        throw usage_error("job " + action + ": ID is missing");
    return [action, id = *id, poll](session& s) { return run_job(s, action, id, poll); };
}

}  // namespace vovrest::cli
