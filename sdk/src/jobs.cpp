#include "table_reply.hpp"

#include <vovrest/detail/wire_format.hpp>
#include <vovrest/jobs.hpp>
#include <vovrest/submit_many.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vovrest::jobs {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

constexpr std::string_view jobs_path = "/api/v3/jobs";

// The integer form: Accelerator reads both it and the zero-padded one.
std::string job_path(job_id id)
{
    return std::string(jobs_path) + "/" + std::to_string(id.value());
}

std::string text_of(const table& t, std::string_view column)
{
    auto index = t.column_index(column);
    return index ? t.at(0, *index).as_string() : std::string{};
}

std::int64_t int_of(const table& t, std::string_view column)
{
    auto index = t.column_index(column);
    return index ? t.at(0, *index).try_int().value_or(0) : 0;
}

asio::awaitable<void> control(session& s, job_id id, std::string_view action)
{
    // Built before the co_await: g++ 12 rejects an initializer list inside a co_await expression.
    boost::json::object body;
    body["action"] = action;
    co_await s.put(job_path(id), body);
}

}  // namespace

asio::awaitable<job_id> submit(session& s, job_spec spec, error_code& ec, diagnostics& diag)
{
    ec.clear();
    diag.clear();
    boost::json::object body = to_json(spec);
    if (body["command"].get_string().empty())
    {
        ec = error::bad_request;
        diag = diagnostics{0, "the job has no command", "POST", std::string(jobs_path), {}};
        co_return job_id{};
    }
    auto [failure, answer] = co_await s.async_post(std::string(jobs_path), body, diag, asio::as_tuple(asio::use_awaitable));
    if (failure)
    {
        ec = failure;
        co_return job_id{};
    }
    co_return parse_submit_response(answer, ec, diag);
}

asio::awaitable<job_id> submit(session& s, job_spec spec)
{
    error_code ec;
    diagnostics diag;
    job_id id = co_await submit(s, std::move(spec), ec, diag);
    throw_on_error(ec, diag);
    co_return id;
}

asio::awaitable<job_id> submit(session& s, job_spec spec, reconcile_tag tag)
{
    submit_many_options options;
    options.concurrency = 1;
    options.jobnames_unique = tag.jobname_unique;
    options.tag_prefix = std::move(tag.prefix);
    std::vector<job_spec> one;
    one.push_back(std::move(spec));
    std::vector<submit_result> results = co_await submit_many(s, one, std::move(options));
    submit_result& result = results.at(0);
    throw_on_error(result.error, result.diag);
    co_return *result.id;
}

asio::awaitable<job_record> get(session& s, job_id id)
{
    const std::string path = job_path(id);
    response answer = co_await s.get(path);
    job_record record;
    record.fields = detail::table_from(answer, "GET", path);
    const table& t = record.fields;
    if (t.empty())
        throw error_with_diagnostics(error::not_found, diagnostics{answer.status, "no row for job " + id.to_string(),
                                                                   "GET", path, {}});
    record.id = id;
    if (auto column = t.column_index("idint"))
        record.id = job_id(t.at(0, *column).try_int().value_or(id.value()));
    record.jobname = text_of(t, "jobname");
    record.user = text_of(t, "user");
    record.command = text_of(t, "command");
    record.status = text_of(t, "status");
    record.host = text_of(t, "host");
    record.submit_time = int_of(t, "submittime");
    record.start_time = int_of(t, "starttime");
    record.end_time = int_of(t, "endtime");
    if (auto column = t.column_index("exitstatus"))
        record.exit_status = t.at(0, *column).try_int();
    co_return record;
}

asio::awaitable<std::string> field(session& s, job_id id, std::string name)
{
    std::string path = job_path(id) + "/";
    detail::append_encoded(path, name, false);
    response answer = co_await s.get(path);
    table t = detail::table_from(answer, "GET", path);
    auto column = t.column_index(name);
    co_return t.at(0, column ? *column : 0).as_string();
}

asio::awaitable<void> stop(session& s, job_id id)
{
    return control(s, id, "stop");
}

asio::awaitable<void> suspend(session& s, job_id id)
{
    return control(s, id, "suspend");
}

asio::awaitable<void> resume(session& s, job_id id)
{
    return control(s, id, "resume");
}

asio::awaitable<void> modify(session& s, job_id id, boost::json::object fields)
{
    co_await s.patch(job_path(id), fields);
}

asio::awaitable<void> forget(session& s, job_id id)
{
    co_await s.del(job_path(id));
}

asio::awaitable<wait_result> wait(session& s, job_id id, std::chrono::steady_clock::duration poll_interval)
{
    const std::string path = job_path(id) + "/status";
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;)
    {
        diagnostics diag;
        auto [ec, answer] = co_await s.async_get(path, {}, diag, asio::as_tuple(asio::use_awaitable));
        if (ec == error::not_found)
            co_return wait_result{job_end::forgotten, {}};
        throw_on_error(ec, diag);
        table t = detail::table_from(answer, "GET", path);
        auto column = t.column_index("status");
        std::string status = t.at(0, column ? *column : 0).as_string();
        if (is_terminal(status))
        {
            // is_terminal() admits exactly VALID and FAILED, in any case.
            const job_end end = (status.front() == 'V' || status.front() == 'v') ? job_end::valid : job_end::failed;
            co_return wait_result{end, std::move(status)};
        }
        timer.expires_after(poll_interval);
        co_await timer.async_wait(asio::use_awaitable);
    }
}

}  // namespace vovrest::jobs
