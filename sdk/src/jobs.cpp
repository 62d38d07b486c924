#include "table_reply.hpp"
#include "throwing_call.hpp"

#include <vovrest/detail/wire_format.hpp>
#include <vovrest/jobs.hpp>
#include <vovrest/submit_many.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vovrest::detail {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
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

// A cancellation that came while the coroutine ran between steps found no wait to end: the next
// step must not start.
asio::awaitable<bool> cancelled_between_steps()
{
    auto state = co_await asio::this_coro::cancellation_state;
    co_return state.cancelled() != asio::cancellation_type::none;
}

}  // namespace

asio::awaitable<std::pair<error_code, job_id>> submit_job(session& s, job_spec spec, diagnostics& diag)
{
    diag.clear();
    std::pair<error_code, job_id> outcome;
    boost::json::object body = to_json(spec);
    if (body["command"].get_string().empty())
    {
        outcome.first = error::bad_request;
        diag = client_failure("the job has no command", "POST", std::string(jobs_path));
        co_return outcome;
    }
    auto [failure, answer] = co_await s.async_post(std::string(jobs_path), body, diag, use_tuple);
    if (failure)
    {
        outcome.first = failure;
        co_return outcome;
    }
    outcome.second = jobs::parse_submit_response(answer, outcome.first, diag);
    co_return outcome;
}

asio::awaitable<std::pair<error_code, job_record>> get_job(session& s, job_id id, diagnostics& diag)
{
    std::pair<error_code, job_record> outcome;
    const std::string path = job_path(id);
    auto [failure, answer] = co_await s.async_get(path, {}, diag, use_tuple);
    if (failure)
    {
        outcome.first = failure;
        co_return outcome;
    }
    job_record& record = outcome.second;
    record.fields = table_from(answer, "GET", path, outcome.first, diag);
    if (outcome.first)
        co_return outcome;
    const table& t = record.fields;
    if (t.empty())
    {
        outcome.first = error::not_found;
        diag = client_failure("no row for job " + id.to_string(), "GET", path, answer.status);
        co_return outcome;
    }
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
    co_return outcome;
}

asio::awaitable<std::pair<error_code, std::string>> job_field(session& s, job_id id, std::string name,
                                                              diagnostics& diag)
{
    std::pair<error_code, std::string> outcome;
    std::string path = job_path(id) + "/";
    append_encoded(path, name, false);
    auto [failure, answer] = co_await s.async_get(path, {}, diag, use_tuple);
    if (failure)
    {
        outcome.first = failure;
        co_return outcome;
    }
    table t = table_from(answer, "GET", path, outcome.first, diag);
    if (!outcome.first)
        outcome.second = first_cell(t, name, answer, "GET", path, outcome.first, diag);
    co_return outcome;
}

asio::awaitable<error_code> control_job(session& s, job_id id, std::string_view action, diagnostics& diag)
{
    // Built before the co_await: g++ 12 rejects an initializer list inside a co_await expression.
    boost::json::object body;
    body["action"] = action;
    auto [failure, answer] = co_await s.async_put(job_path(id), body, diag, use_tuple);
    co_return failure;
}

asio::awaitable<error_code> modify_job(session& s, job_id id, boost::json::object fields, diagnostics& diag)
{
    auto [failure, answer] = co_await s.async_patch(job_path(id), fields, diag, use_tuple);
    co_return failure;
}

asio::awaitable<error_code> forget_job(session& s, job_id id, diagnostics& diag)
{
    auto [failure, answer] = co_await s.async_del(job_path(id), diag, use_tuple);
    co_return failure;
}

asio::awaitable<std::pair<error_code, wait_result>>
wait_job(session& s, job_id id, std::chrono::steady_clock::duration poll_interval, diagnostics& diag)
{
    diag.clear();
    std::pair<error_code, wait_result> outcome;
    const std::string path = job_path(id) + "/status";
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (bool first_poll = true;; first_poll = false)
    {
        // A cancellation that came while the last poll was ending reached no wait: a timer started
        // now would not see it (Asio delivers a cancellation to the wait pending when it is
        // emitted, only), so it is looked for before the wait as well as after it.
        bool cancelled = co_await cancelled_between_steps();
        if (!first_poll && !cancelled)
        {
            timer.expires_after(poll_interval);
            auto [waited] = co_await timer.async_wait(use_tuple);
            cancelled = waited.failed();
            if (!cancelled)
                cancelled = co_await cancelled_between_steps();
        }
        if (cancelled)
        {
            outcome.first = asio::error::operation_aborted;
            diag = client_failure("cancelled while waiting for the job to end", "GET", path);
            co_return outcome;
        }
        auto [failure, answer] = co_await s.async_get(path, {}, diag, use_tuple);
        if (failure == error::not_found)
        {
            diag.clear();
            outcome.second.end = job_end::forgotten;
            co_return outcome;
        }
        if (failure)
        {
            outcome.first = failure;
            co_return outcome;
        }
        table t = table_from(answer, "GET", path, outcome.first, diag);
        if (outcome.first)
            co_return outcome;
        std::string status = first_cell(t, "status", answer, "GET", path, outcome.first, diag);
        if (outcome.first)
            co_return outcome;
        if (is_terminal(status))
        {
            // is_terminal() admits exactly VALID and FAILED, in any case.
            outcome.second.end = (status.front() == 'V' || status.front() == 'v') ? job_end::valid : job_end::failed;
            outcome.second.status = std::move(status);
            co_return outcome;
        }
    }
}

}  // namespace vovrest::detail

namespace vovrest::jobs {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

}  // namespace

asio::awaitable<job_id> submit(session& s, job_spec spec, error_code& ec, diagnostics& diag)
{
    auto [failure, id] = co_await async_submit(s, std::move(spec), diag, use_tuple);
    ec = failure;
    co_return id;
}

asio::awaitable<job_id> submit(session& s, job_spec spec)
{
    return detail::call_or_throw<job_id>([&s, spec = std::move(spec)](diagnostics& diag) mutable {
        return async_submit(s, std::move(spec), diag, use_tuple);
    });
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
    return detail::call_or_throw<job_record>([&s, id](diagnostics& diag) { return async_get(s, id, diag, use_tuple); });
}

asio::awaitable<std::string> field(session& s, job_id id, std::string name)
{
    return detail::call_or_throw<std::string>([&s, id, name = std::move(name)](diagnostics& diag) mutable {
        return async_field(s, id, std::move(name), diag, use_tuple);
    });
}

asio::awaitable<void> stop(session& s, job_id id)
{
    return detail::call_or_throw<void>([&s, id](diagnostics& diag) { return async_stop(s, id, diag, use_tuple); });
}

asio::awaitable<void> suspend(session& s, job_id id)
{
    return detail::call_or_throw<void>([&s, id](diagnostics& diag) { return async_suspend(s, id, diag, use_tuple); });
}

asio::awaitable<void> resume(session& s, job_id id)
{
    return detail::call_or_throw<void>([&s, id](diagnostics& diag) { return async_resume(s, id, diag, use_tuple); });
}

asio::awaitable<void> modify(session& s, job_id id, boost::json::object fields)
{
    return detail::call_or_throw<void>([&s, id, fields = std::move(fields)](diagnostics& diag) mutable {
        return async_modify(s, id, std::move(fields), diag, use_tuple);
    });
}

asio::awaitable<void> forget(session& s, job_id id)
{
    return detail::call_or_throw<void>([&s, id](diagnostics& diag) { return async_forget(s, id, diag, use_tuple); });
}

asio::awaitable<wait_result> wait(session& s, job_id id, std::chrono::steady_clock::duration poll_interval)
{
    return detail::call_or_throw<wait_result>(
        [&s, id, poll_interval](diagnostics& diag) { return async_wait(s, id, poll_interval, diag, use_tuple); });
}

}  // namespace vovrest::jobs
