// vovrest job info|stop|suspend|resume|forget ID and vovrest job wait ID...
#include "cli_commands.hpp"
#include "cli_errors.hpp"
#include "cli_format.hpp"
#include "cli_output.hpp"

#include "common/options.hpp"

#include <vovrest/jobs.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>

#include <iostream>

namespace vovrest::cli {
namespace {

namespace asio = boost::asio;

job_id id_value(const std::string& text, std::string_view action)
{
    auto id = job_id::parse(text);
    if (!id)
        throw usage_error("job " + std::string(action) + ": not a job id: '" + text + "'");
    return *id;
}

asio::awaitable<int> run_info(session& s, const global_options& o, job_id id)
{
    job_record record = co_await jobs::get(s, id);
    if (!o.json())
    {
        std::cout << aligned_fields(record.fields);
        co_return exit_ok;
    }
    boost::json::object fields;
    const table& t = record.fields;
    for (std::size_t c = 0; c < t.columns().size(); ++c)
        fields[t.columns()[c]] = t.at(0, c).json();
    print_line(json_text(fields));
    co_return exit_ok;
}

asio::awaitable<int> run_control(session& s, const global_options& o, std::string action, job_id id)
{
    if (action == "stop")
        co_await jobs::stop(s, id);
    else if (action == "suspend")
        co_await jobs::suspend(s, id);
    else if (action == "resume")
        co_await jobs::resume(s, id);
    else
        co_await jobs::forget(s, id);
    if (o.json())
    {
        boost::json::object done;
        done["id"] = id.to_string();
        done["action"] = action;
        print_line(json_text(done));
    }
    co_return exit_ok;
}

// How one wait ended.
struct wait_end
{
    job_id id;
    int status = exit_ok;  // exit_ok, exit_not_found, exit_forgotten, or an error's
    std::string state;     // VALID, FAILED; "not found", "forgotten"; the error text
    std::string end;       // valid, failed, not_found, forgotten, error
};

// Polls GET /api/v3/jobs/{id}/status. A 404 at the first poll: the job never existed or was
// forgotten before the wait began (not_found). A 404 later: forgotten while waited for, its end
// state unseen (forgotten).
asio::awaitable<wait_end> wait_one(session& s, job_id id, std::chrono::milliseconds poll)
{
    asio::steady_timer timer(co_await asio::this_coro::executor);
    wait_end result;
    result.id = id;
    for (bool first = true;; first = false)
    {
        std::string status;
        try
        {
            status = co_await jobs::field(s, id, "status");
        }
        catch (const error_with_diagnostics& e)
        {
            if (e.code() == error::not_found)
            {
                result.status = first ? exit_not_found : exit_forgotten;
                result.state = first ? "not found" : "forgotten";
                result.end = first ? "not_found" : "forgotten";
                co_return result;
            }
            result.status = exit_status_for(e.code(), e.get_diagnostics());
            result.state = error_text(e.code(), e.get_diagnostics());
            result.end = "error";
            co_return result;
        }
        if (is_terminal(status))
        {
            result.state = status;
            result.end = status.front() == 'V' || status.front() == 'v' ? "valid" : "failed";
            co_return result;
        }
        timer.expires_after(poll);
        co_await timer.async_wait(asio::use_awaitable);
    }
}

// The worst of several ends: an error first, then not found, then forgotten.
int combined_status(const std::vector<wait_end>& ends)
{
    int worst = exit_ok;
    const auto rank = [](int status) {
        switch (status)
        {
        case exit_ok: return 0;
        case exit_forgotten: return 1;
        case exit_not_found: return 2;
        default: return 3;
        }
    };
    for (const auto& e : ends)
        if (rank(e.status) > rank(worst))
            worst = e.status;
    return worst;
}

asio::awaitable<int> run_wait(session& s, const global_options& o, std::vector<job_id> ids,
                              std::chrono::milliseconds poll)
{
    // Every job is polled at once; the answers print in the order of the command line.
    std::vector<wait_end> ends(ids.size());
    std::size_t left = ids.size();
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer all_done(executor, asio::steady_timer::time_point::max());
    for (std::size_t i = 0; i < ids.size(); ++i)
    {
        asio::co_spawn(executor, wait_one(s, ids[i], poll),
                       [&ends, &left, &all_done, i](std::exception_ptr e, wait_end end) {
                           if (e)
                           {
                               end.status = exit_failure;
                               end.end = "error";
                               try
                               {
                                   std::rethrow_exception(e);
                               }
                               catch (const std::exception& x)
                               {
                                   end.state = x.what();
                               }
                           }
                           ends[i] = std::move(end);
                           if (--left == 0)
                               all_done.cancel();
                       });
    }
    if (left > 0)
        co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
    for (std::size_t i = 0; i < ends.size(); ++i)
    {
        const wait_end& e = ends[i];
        if (o.json())
        {
            boost::json::object line;
            line["id"] = ids[i].to_string();
            line["end"] = e.end;
            if (e.end == "valid" || e.end == "failed")
                line["status"] = e.state;
            else if (e.end == "error")
                line["error"] = e.state;
            print_line(json_text(line));
        }
        else if (e.end == "error")
            fail(e.status, "job wait " + ids[i].to_string() + ": " + e.state);
        else if (ids.size() == 1)
            print_line(printable_line(e.state));
        else
            print_line(ids[i].to_string() + " " + printable_line(e.state));
    }
    co_return combined_status(ends);
}

}  // namespace

void add_job_command(CLI::App& app, global_options& o, command& out)
{
    auto* job = app.add_subcommand("job", "job info|stop|suspend|resume|forget ID, job wait ID...");
    job->footer("ID is 1138 or 000001138.");
    job->require_subcommand(1);

    auto* info = job->add_subcommand("info", "every field of the job (text: one per line; json: one object)");
    auto info_id = std::make_shared<std::string>();
    info->add_option("ID", *info_id, "the job")->required();
    info->callback([&o, &out, info_id] {
        const job_id id = id_value(*info_id, "info");
        out.run = [&o, id](session& s) { return run_info(s, o, id); };
    });

    const std::pair<const char*, const char*> controls[] = {
        {"stop", "stop the job (it ends FAILED); repeating is harmless"},
        {"suspend", "suspend a scheduled or running job"},
        {"resume", "give a suspended job back its state"},
        {"forget", "make the server forget the job"},
    };
    for (const auto& [name, help] : controls)
    {
        auto* sub = job->add_subcommand(name, help);
        auto id_text = std::make_shared<std::string>();
        sub->add_option("ID", *id_text, "the job")->required();
        sub->callback([&o, &out, id_text, action = std::string(name)] {
            const job_id id = id_value(*id_text, action);
            out.run = [&o, id, action](session& s) { return run_control(s, o, action, id); };
        });
    }

    auto* wait = job->add_subcommand("wait", "wait until every job given is VALID or FAILED");
    wait->footer("Polls each job until it is VALID or FAILED and prints that state (several jobs: \"ID STATE\"\n"
                 "lines in the order given; json: {\"id\", \"end\", \"status\"} lines, end being valid, failed,\n"
                 "not_found or forgotten). Exit status: 0 every job finished (VALID or FAILED alike); 4 a job\n"
                 "was not found at the first poll (it never existed, or was forgotten before the wait); 5 a\n"
                 "job was forgotten while waited for (it ended, but its end state was not seen); the worst\n"
                 "of these (or 1, 3 for errors) when there are several jobs.");
    auto ids = std::make_shared<std::vector<std::string>>();
    auto poll = std::make_shared<std::chrono::milliseconds>(std::chrono::seconds(1));
    vovrest::tools::add_duration(*wait, "--poll", *poll, "time between two polls of a job");
    wait->add_option("ID", *ids, "the jobs")->required();
    wait->callback([&o, &out, ids, poll] {
        std::vector<job_id> parsed;
        for (const auto& text : *ids)
            parsed.push_back(id_value(text, "wait"));
        const auto interval = *poll;
        out.run = [&o, parsed, interval](session& s) { return run_wait(s, o, parsed, interval); };
    });
}

}  // namespace vovrest::cli
