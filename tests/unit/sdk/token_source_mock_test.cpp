// The token pipeline's use of its token_source, checked with a GoogleMock source: how many token
// requests it starts, what it tells the source about refused tokens, and in which order. The
// source answers through the io_context (never inline); no sockets, no sleeps.
#include <vovrest/detail/token_pipeline.hpp>
#include <vovrest/error.hpp>

#include "token_test_support.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace vovrest::detail;
using ::testing::_;
using ::testing::Eq;
using ::testing::InSequence;
using ::testing::StrictMock;
using vovrest::diagnostics;
using vovrest::error;

class mock_token_source : public token_source
{
public:
    MOCK_METHOD(void, async_fetch, (token_fetch_handler handler), (override));
    MOCK_METHOD(void, on_rejected, (std::string_view authorization), (override));
};

// The pipeline owns its source; the test keeps the mock, which outlives the pipeline, so that its
// expectations are checked after the pipeline is gone.
class borrowed_source final : public token_source
{
public:
    explicit borrowed_source(mock_token_source& mock) : mock_(mock) {}
    void async_fetch(token_fetch_handler handler) override { mock_.async_fetch(std::move(handler)); }
    void on_rejected(std::string_view authorization) override { mock_.on_rejected(authorization); }

private:
    mock_token_source& mock_;
};

token_fetch_result granted(std::string token)
{
    token_fetch_result r;
    r.grant.token_type = "Bearer";
    r.grant.access_token = std::move(token);
    return r;
}

token_fetch_result failed(error e, std::string text = {})
{
    token_fetch_result r;
    r.ec = e;
    r.diag.server_message = std::move(text);
    return r;
}

std::string hour_jwt()
{
    const double now = static_cast<double>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    return vovrest::test::make_jwt(now, now + 3600);
}

struct outcome
{
    bool done = false;
    boost::system::error_code ec;
    token_ticket ticket;
    diagnostics diag;
};

// A token request the test holds open, to complete when it chooses (from any thread).
struct held_fetch
{
    std::mutex mutex;
    std::condition_variable started;
    std::optional<token_fetch_handler> handler;

    void hold(token_fetch_handler h)
    {
        {
            std::lock_guard lock(mutex);
            handler.emplace(std::move(h));
        }
        started.notify_all();
    }

    bool wait_started(std::chrono::seconds limit)
    {
        std::unique_lock lock(mutex);
        return started.wait_for(lock, limit, [this] { return handler.has_value(); });
    }

    void complete(token_fetch_result result)
    {
        std::optional<token_fetch_handler> h;
        {
            std::lock_guard lock(mutex);
            ASSERT_TRUE(handler);
            h.emplace(std::move(*handler));
            handler.reset();
        }
        std::move (*h)(std::move(result));
    }
};

// An action for async_fetch: answers `result` through the io_context, as a real source does.
auto answer_through(asio::io_context& io, token_fetch_result result)
{
    return [&io, result](token_fetch_handler handler) { asio::post(io, asio::append(std::move(handler), result)); };
}

// Threads running an io_context. finish() lets them end once the work is done; a test that ends
// early (a failed ASSERT) stops the io_context instead, so that nothing is left joinable.
class io_threads
{
public:
    io_threads(asio::io_context& io, int count) : io_(io), work_(asio::make_work_guard(io))
    {
        for (int i = 0; i < count; ++i)
            threads_.emplace_back([&io] { io.run(); });
    }
    io_threads(const io_threads&) = delete;
    io_threads& operator=(const io_threads&) = delete;
    ~io_threads()
    {
        if (!threads_.empty())
            io_.stop();
        finish();
    }

    void finish()
    {
        work_.reset();
        for (auto& t : threads_)
            t.join();
        threads_.clear();
    }

private:
    asio::io_context& io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    std::vector<std::thread> threads_;
};

class token_source_mock_test : public ::testing::Test
{
protected:
    token_source_mock_test()
    {
        params.backoff_initial = 1ms;
        params.backoff_max = 2ms;
        // An unexpected fetch fails the test (StrictMock) and is still answered, so that the
        // pipeline's waiters end and a failing test does not hang.
        ON_CALL(source, async_fetch(_))
            .WillByDefault(answer_through(io, failed(error::authentication_failed, "unexpected fetch")));
    }

    ~token_source_mock_test() override
    {
        pipeline_.reset();
        io.restart();
        io.poll();
    }

    token_pipeline& pipeline()
    {
        if (!pipeline_)
            pipeline_.emplace(io.get_executor(), params, std::make_unique<borrowed_source>(source), observer);
        return *pipeline_;
    }

    auto answer(token_fetch_result result) { return answer_through(io, std::move(result)); }

    void acquire(outcome& o)
    {
        pipeline().async_acquire(io.get_executor(), [&o](boost::system::error_code ec, token_ticket t, diagnostics d) {
            o.done = true;
            o.ec = ec;
            o.ticket = std::move(t);
            o.diag = std::move(d);
        });
    }

    void poll()
    {
        io.restart();
        io.poll();
    }

    // Runs the io_context until nothing is left to do (backoff timers of a few milliseconds).
    void run()
    {
        io.restart();
        io.run();
    }

    // A first token, generation 1, taken through one expected fetch.
    std::string first_token()
    {
        const std::string jwt = hour_jwt();
        EXPECT_CALL(source, async_fetch(_)).WillOnce(answer(granted(jwt)));
        outcome o;
        acquire(o);
        run();
        EXPECT_FALSE(o.ec);
        EXPECT_EQ(o.ticket.generation, 1u);
        ::testing::Mock::VerifyAndClearExpectations(&source);
        return jwt;
    }

    asio::io_context io;
    StrictMock<mock_token_source> source;
    held_fetch held;  // a fetch a test keeps open
    vovrest::token_params params;
    session_observer observer;
    std::optional<token_pipeline> pipeline_;
};

TEST_F(token_source_mock_test, concurrent_acquirers_on_many_threads_start_one_fetch)
{
    EXPECT_CALL(source, async_fetch(_)).WillOnce([this](token_fetch_handler h) { held.hold(std::move(h)); });
    const std::string jwt = hour_jwt();

    // Shared with the completions, which may run after an early end of the test (a failed ASSERT).
    struct tally
    {
        std::mutex mutex;
        std::condition_variable all_done;
        int completed = 0;
        int good = 0;
    };
    auto counts = std::make_shared<tally>();
    constexpr int threads = 4;
    constexpr int per_thread = 50;
    token_pipeline& p = pipeline();
    io_threads runners(io, 2);
    std::vector<std::thread> callers;
    for (int t = 0; t < threads; ++t)
    {
        callers.emplace_back([&p, &io = io, counts, expected = "Bearer:" + jwt] {
            for (int i = 0; i < per_thread; ++i)
            {
                auto done = [counts, expected](boost::system::error_code ec, token_ticket ticket, diagnostics) {
                    std::lock_guard lock(counts->mutex);
                    ++counts->completed;
                    if (!ec && ticket.generation == 1 && ticket.authorization == expected)
                        ++counts->good;
                    counts->all_done.notify_all();
                };
                p.async_acquire(io.get_executor(), std::move(done));
            }
        });
    }
    for (auto& t : callers)
        t.join();
    ASSERT_TRUE(held.wait_started(10s));
    // Every caller is waiting for the one fetch in flight.
    EXPECT_EQ(observer.snapshot().waiters_now, static_cast<std::uint64_t>(threads * per_thread));

    held.complete(granted(jwt));
    {
        std::unique_lock lock(counts->mutex);
        ASSERT_TRUE(counts->all_done.wait_for(lock, 10s, [&] { return counts->completed == threads * per_thread; }));
        EXPECT_EQ(counts->good, threads * per_thread);
    }
    // Later callers take the token as it is: still no second fetch.
    token_ticket fast;
    EXPECT_TRUE(p.try_acquire(fast));
    runners.finish();
}

TEST_F(token_source_mock_test, unauthorized_current_token_is_reported_once_then_fetched_once)
{
    const std::string first = first_token();
    const std::string second = hour_jwt() + "x";
    pipeline().accepted(1);
    {
        // The source forgets the refused token before it is asked for a new one (a cache must not
        // hand the refused token back).
        InSequence in_order;
        EXPECT_CALL(source, on_rejected(Eq("Bearer:" + first)));
        EXPECT_CALL(source, async_fetch(_)).WillOnce(answer(granted(second)));
    }
    pipeline().on_unauthorized(1, "revoked");
    pipeline().on_unauthorized(1, "revoked");  // another request that carried the same token
    outcome replay;
    acquire(replay);
    run();
    EXPECT_FALSE(replay.ec);
    EXPECT_EQ(replay.ticket.generation, 2u);
    EXPECT_EQ(replay.ticket.authorization, "Bearer:" + second);
}

// token_pipeline::on_unauthorized told the source after the machine's actions were carried out;
// on a thread running the io_context the strand ran the new fetch inline, so async_fetch came
// first and a caching source could hand back the token just refused. The source is now told
// between the machine's step and perform().
TEST_F(token_source_mock_test, unauthorized_reported_from_the_io_thread_still_rejects_before_fetching)
{
    // As in a session: the request that got the 401 reports it from a thread running the
    // io_context, where the pipeline's strand may run the new fetch inline.
    const std::string first = first_token();
    pipeline().accepted(1);
    {
        InSequence in_order;
        EXPECT_CALL(source, on_rejected(Eq("Bearer:" + first)));
        EXPECT_CALL(source, async_fetch(_)).WillOnce(answer(granted(hour_jwt() + "y")));
    }
    asio::post(io, [this] { pipeline().on_unauthorized(1, "revoked"); });
    run();
    token_ticket t;
    ASSERT_TRUE(pipeline().try_acquire(t));
    EXPECT_EQ(t.generation, 2u);
}

TEST_F(token_source_mock_test, unauthorized_older_token_neither_rejects_nor_fetches)
{
    first_token();
    pipeline().set_token("Bearer", "handed-in");  // generation 2, current
    EXPECT_CALL(source, on_rejected(_)).Times(0);
    EXPECT_CALL(source, async_fetch(_)).Times(0);
    pipeline().on_unauthorized(1, "late answer to an old request");
    run();
    token_ticket t;
    ASSERT_TRUE(pipeline().try_acquire(t));
    EXPECT_EQ(t.generation, 2u);
    EXPECT_EQ(t.authorization, "Bearer:handed-in");
}

TEST_F(token_source_mock_test, transient_failures_fetch_exactly_max_attempts_times)
{
    params.max_attempts = 4;
    EXPECT_CALL(source, async_fetch(_)).Times(4).WillRepeatedly(answer(failed(error::server_error, "busy")));
    EXPECT_CALL(source, on_rejected(_)).Times(0);
    std::vector<outcome> waiters(3);
    for (auto& o : waiters)
        acquire(o);
    run();  // ends once the renewal gave up: no fetch is left scheduled
    for (const auto& o : waiters)
    {
        EXPECT_TRUE(o.done);
        EXPECT_EQ(o.ec, error::server_error);
        EXPECT_EQ(o.diag.server_message, "busy");
    }
}

TEST_F(token_source_mock_test, transient_failures_then_a_token_stop_fetching)
{
    const std::string jwt = hour_jwt();
    auto limited = failed(error::rate_limited, "slow down");
    limited.retry_after = 1ms;
    {
        InSequence in_order;
        EXPECT_CALL(source, async_fetch(_)).WillOnce(answer(failed(error::connection_failed)));
        EXPECT_CALL(source, async_fetch(_)).WillOnce(answer(limited));
        EXPECT_CALL(source, async_fetch(_)).WillOnce(answer(granted(jwt)));
    }
    outcome o;
    acquire(o);
    run();
    EXPECT_FALSE(o.ec);
    EXPECT_EQ(o.ticket.authorization, "Bearer:" + jwt);
    for (int i = 0; i < 10; ++i)
    {
        outcome later;
        acquire(later);
        run();
        EXPECT_EQ(later.ticket.generation, 1u);
    }
}

TEST_F(token_source_mock_test, refused_credentials_are_fetched_once_and_remembered)
{
    params.failure_memory = 1h;  // however slow the machine, the retries below fall within it
    EXPECT_CALL(source, async_fetch(_)).WillOnce(answer(failed(error::authentication_failed, "bad password")));
    outcome first;
    acquire(first);
    run();
    EXPECT_EQ(first.ec, error::authentication_failed);
    // Within failure_memory: every caller fails at once, nothing more is asked of the source.
    std::vector<outcome> retries(20);
    for (auto& o : retries)
        acquire(o);
    run();
    for (const auto& o : retries)
    {
        EXPECT_EQ(o.ec, error::authentication_failed);
        EXPECT_EQ(o.diag.server_message, "bad password");
    }
}

}  // namespace
