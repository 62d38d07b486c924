// Workers pull the next index from one counter, so a slow job never holds up the others, and
// each writes only its own results[i]: the vector needs no lock. The caller waits on a channel
// that every worker signals once when it ends (a channel, not a timer: a signal sent before the
// wait starts is not lost).
#include <vovrest/detail/wire_format.hpp>
#include <vovrest/submit_many.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <mutex>

namespace vovrest {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using done_channel = asio::experimental::concurrent_channel<void(error_code)>;

constexpr std::string_view jobs_path = "/api/v3/jobs";

struct batch
{
    batch(session& sess, std::span<const job_spec> all, submit_many_options opts, const asio::any_io_executor& ex,
          std::size_t workers)
        : s(sess), specs(all), options(std::move(opts)), results(all.size()), done(ex, workers)
    {
        progress.total = all.size();
    }

    session& s;
    std::span<const job_spec> specs;
    submit_many_options options;
    std::vector<submit_result> results;
    std::atomic<std::size_t> next{0};
    done_channel done;

    std::mutex mutex;  // guards progress, first_failure, and serialises on_progress
    submit_progress progress;
    std::exception_ptr first_failure;

    void count(const submit_result& r)
    {
        std::lock_guard lock(mutex);
        ++progress.done;
        if (r.submitted())
            ++progress.succeeded;
        else if (r.unknown())
            ++progress.unknown;
        else
            ++progress.failed;
        if (options.on_progress)
            options.on_progress(progress);
    }

    std::chrono::steady_clock::duration retry_delay(const response& answer, unsigned attempt) const
    {
        if (auto server_says = detail::parse_retry_after(answer.header("Retry-After")))
            return std::min(*server_says, options.retry_delay_max);
        auto delay = options.retry_delay;
        for (unsigned i = 1; i < attempt && delay < options.retry_delay_max; ++i)
            delay *= 2;
        return std::min(delay, options.retry_delay_max);
    }
};

// "Not now" answers: the server did nothing, so the same POST may go again.
bool refused_for_now(const diagnostics& diag) noexcept
{
    return diag.http_status == 503 || diag.http_status == 429;
}

asio::awaitable<submit_result> submit_one(std::shared_ptr<batch> b, const job_spec& spec)
{
    submit_result result;
    const boost::json::object body = to_json(spec);
    if (body.at("command").get_string().empty())
    {
        result.error = error::bad_request;
        result.diag = detail::client_failure("the job has no command", "POST", std::string(jobs_path));
        co_return result;
    }
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (unsigned attempt = 1;; ++attempt)
    {
        diagnostics diag;
        auto [ec, answer] =
            co_await b->s.async_post(std::string(jobs_path), body, diag, asio::as_tuple(asio::use_awaitable));
        if (!ec)
        {
            job_id id = jobs::parse_submit_response(answer, ec, diag);
            if (!ec)
            {
                result.id = id;
                co_return result;
            }
            // A success status whose body we cannot read: the job most likely exists.
            result.error = error::outcome_unknown;
            diag.server_message = "the server accepted the job but its answer holds no id: " + diag.server_message;
            result.diag = std::move(diag);
            co_return result;
        }
        if (refused_for_now(diag) && attempt < b->options.max_attempts)
        {
            timer.expires_after(b->retry_delay(answer, attempt));
            co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        result.error = ec;
        result.diag = std::move(diag);
        co_return result;
    }
}

asio::awaitable<void> worker(std::shared_ptr<batch> b)
{
    for (;;)
    {
        const std::size_t i = b->next.fetch_add(1, std::memory_order_relaxed);
        if (i >= b->specs.size())
            co_return;
        b->results[i] = co_await submit_one(b, b->specs[i]);
        b->count(b->results[i]);
    }
}

}  // namespace

std::string submit_result::message() const
{
    return submitted() ? std::string{} : describe(error, diag);
}

asio::awaitable<std::vector<submit_result>> submit_many(session& s, std::span<const job_spec> specs,
                                                        submit_many_options options)
{
    if (specs.empty())
        co_return std::vector<submit_result>{};
    auto ex = co_await asio::this_coro::executor;
    const std::size_t workers = std::clamp<std::size_t>(options.concurrency, 1, specs.size());
    auto b = std::make_shared<batch>(s, specs, std::move(options), ex, workers);

    for (std::size_t w = 0; w < workers; ++w)
    {
        // A worker only ends by running out of jobs or by an exception (allocation failure):
        // either way it reports, so the wait below always ends.
        asio::co_spawn(ex, worker(b), [b](std::exception_ptr failure) {
            if (failure)
            {
                std::lock_guard lock(b->mutex);
                if (!b->first_failure)
                    b->first_failure = failure;
            }
            b->done.try_send(error_code{});
        });
    }
    for (std::size_t w = 0; w < workers; ++w)
        co_await b->done.async_receive(asio::as_tuple(asio::use_awaitable));

    if (b->first_failure)
        std::rethrow_exception(b->first_failure);
    co_return std::move(b->results);
}

}  // namespace vovrest
