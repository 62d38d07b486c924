// The typed calls' async forms (async_project_name, async_server_version, jobs::async_*,
// async_run, async_run_text) with every kind of completion token: callbacks, use_future from a
// plain thread, deferred, and as_tuple(use_awaitable) on a plain executor and on a strand. The
// same scenario runs through each; failures come back as error_code + diagnostics, never thrown;
// a wait is cancelled through the token's cancellation slot.
#include "run_coroutine.hpp"
#include "sdk_fixture.hpp"

#include <vovrest/jobs.hpp>
#include <vovrest/project.hpp>
#include <vovrest/query.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <future>
#include <thread>
#include <type_traits>

namespace vovrest::test {
namespace {

using namespace std::chrono_literals;
using boost::system::error_code;

// The result of a call that completes with an error_code only.
struct none
{};

// How one call ended, as its completion said: nothing here was thrown.
template <class Result>
struct outcome
{
    error_code ec;
    Result value{};
    diagnostics diag;
};

// Every driver runs `start(diag, token)` (an async_* call) with its kind of token and returns
// how the call ended. The session's executor is `io`'s.

struct callback_driver
{
    asio::io_context& io;

    template <class Result, class Start>
    outcome<Result> call(Start start)
    {
        outcome<Result> out;
        int calls = 0;
        if constexpr (std::is_same_v<Result, none>)
            start(out.diag, [&](error_code ec) {
                out.ec = ec;
                ++calls;
            });
        else
            start(out.diag, [&](error_code ec, Result value) {
                out.ec = ec;
                out.value = std::move(value);
                ++calls;
            });
        io.restart();
        io.run();
        EXPECT_EQ(calls, 1);
        return out;
    }
};

// The calls are made from the test's thread and waited for with future::get() while another
// thread runs the io_context.
struct future_driver
{
    explicit future_driver(asio::io_context& context) : io(context), work(asio::make_work_guard(io))
    {
        io.restart();
        runner = std::thread([this] { io.run(); });
    }
    ~future_driver() { finish(); }

    // Before the session goes: every call has completed, the I/O thread is done.
    void finish()
    {
        if (!runner.joinable())
            return;
        work.reset();
        runner.join();
    }

    template <class Result, class Start>
    outcome<Result> call(Start start)
    {
        outcome<Result> out;
        try
        {
            if constexpr (std::is_same_v<Result, none>)
                start(out.diag, asio::use_future).get();
            else
                out.value = start(out.diag, asio::use_future).get();
        }
        catch (const boost::system::system_error& e)
        {
            out.ec = e.code();
            // Released after the I/O thread has ended: libstdc++'s exception_ptr count is
            // invisible to the thread sanitizer.
            failures.push_back(std::current_exception());
        }
        return out;
    }

    asio::io_context& io;
    asio::executor_work_guard<asio::io_context::executor_type> work;
    std::thread runner;
    std::vector<std::exception_ptr> failures;
};

// Each call is made as a deferred operation first: nothing may be sent until it is invoked (with
// a callback).
struct deferred_driver
{
    asio::io_context& io;
    testing::fake_server& server;

    template <class Result, class Start>
    outcome<Result> call(Start start)
    {
        outcome<Result> out;
        auto op = start(out.diag, asio::deferred);
        const auto before = server.stats().requests;
        io.restart();
        io.run();
        EXPECT_EQ(server.stats().requests, before) << "a deferred call sent something before it was invoked";
        int calls = 0;
        if constexpr (std::is_same_v<Result, none>)
            std::move(op)([&](error_code ec) {
                out.ec = ec;
                ++calls;
            });
        else
            std::move(op)([&](error_code ec, Result value) {
                out.ec = ec;
                out.value = std::move(value);
                ++calls;
            });
        io.restart();
        io.run();
        EXPECT_EQ(calls, 1);
        return out;
    }
};

// co_await with as_tuple(use_awaitable) from a coroutine on `ex`: the io_context's executor, or
// a strand.
struct awaitable_driver
{
    asio::io_context& io;
    asio::any_io_executor ex;

    template <class Result, class Start>
    outcome<Result> call(Start start)
    {
        outcome<Result> out;
        bool done = false;
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                if constexpr (std::is_same_v<Result, none>)
                {
                    auto [ec] = co_await start(out.diag, asio::as_tuple(asio::use_awaitable));
                    out.ec = ec;
                }
                else
                {
                    auto [ec, value] = co_await start(out.diag, asio::as_tuple(asio::use_awaitable));
                    out.ec = ec;
                    out.value = std::move(value);
                }
                done = true;
            },
            [](std::exception_ptr failure) { EXPECT_FALSE(failure) << "an as_tuple call threw"; });
        io.restart();
        io.run();
        EXPECT_TRUE(done);
        return out;
    }
};

// Jobs that run for an hour unless stopped, so that suspend and resume find them running.
testing::fake_server_params long_job_server()
{
    auto p = server_params();
    p.job_schedule_delay = 1ms;
    p.job_run_time = std::chrono::hours(1);
    return p;
}

// Every typed call through one driver, successes and failures, in the order a user makes them.
template <class Driver>
void every_typed_call(Driver& d, testing::fake_server& server, session& s)
{
    auto name = d.template call<std::string>(
        [&](diagnostics& diag, auto token) { return async_project_name(s, diag, std::move(token)); });
    EXPECT_FALSE(name.ec) << describe(name.ec, name.diag);
    EXPECT_EQ(name.value, "vovrest");
    auto version = d.template call<std::string>(
        [&](diagnostics& diag, auto token) { return async_server_version(s, diag, std::move(token)); });
    EXPECT_FALSE(version.ec) << describe(version.ec, version.diag);
    EXPECT_EQ(version.value, "2024.1.0");

    // A job with no command: refused before anything is sent.
    const auto created_before = server.stats().jobs_created;
    auto refused = d.template call<job_id>(
        [&](diagnostics& diag, auto token) { return jobs::async_submit(s, job_spec{}, diag, std::move(token)); });
    EXPECT_EQ(refused.ec, error::bad_request);
    EXPECT_EQ(refused.diag.client_message, "the job has no command");
    EXPECT_EQ(refused.diag.method, "POST");

    job_spec spec;
    spec.command = "sleep 3600";
    spec.jobname = "typed-async";
    auto submitted = d.template call<job_id>(
        [&](diagnostics& diag, auto token) { return jobs::async_submit(s, spec, diag, std::move(token)); });
    ASSERT_FALSE(submitted.ec) << describe(submitted.ec, submitted.diag);
    EXPECT_EQ(server.stats().jobs_created, created_before + 1);
    const job_id id = submitted.value;
    const std::string path = "/api/v3/jobs/" + std::to_string(id.value());

    auto record = d.template call<job_record>(
        [&](diagnostics& diag, auto token) { return jobs::async_get(s, id, diag, std::move(token)); });
    ASSERT_FALSE(record.ec) << describe(record.ec, record.diag);
    EXPECT_EQ(record.value.id, id);
    EXPECT_EQ(record.value.jobname, "typed-async");
    EXPECT_EQ(record.value.user, "demo");
    EXPECT_EQ(record.value.command, "sleep 3600");

    auto command = d.template call<std::string>(
        [&](diagnostics& diag, auto token) { return jobs::async_field(s, id, "command", diag, std::move(token)); });
    EXPECT_FALSE(command.ec) << describe(command.ec, command.diag);
    EXPECT_EQ(command.value, "sleep 3600");
    auto no_field = d.template call<std::string>(
        [&](diagnostics& diag, auto token) { return jobs::async_field(s, id, "nosuchfield", diag, std::move(token)); });
    EXPECT_EQ(no_field.ec, error::query_failed);
    EXPECT_FALSE(no_field.diag.server_message.empty());

    boost::json::object change;
    change["jobname"] = "typed-async-renamed";
    auto modified = d.template call<none>(
        [&](diagnostics& diag, auto token) { return jobs::async_modify(s, id, change, diag, std::move(token)); });
    EXPECT_FALSE(modified.ec) << describe(modified.ec, modified.diag);
    auto jobname = d.template call<std::string>(
        [&](diagnostics& diag, auto token) { return jobs::async_field(s, id, "jobname", diag, std::move(token)); });
    EXPECT_EQ(jobname.value, "typed-async-renamed");

    auto suspended = d.template call<none>(
        [&](diagnostics& diag, auto token) { return jobs::async_suspend(s, id, diag, std::move(token)); });
    EXPECT_FALSE(suspended.ec) << describe(suspended.ec, suspended.diag);
    auto status = d.template call<std::string>(
        [&](diagnostics& diag, auto token) { return jobs::async_field(s, id, "status", diag, std::move(token)); });
    EXPECT_EQ(status.value, "SUSPENDED");
    auto resumed = d.template call<none>(
        [&](diagnostics& diag, auto token) { return jobs::async_resume(s, id, diag, std::move(token)); });
    EXPECT_FALSE(resumed.ec) << describe(resumed.ec, resumed.diag);
    status = d.template call<std::string>(
        [&](diagnostics& diag, auto token) { return jobs::async_field(s, id, "status", diag, std::move(token)); });
    EXPECT_NE(status.value, "SUSPENDED");

    const query by_name = query().select({"idint", "jobname"}).where("jobname==typed-async-renamed");
    auto rows = d.template call<table>(
        [&](diagnostics& diag, auto token) { return async_run(s, by_name, diag, std::move(token)); });
    ASSERT_FALSE(rows.ec) << describe(rows.ec, rows.diag);
    ASSERT_EQ(rows.value.size(), 1u);
    EXPECT_EQ(rows.value.at(0, "idint").as_int(), id.value());
    auto csv = d.template call<std::string>([&](diagnostics& diag, auto token) {
        return async_run_text(
            s, query().select({"jobname"}).where("jobname==typed-async-renamed").format(query_format::csv), diag,
            std::move(token));
    });
    EXPECT_FALSE(csv.ec) << describe(csv.ec, csv.diag);
    EXPECT_EQ(csv.value, "jobname\ntyped-async-renamed\n");
    // A bad query: the server's errormsg, as an error code and diagnostics.
    auto bad_query = d.template call<table>([&](diagnostics& diag, auto token) {
        return async_run(s, query().select({"nosuch"}), diag, std::move(token));
    });
    EXPECT_EQ(bad_query.ec, error::query_failed);
    EXPECT_FALSE(bad_query.diag.server_message.empty());
    EXPECT_EQ(bad_query.diag.method, "GET");
    EXPECT_EQ(bad_query.diag.path, "/api/v3/query");

    auto stopped = d.template call<none>(
        [&](diagnostics& diag, auto token) { return jobs::async_stop(s, id, diag, std::move(token)); });
    EXPECT_FALSE(stopped.ec) << describe(stopped.ec, stopped.diag);
    auto ended = d.template call<wait_result>(
        [&](diagnostics& diag, auto token) { return jobs::async_wait(s, id, 2ms, diag, std::move(token)); });
    EXPECT_FALSE(ended.ec) << describe(ended.ec, ended.diag);
    EXPECT_EQ(ended.value.end, job_end::failed);
    EXPECT_EQ(ended.value.status, "FAILED");
    auto too_late = d.template call<none>(
        [&](diagnostics& diag, auto token) { return jobs::async_suspend(s, id, diag, std::move(token)); });
    EXPECT_EQ(too_late.ec, error::bad_request);  // 409: finished
    EXPECT_EQ(too_late.diag.http_status, 409u);

    auto forgotten = d.template call<none>(
        [&](diagnostics& diag, auto token) { return jobs::async_forget(s, id, diag, std::move(token)); });
    EXPECT_FALSE(forgotten.ec) << describe(forgotten.ec, forgotten.diag);
    // A 404 job: error code and diagnostics, nothing thrown.
    auto missing = d.template call<job_record>(
        [&](diagnostics& diag, auto token) { return jobs::async_get(s, id, diag, std::move(token)); });
    EXPECT_EQ(missing.ec, error::not_found);
    EXPECT_EQ(missing.diag.http_status, 404u);
    EXPECT_EQ(missing.diag.method, "GET");
    EXPECT_EQ(missing.diag.path, path);
    auto forgotten_again = d.template call<none>(
        [&](diagnostics& diag, auto token) { return jobs::async_forget(s, id, diag, std::move(token)); });
    EXPECT_EQ(forgotten_again.ec, error::not_found);
    EXPECT_EQ(forgotten_again.diag.method, "DELETE");
    // A wait on a job the server forgot ends normally; the one-second default poll is not reached.
    auto gone = d.template call<wait_result>(
        [&](diagnostics& diag, auto token) { return jobs::async_wait(s, id, diag, std::move(token)); });
    EXPECT_FALSE(gone.ec) << describe(gone.ec, gone.diag);
    EXPECT_EQ(gone.value.end, job_end::forgotten);
    EXPECT_TRUE(gone.diag.empty());
}

struct typed_async : ::testing::Test
{
    typed_async() : server(long_job_server())
    {
        server.start();
        s = std::make_unique<session>(io.get_executor(), client_params(server));
    }

    testing::fake_server server;
    asio::io_context io;
    std::unique_ptr<session> s;
};

TEST_F(typed_async, every_call_with_callbacks)
{
    callback_driver d{io};
    every_typed_call(d, server, *s);
}

TEST_F(typed_async, every_call_with_use_future_from_a_plain_thread)
{
    future_driver d(io);
    every_typed_call(d, server, *s);
    d.finish();
    EXPECT_EQ(d.failures.size(), 6u);  // the scenario's failures, each a system_error from get()
}

TEST_F(typed_async, every_call_deferred)
{
    deferred_driver d{io, server};
    every_typed_call(d, server, *s);
}

TEST_F(typed_async, every_call_with_as_tuple_use_awaitable)
{
    awaitable_driver d{io, io.get_executor()};
    every_typed_call(d, server, *s);
}

TEST_F(typed_async, every_call_with_as_tuple_use_awaitable_on_a_strand)
{
    awaitable_driver d{io, asio::make_strand(io)};
    every_typed_call(d, server, *s);
}

TEST_F(typed_async, completion_runs_on_the_handlers_executor)
{
    asio::io_context other;  // the handler's own executor, run by this thread afterwards
    diagnostics diag;
    bool ran_on_other = false;
    std::string name;
    async_project_name(*s, diag, asio::bind_executor(other, [&](error_code ec, std::string value) {
        EXPECT_FALSE(ec);
        name = std::move(value);
        ran_on_other = other.get_executor().running_in_this_thread();
    }));
    io.run();
    EXPECT_TRUE(name.empty());
    other.run();
    EXPECT_TRUE(ran_on_other);
    EXPECT_EQ(name, "vovrest");
}

// Plain use_awaitable: the value, or a system_error whose details are in `diag`.
TEST_F(typed_async, use_awaitable_returns_the_value_or_throws)
{
    diagnostics diag;
    EXPECT_EQ(run_coroutine(io, async_server_version(*s, diag, asio::use_awaitable)), "2024.1.0");
    try
    {
        run_coroutine(io, jobs::async_field(*s, job_id(999999), "status", diag, asio::use_awaitable));
        ADD_FAILURE() << "no error for a missing job";
    }
    catch (const boost::system::system_error& e)
    {
        EXPECT_EQ(e.code(), error::not_found);
    }
    EXPECT_EQ(diag.http_status, 404u);
    EXPECT_EQ(diag.path, "/api/v3/jobs/999999/status");
}

TEST_F(typed_async, throwing_coroutines_carry_the_same_diagnostics)
{
    try
    {
        run_coroutine(io, jobs::get(*s, job_id(999999)));
        ADD_FAILURE() << "no error for a missing job";
    }
    catch (const error_with_diagnostics& e)
    {
        EXPECT_EQ(e.code(), error::not_found);
        EXPECT_EQ(e.get_diagnostics().http_status, 404u);
        EXPECT_EQ(e.get_diagnostics().path, "/api/v3/jobs/999999");
    }
}

// A wait cancelled through its completion token's slot while it waits between polls: it ends at
// once with operation_aborted, and no poll follows. Each cancellation type is honoured (the
// spawned coroutine's own state would let only terminal through).
struct typed_async_cancel : typed_async, ::testing::WithParamInterface<asio::cancellation_type>
{};

TEST_P(typed_async_cancel, wait_between_polls)
{
    job_spec spec;
    spec.command = "sleep 3600";
    const job_id id = run_coroutine(io, jobs::submit(*s, spec));
    const std::string status_route = "GET /api/v3/jobs/{id}/{field}";  // only the wait's polls

    asio::cancellation_signal signal;
    diagnostics diag;
    error_code result;
    wait_result seen;
    int calls = 0;
    const auto requests_before = s->counters().requests;
    // An hour between polls: without the cancellation, the wait would outlast the test's bound.
    jobs::async_wait(*s, id, std::chrono::hours(1), diag,
                     asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, wait_result r) {
                         result = ec;
                         seen = std::move(r);
                         ++calls;
                     }));

    // Run until the first poll has been answered, then every handler ready: the wait is then
    // between polls.
    const auto give_up = std::chrono::steady_clock::now() + 20s;  // a bound, not a pace
    io.restart();
    while (s->counters().requests == requests_before && calls == 0 && std::chrono::steady_clock::now() < give_up)
        io.run_one_for(100ms);
    io.poll();
    ASSERT_EQ(calls, 0) << describe(result, diag);
    ASSERT_EQ(count_of(server.stats().requests_by_route, status_route), 1u);

    signal.emit(GetParam());
    io.restart();
    io.run_for(20s);  // returns as soon as the wait has ended and nothing else is left
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(result, asio::error::operation_aborted);
    EXPECT_EQ(diag.client_message, "cancelled while waiting for the job to end");
    EXPECT_EQ(count_of(server.stats().requests_by_route, status_route), 1u);
}

INSTANTIATE_TEST_SUITE_P(each_type, typed_async_cancel,
                         ::testing::Values(asio::cancellation_type::terminal, asio::cancellation_type::partial,
                                           asio::cancellation_type::total),
                         [](const auto& param_info) {
                             switch (param_info.param)
                             {
                             case asio::cancellation_type::terminal: return std::string("terminal");
                             case asio::cancellation_type::partial: return std::string("partial");
                             default: return std::string("total");
                             }
                         });

// A call cancelled as soon as it is started (here while it waits for the session's first token)
// ends with operation_aborted; the token request goes on for the others.
TEST_F(typed_async, call_cancelled_at_once)
{
    asio::cancellation_signal signal;
    diagnostics diag;
    error_code result;
    int calls = 0;
    jobs::async_get(*s, job_id(1), diag, asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, job_record) {
        result = ec;
        ++calls;
    }));
    signal.emit(asio::cancellation_type::terminal);
    io.run();
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(result, asio::error::operation_aborted);
    EXPECT_EQ(count_of(server.stats().requests_by_route, "GET /api/v3/jobs/{id}"), 0u);
    EXPECT_EQ(s->counters().token_requests, 1u);
}

// A coroutine that gives up waiting: the awaitable's cancellation reaches the wait's timer too.
TEST_F(typed_async, wait_cancelled_with_as_tuple_use_awaitable)
{
    job_spec spec;
    spec.command = "sleep 3600";
    const job_id id = run_coroutine(io, jobs::submit(*s, spec));

    asio::cancellation_signal signal;
    diagnostics diag;
    error_code result;
    int calls = 0;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            auto [ec, r] =
                co_await jobs::async_wait(*s, id, std::chrono::hours(1), diag, asio::as_tuple(asio::use_awaitable));
            result = ec;
            ++calls;
        },
        asio::bind_cancellation_slot(signal.slot(), [](std::exception_ptr failure) {
            EXPECT_FALSE(failure) << "a cancelled as_tuple call threw";
        }));
    const auto requests_before = s->counters().requests;
    const auto give_up = std::chrono::steady_clock::now() + 20s;  // a bound, not a pace
    io.restart();
    while (s->counters().requests == requests_before && calls == 0 && std::chrono::steady_clock::now() < give_up)
        io.run_one_for(100ms);
    io.poll();
    ASSERT_EQ(calls, 0);

    signal.emit(asio::cancellation_type::terminal);
    io.restart();
    io.run_for(20s);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(result, asio::error::operation_aborted);
}

// Two threads run the io_context: never single_threaded, whatever the suite's mode.
session_params two_threads(const testing::fake_server& server)
{
    session_params p = client_params(server);
    p.single_threaded = false;
    return p;
}

// The thread-safe default: an io_context run by two threads, many typed calls at once from
// callbacks; each completes once, with its own result.
TEST(typed_async_threads, concurrent_calls)
{
    testing::fake_server server(long_job_server());
    server.start();
    asio::io_context io;
    session s(io.get_executor(), two_threads(server));
    job_spec spec;
    spec.command = "sleep 3600";
    const job_id id = run_coroutine(io, jobs::submit(s, spec));

    constexpr int calls = 64;
    std::vector<diagnostics> diags(calls);
    std::atomic<int> right{0};
    std::atomic<int> done{0};
    std::promise<void> all_done;
    auto count = [&](bool correct) {
        if (correct)
            ++right;
        if (++done == calls)
            all_done.set_value();
    };
    for (int i = 0; i < calls; ++i)
    {
        if (i % 2 == 0)
            jobs::async_get(s, id, diags[i], [&](error_code ec, job_record r) { count(!ec && r.id == id); });
        else
            async_project_name(s, diags[i], [&](error_code ec, std::string name) { count(!ec && name == "vovrest"); });
    }
    io.restart();
    auto work = asio::make_work_guard(io);
    std::thread first([&io] { io.run(); });
    std::thread second([&io] { io.run(); });
    const bool finished = all_done.get_future().wait_for(60s) == std::future_status::ready;  // a bound
    work.reset();
    s.shutdown();
    if (!finished)
        io.stop();
    first.join();
    second.join();
    ASSERT_TRUE(finished);
    EXPECT_EQ(right, calls);
}

// Waits on an io_context run by two threads, each handler on a strand of its own from which its
// cancellation is emitted: every wait ends with operation_aborted after one poll.
TEST(typed_async_threads, waits_cancelled_from_their_strands)
{
    testing::fake_server server(long_job_server());
    server.start();
    asio::io_context io;
    session s(io.get_executor(), two_threads(server));
    job_spec spec;
    spec.command = "sleep 3600";
    const job_id id = run_coroutine(io, jobs::submit(s, spec));

    struct one_wait
    {
        explicit one_wait(asio::io_context& io) : strand(asio::make_strand(io)) {}
        asio::strand<asio::io_context::executor_type> strand;
        asio::cancellation_signal signal;
        diagnostics diag;
        error_code ec;
    };
    constexpr int waits = 16;
    std::vector<std::unique_ptr<one_wait>> all;
    std::atomic<int> done{0};
    std::promise<void> all_done;
    for (int i = 0; i < waits; ++i)
    {
        auto& w = *all.emplace_back(std::make_unique<one_wait>(io));
        jobs::async_wait(s, id, std::chrono::hours(1), w.diag,
                         asio::bind_cancellation_slot(
                             w.signal.slot(), asio::bind_executor(w.strand, [&, w = &w](error_code ec, wait_result) {
                                 w->ec = ec;
                                 if (++done == waits)
                                     all_done.set_value();
                             })));
    }
    io.restart();
    auto work = asio::make_work_guard(io);
    std::thread first([&io] { io.run(); });
    std::thread second([&io] { io.run(); });
    // Every wait has polled once (an hour between polls: no second poll).
    const auto give_up = std::chrono::steady_clock::now() + 20s;  // a bound, not a pace
    while (count_of(server.stats().requests_by_route, "GET /api/v3/jobs/{id}/{field}") < waits
           && std::chrono::steady_clock::now() < give_up)
        std::this_thread::yield();
    for (auto& w : all)
        asio::post(w->strand, [w = w.get()] { w->signal.emit(asio::cancellation_type::terminal); });
    const bool finished = all_done.get_future().wait_for(60s) == std::future_status::ready;  // a bound
    work.reset();
    s.shutdown();
    if (!finished)
        io.stop();
    first.join();
    second.join();
    ASSERT_TRUE(finished);
    for (const auto& w : all)
        EXPECT_EQ(w->ec, asio::error::operation_aborted) << describe(w->ec, w->diag);
    EXPECT_EQ(count_of(server.stats().requests_by_route, "GET /api/v3/jobs/{id}/{field}"),
              static_cast<std::uint64_t>(waits));
}

}  // namespace
}  // namespace vovrest::test
