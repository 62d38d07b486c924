// The glue around submit_batch_machine: `concurrency` worker coroutines ask the machine for the
// next action (send a job, run a query, wait), carry it out through the session and report back,
// all under one mutex. Each runs where one handler runs at a time (the session's executor when it
// is serialized, else a strand of its own), so that wake-ups and cancellation posted to it are
// serialised with it. The last worker to end completes the operation. Cancellation reaches the
// machine (no new work) and, when terminal, every worker's request in flight through the
// worker's own cancellation signal.
//
// The query for a lost answer runs only after the session reported it: by then the connection
// that carried the POST is closed (a lost answer never goes back to the pool), and the machine
// waits reconcile_delay more.

// g++ 12 inlines Asio's awaitable frame allocation into this file's coroutines and then warns that
// its aligned_alloc is paired with the frame's operator delete: a false positive (both are Asio's
// own recycling allocator).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <vovrest/detail/submit_batch_machine.hpp>
#include <vovrest/detail/wire_format.hpp>
#include <vovrest/query.hpp>
#include <vovrest/submit_many.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <random>

namespace vovrest {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using detail::batch_action;
using detail::batch_action_kind;
using clock_type = std::chrono::steady_clock;

constexpr std::string_view jobs_path = "/api/v3/jobs";
constexpr std::string_view query_path = "/api/v3/query";

std::string random_batch_id()
{
    std::random_device device;
    std::uint64_t bits = (static_cast<std::uint64_t>(device()) << 32) ^ device();
    constexpr std::string_view digits = "0123456789abcdef";
    std::string id(12, '0');
    for (char& c : id)
    {
        c = digits[bits & 15];
        bits >>= 4;
    }
    return id;
}

std::function<double()> random_jitter()
{
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

// Where a worker runs: one handler at a time, so that wake-ups and cancellation posted to it are
// serialised with the worker. The session's executor itself when it is serialized already (no
// strand hop on every completion of every request: that was a tenth of the client's cost per
// job); else a strand, over an io_context one of its executor type (it fits any_io_executor's
// small buffer: a strand<any_io_executor> is copied to the heap at every type-erased copy).
asio::any_io_executor worker_executor(const session& s)
{
    const asio::any_io_executor ex = s.get_executor();
    if (s.serialized())
        return ex;
    if (const auto* io = ex.target<asio::io_context::executor_type>())
        return asio::make_strand(*io);
    return asio::make_strand(ex);
}

struct worker_slot
{
    explicit worker_slot(const session& s) : executor(worker_executor(s)), timer(executor) {}

    asio::any_io_executor executor;
    asio::steady_timer timer;          // waits; cancelled to wake the worker
    asio::cancellation_signal signal;  // terminal cancellation of the request in flight
    bool idle = false;                 // waiting on timer; guarded by the batch mutex
};

struct batch : std::enable_shared_from_this<batch>
{
    batch(session& sess, std::span<const job_spec> all, submit_many_options& opts,
          asio::any_completion_handler<submit_many_signature> h)
        : s(sess),
          specs(all),
          on_progress(std::move(opts.on_progress)),
          machine(all, opts, random_batch_id(), clock_type::now(), random_jitter()),
          handler(std::move(h))
    {
        const std::size_t workers = std::clamp<std::size_t>(opts.concurrency, 1, std::max<std::size_t>(all.size(), 1));
        slots.reserve(workers);
        for (std::size_t w = 0; w < workers; ++w)
            slots.push_back(std::make_unique<worker_slot>(s));
        running = workers;
    }

    session& s;
    std::span<const job_spec> specs;
    std::function<void(const submit_progress&)> on_progress;

    std::mutex mutex;  // guards the members down to the blank line, and serialises on_progress
    detail::submit_batch_machine machine;
    std::exception_ptr failure;
    bool cancelled_by_caller = false;
    std::vector<std::unique_ptr<worker_slot>> slots;  // the vector itself is fixed once built

    std::atomic<std::size_t> running{0};
    asio::any_completion_handler<submit_many_signature> handler;

    // After every input, under the mutex: progress to the caller, wake-ups to idle workers.
    void after_input_locked()
    {
        if (machine.take_progress() && on_progress)
            on_progress(machine.progress());
        if (machine.take_wake())
            wake_idle_locked();
    }

    void wake_idle_locked()
    {
        for (auto& slot : slots)
        {
            if (!slot->idle)
                continue;
            slot->idle = false;
            asio::post(slot->executor, [self = shared_from_this(), w = slot.get()] { w->timer.cancel(); });
        }
    }

    void cancel(asio::cancellation_type type)
    {
        const bool terminal = (type & asio::cancellation_type::terminal) != asio::cancellation_type::none;
        const bool partial = (type & asio::cancellation_type::partial) != asio::cancellation_type::none;
        if (!terminal && !partial)
            return;  // total cancellation cannot be honoured: jobs may already exist
        std::lock_guard lock(mutex);
        cancelled_by_caller = true;
        machine.cancel(clock_type::now(), terminal);
        if (terminal)
        {
            for (auto& slot : slots)
            {
                slot->idle = false;
                asio::post(slot->executor, [self = shared_from_this(), w = slot.get()] {
                    w->signal.emit(asio::cancellation_type::terminal);
                    w->timer.cancel();
                });
            }
        }
        after_input_locked();
    }

    // The last worker to end completes the operation, on the handler's executor.
    void worker_ended(std::exception_ptr e)
    {
        if (e)
        {
            std::lock_guard lock(mutex);
            if (!failure)
                failure = e;
            // A worker that cannot go on (allocation failure) ends the batch for the others.
            machine.cancel(clock_type::now(), true);
            after_input_locked();
        }
        if (running.fetch_sub(1) != 1)
            return;
        error_code ec;
        std::vector<submit_result> results;
        {
            std::lock_guard lock(mutex);
            results = machine.take_results();
            if (failure)
                ec = failure_code(failure);
            else if (cancelled_by_caller)
                ec = asio::error::operation_aborted;
        }
        complete(ec, std::move(results));
    }

    void complete(error_code ec, std::vector<submit_result> results)
    {
        auto h = std::move(handler);
        auto ex = asio::get_associated_executor(h, s.get_executor());
        asio::dispatch(ex, [h = std::move(h), ec, results = std::move(results)]() mutable {
            asio::get_associated_cancellation_slot(h).clear();
            std::move(h)(ec, std::move(results));
        });
    }

    static error_code failure_code(const std::exception_ptr& e)
    {
        try
        {
            std::rethrow_exception(e);
        }
        catch (const std::bad_alloc&)
        {
            return asio::error::no_memory;
        }
        catch (const boost::system::system_error& x)
        {
            return x.code();
        }
        catch (...)
        {
            return make_error_code(boost::system::errc::state_not_recoverable);
        }
    }
};

// What a query answer settles: ids and jobnames, or why it could not be read.
struct query_answer
{
    error_code ec;
    diagnostics diag;
    std::vector<detail::found_row> rows;
};

vovrest::query make_query(const detail::query_spec& spec)
{
    vovrest::query q;
    q.select(std::vector<std::string>{"idint", "jobname"}).from("jobs").where(spec.where).limit(spec.limit);
    if (spec.order_by_id)
        q.order("idint");
    return q;
}

// The rows as found_row; a row whose idint cannot be read makes the whole answer unreadable
// (skipping it could make a created job look absent and be submitted again).
void read_rows(const table& t, query_answer& out)
{
    const auto id_column = t.column_index("idint");
    const auto name_column = t.column_index("jobname");
    if (!t.empty() && (!id_column || !name_column))
    {
        out.ec = error::bad_response;
        out.diag.client_message = "the query answer has no idint or jobname column";
        return;
    }
    out.rows.reserve(t.size());
    for (std::size_t row = 0; row < t.size(); ++row)
    {
        const auto id = t.at(row, *id_column).try_int();
        if (!id)
        {
            out.ec = error::bad_response;
            out.diag.client_message = "a query row has no readable idint";
            out.rows.clear();
            return;
        }
        out.rows.push_back(detail::found_row{*id, t.at(row, *name_column).as_string()});
    }
}

asio::awaitable<query_answer> run_query(session& s, const detail::query_spec& spec)
{
    query_answer out;
    const vovrest::query q = make_query(spec);
    auto [ec, answer] =
        co_await s.async_get(std::string(query_path), q.params(), out.diag, asio::as_tuple(asio::use_awaitable));
    if (ec)
    {
        out.ec = ec;
        co_return out;
    }
    const table t = table::parse(answer.body, out.ec, out.diag);
    if (out.ec)
    {
        out.diag.http_status = answer.status;
        out.diag.method = "GET";
        out.diag.path = std::string(query_path);
        co_return out;
    }
    read_rows(t, out);
    if (out.ec)
    {
        out.diag.http_status = answer.status;
        out.diag.method = "GET";
        out.diag.path = std::string(query_path);
    }
    co_return out;
}

asio::awaitable<detail::post_result> post_job(session& s, const job_spec& spec, std::string_view jobname)
{
    detail::post_result out;
    const boost::json::object body = to_json(spec, jobname);
    const auto* command = body.if_contains("command");
    if (command == nullptr || !command->is_string() || command->get_string().empty())
    {
        out.ec = error::bad_request;
        out.diag.server_message = "the job has no command";
        out.diag.method = "POST";
        out.diag.path = std::string(jobs_path);
        co_return out;
    }
    auto [ec, answer] =
        co_await s.async_post(std::string(jobs_path), body, out.diag, asio::as_tuple(asio::use_awaitable));
    if (!ec)
    {
        error_code parse_ec;
        const job_id id = jobs::parse_submit_response(answer, parse_ec, out.diag);
        if (!parse_ec)
        {
            out.id = id;
            co_return out;
        }
        // A success status whose body we cannot read: the job most likely exists.
        out.ec = error::outcome_unknown;
        out.diag.server_message = "the server accepted the job but its answer holds no id: " + out.diag.server_message;
        co_return out;
    }
    out.ec = ec;
    if (out.diag.http_status == 503 || out.diag.http_status == 429)
        out.retry_after = detail::parse_retry_after(answer.header("Retry-After"));
    co_return out;
}

asio::awaitable<void> run_worker(std::shared_ptr<batch> b, worker_slot* w)
{
    co_await asio::this_coro::throw_if_cancelled(false);
    // What the previous action brought back, reported with the request for the next one.
    enum class report
    {
        none,
        post,
        query,
    } pending = report::none;
    std::size_t job = 0;
    std::uint64_t query_id = 0;
    detail::post_result posted;
    query_answer answered;
    for (;;)
    {
        batch_action action;
        {
            std::lock_guard lock(b->mutex);
            const auto now = clock_type::now();
            if (pending == report::post)
                b->machine.post_done(now, job, posted);
            else if (pending == report::query && answered.ec)
                b->machine.query_failed(now, query_id, answered.ec, answered.diag);
            else if (pending == report::query)
                b->machine.query_done(now, query_id, answered.rows);
            pending = report::none;
            action = b->machine.next(now);
            w->idle = action.kind == batch_action_kind::wait;
            b->after_input_locked();
        }
        switch (action.kind)
        {
        case batch_action_kind::done: co_return;
        case batch_action_kind::wait:
        {
            w->timer.expires_at(action.until);
            co_await w->timer.async_wait(asio::as_tuple(asio::use_awaitable));
            break;
        }
        case batch_action_kind::submit:
            job = action.job;
            posted = co_await post_job(b->s, b->specs[job], action.jobname);
            pending = report::post;
            break;
        case batch_action_kind::query:
            query_id = action.query_id;
            answered = co_await run_query(b->s, action.query);
            pending = report::query;
            break;
        }
    }
}

}  // namespace

bool default_stop_rule(const submit_progress& progress) noexcept
{
    return progress.last_error == error::authentication_failed || progress.consecutive_connection_failures >= 10;
}

std::string submit_result::message() const
{
    return submitted() ? std::string{} : describe(error, diag);
}

void detail::start_submit_many(session& s, std::span<const job_spec> specs, submit_many_options options,
                               asio::any_completion_handler<submit_many_signature> handler)
{
    if (options.reconcile && !detail::valid_tag_prefix(options.tag_prefix))
    {
        // Never completed inside the initiating call: posted, then run on the handler's executor.
        asio::post(s.get_executor(), [h = std::move(handler), fallback = s.get_executor()]() mutable {
            auto ex = asio::get_associated_executor(h, fallback);
            asio::dispatch(ex, [h = std::move(h)]() mutable {
                std::move(h)(error_code(error::invalid_argument), std::vector<submit_result>{});
            });
        });
        return;
    }
    auto b = std::make_shared<batch>(s, specs, options, std::move(handler));
    auto slot = asio::get_associated_cancellation_slot(b->handler);
    if (slot.is_connected())
    {
        slot.assign([weak = std::weak_ptr<batch>(b)](asio::cancellation_type type) {
            if (auto alive = weak.lock())
                alive->cancel(type);
        });
    }
    for (auto& w : b->slots)
    {
        asio::co_spawn(
            w->executor, run_worker(b, w.get()),
            asio::bind_cancellation_slot(w->signal.slot(), [b](std::exception_ptr e) { b->worker_ended(e); }));
    }
}

asio::awaitable<std::vector<submit_result>> submit_many(session& s, std::span<const job_spec> specs,
                                                        submit_many_options options)
{
    const std::string prefix = options.tag_prefix;
    auto [ec, results] = co_await async_submit_many(s, specs, std::move(options), asio::as_tuple(asio::use_awaitable));
    if (ec == error::invalid_argument)
    {
        diagnostics diag;
        diag.method = "POST";
        diag.path = std::string(jobs_path);
        diag.client_message = "tag_prefix '" + prefix + "' is not 1 to 32 characters from [A-Za-z0-9_-]";
        throw error_with_diagnostics(ec, std::move(diag));
    }
    if (ec && ec != asio::error::operation_aborted)
        throw error_with_diagnostics(ec, diagnostics{});
    co_return std::move(results);
}

}  // namespace vovrest
