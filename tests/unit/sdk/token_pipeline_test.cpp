// The token pipeline's Asio glue on an io_context: a fake token source that completes when the
// test says (or from a script), no sockets, no sleeps. Asserts counts and outcomes, never durations.
#include <vovrest/detail/static_token_source.hpp>
#include <vovrest/detail/token_pipeline.hpp>
#include <vovrest/error.hpp>

#include "token_test_support.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace vovrest::detail;
using vovrest::diagnostics;
using vovrest::error;
using vovrest::test::make_jwt;

// A token source the test drives: scripted results complete at once (posted); without a script the
// request stays pending until complete_pending(). Honours cancellation like a real source.
class fake_source final : public token_source
{
public:
    struct state
    {
        std::mutex mutex;
        asio::any_io_executor ex;
        std::deque<token_fetch_result> script;
        std::optional<token_fetch_handler> pending;
        int fetches = 0;
        int max_in_flight = 0;
        int in_flight = 0;
        int cancellations = 0;
        bool hang_unscripted = true;
    };

    explicit fake_source(std::shared_ptr<state> s) : s_(std::move(s)) {}

    void async_fetch(token_fetch_handler handler) override
    {
        std::lock_guard lock(s_->mutex);
        ++s_->fetches;
        s_->max_in_flight = std::max(s_->max_in_flight, ++s_->in_flight);
        if (!s_->script.empty())
        {
            auto result = std::move(s_->script.front());
            s_->script.pop_front();
            finish_locked(*s_, std::move(handler), std::move(result));
            return;
        }
        auto slot = asio::get_associated_cancellation_slot(handler);
        if (slot.is_connected())
        {
            slot.assign([s = s_](asio::cancellation_type_t) {
                std::lock_guard guard(s->mutex);
                if (!s->pending)
                    return;
                ++s->cancellations;
                token_fetch_result aborted;
                aborted.ec = asio::error::operation_aborted;
                auto h = std::move(*s->pending);
                s->pending.reset();
                finish_locked(*s, std::move(h), std::move(aborted));
            });
        }
        s_->pending.emplace(std::move(handler));
    }

    static void complete_pending(state& s, token_fetch_result result)
    {
        std::lock_guard lock(s.mutex);
        ASSERT_TRUE(s.pending);
        auto h = std::move(*s.pending);
        s.pending.reset();
        finish_locked(s, std::move(h), std::move(result));
    }

private:
    static void finish_locked(state& s, token_fetch_handler handler, token_fetch_result result)
    {
        --s.in_flight;
        asio::post(s.ex, asio::append(std::move(handler), std::move(result)));
    }

    std::shared_ptr<state> s_;
};

token_fetch_result ok(std::string token)
{
    token_fetch_result r;
    r.grant.token_type = "Bearer";
    r.grant.access_token = std::move(token);
    return r;
}

token_fetch_result fail(error e, std::string text = {})
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
    return make_jwt(now, now + 3600);
}

struct outcome
{
    bool done = false;
    boost::system::error_code ec;
    token_ticket ticket;
    diagnostics diag;
};

// Fake clocks for the tests that move time; the fast path reads them through a function pointer.
std::atomic<std::int64_t> fake_steady_ns{1'000'000'000'000};
std::atomic<std::int64_t> fake_wall_ns{1'700'000'000'000'000'000};
steady_time fake_steady() noexcept
{
    return steady_time(std::chrono::nanoseconds(fake_steady_ns.load()));
}
wall_time fake_wall() noexcept
{
    return wall_time(std::chrono::duration_cast<wall_time::duration>(std::chrono::nanoseconds(fake_wall_ns.load())));
}
void advance(std::chrono::nanoseconds d)
{
    fake_steady_ns += d.count();
    fake_wall_ns += d.count();
}

// Coroutines take what they need by value (pointers), never by reference capture.
asio::awaitable<void> acquire_and_check(token_pipeline* pipeline, int* completed, int* good, std::string expected)
{
    auto ex = co_await asio::this_coro::executor;
    auto [ec, ticket, diag] = co_await pipeline->async_acquire(ex, asio::as_tuple(asio::use_awaitable));
    ++*completed;
    if (!ec && ticket.authorization == expected && ticket.generation == 1)
        ++*good;
}

asio::awaitable<void> acquire_expect_throw(token_pipeline* pipeline, boost::system::error_code* seen)
{
    try
    {
        auto ex = co_await asio::this_coro::executor;
        co_await pipeline->async_acquire(ex, asio::use_awaitable);
    }
    catch (const boost::system::system_error& e)
    {
        *seen = e.code();
    }
}

class token_pipeline_test : public ::testing::Test
{
protected:
    token_pipeline_test()
    {
        source->ex = io.get_executor();
        params.backoff_initial = 1ms;
        params.backoff_max = 2ms;
    }

    // Like a session going away: shut down, then let the io_context wind the cancelled fetch down
    // (a fake source keeping a handler forever would otherwise keep the pipeline alive).
    ~token_pipeline_test() override
    {
        pipeline_.reset();
        io.restart();
        io.poll();
    }

    token_pipeline& pipeline()
    {
        if (!pipeline_)
            pipeline_.emplace(io.get_executor(), params, std::make_unique<fake_source>(source), observer, hooks);
        return *pipeline_;
    }

    // Callback-style acquire recording its outcome.
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

    asio::io_context io;
    std::shared_ptr<fake_source::state> source = std::make_shared<fake_source::state>();
    vovrest::token_params params;
    std::vector<vovrest::event_kind> events;
    std::mutex events_mutex;
    session_observer observer{[this](const vovrest::session_event& e) {
        std::lock_guard lock(events_mutex);
        events.push_back(e.kind);
    }};
    token_pipeline_hooks hooks;
    std::optional<token_pipeline> pipeline_;

    int count(vovrest::event_kind kind)
    {
        std::lock_guard lock(events_mutex);
        return static_cast<int>(std::count(events.begin(), events.end(), kind));
    }
};

TEST_F(token_pipeline_test, thousand_concurrent_acquires_share_one_fetch)
{
    const std::string jwt = hour_jwt();
    token_ticket probe;
    EXPECT_FALSE(pipeline().try_acquire(probe));

    int completed = 0;
    int good = 0;
    for (int i = 0; i < 1000; ++i)
    {
        asio::co_spawn(io, acquire_and_check(&pipeline(), &completed, &good, "Bearer:" + jwt), asio::detached);
    }
    poll();
    EXPECT_EQ(source->fetches, 1);
    EXPECT_EQ(completed, 0);
    EXPECT_EQ(observer.snapshot().waiters_now, 1000u);

    fake_source::complete_pending(*source, ok(jwt));
    poll();
    EXPECT_EQ(completed, 1000);
    EXPECT_EQ(good, 1000);
    EXPECT_EQ(source->fetches, 1);
    EXPECT_EQ(source->max_in_flight, 1);

    const auto c = observer.snapshot();
    EXPECT_EQ(c.token_requests, 1u);
    EXPECT_EQ(c.renewals_forced, 1u);
    EXPECT_EQ(c.waiters, 1000u);
    EXPECT_EQ(c.waiters_now, 0u);
    EXPECT_EQ(count(vovrest::event_kind::renewal_started), 1);
    EXPECT_EQ(count(vovrest::event_kind::renewal_succeeded), 1);
    EXPECT_EQ(count(vovrest::event_kind::waiter_added), 1000);

    token_ticket fast;
    ASSERT_TRUE(pipeline().try_acquire(fast));
    EXPECT_EQ(fast.authorization, "Bearer:" + jwt);
    EXPECT_EQ(fast.generation, 1u);
    EXPECT_EQ(pipeline().current_authorization(), "Bearer:" + jwt);
}

TEST_F(token_pipeline_test, ready_token_completes_through_the_executor_not_inline)
{
    pipeline().set_token("Bearer", hour_jwt());
    outcome o;
    acquire(o);
    EXPECT_FALSE(o.done);  // never inside the initiating call
    poll();
    EXPECT_TRUE(o.done);
    EXPECT_FALSE(o.ec);
    EXPECT_EQ(source->fetches, 0);
}

TEST_F(token_pipeline_test, waiters_resume_on_their_own_executor)
{
    auto strand = asio::make_strand(io);
    bool on_strand = false;
    bool done = false;
    pipeline().async_acquire(strand,
                             asio::bind_executor(strand, [&](boost::system::error_code ec, token_ticket, diagnostics) {
                                 done = !ec;
                                 on_strand = strand.running_in_this_thread();
                             }));
    poll();
    fake_source::complete_pending(*source, ok(hour_jwt()));
    poll();
    EXPECT_TRUE(done);
    EXPECT_TRUE(on_strand);
}

TEST_F(token_pipeline_test, cancelled_waiter_is_aborted_others_get_the_token)
{
    const std::string jwt = hour_jwt();
    asio::cancellation_signal signal;
    outcome cancelled;
    pipeline().async_acquire(
        io.get_executor(),
        asio::bind_cancellation_slot(signal.slot(), [&](boost::system::error_code ec, token_ticket t, diagnostics) {
            cancelled.done = true;
            cancelled.ec = ec;
            cancelled.ticket = std::move(t);
        }));
    outcome a, b;
    acquire(a);
    acquire(b);
    poll();
    ASSERT_EQ(source->fetches, 1);

    signal.emit(asio::cancellation_type::terminal);
    poll();
    EXPECT_TRUE(cancelled.done);
    EXPECT_EQ(cancelled.ec, asio::error::operation_aborted);
    EXPECT_FALSE(a.done);
    EXPECT_EQ(observer.snapshot().waiters_now, 2u);

    fake_source::complete_pending(*source, ok(jwt));
    poll();
    EXPECT_TRUE(a.done);
    EXPECT_FALSE(a.ec);
    EXPECT_EQ(b.ticket.authorization, "Bearer:" + jwt);
    EXPECT_EQ(source->fetches, 1);
    EXPECT_EQ(source->cancellations, 0);  // the renewal itself was not cancelled
}

TEST_F(token_pipeline_test, partial_and_total_cancellation_also_abort)
{
    for (const auto type : {asio::cancellation_type::partial, asio::cancellation_type::total})
    {
        asio::cancellation_signal signal;
        outcome o;
        pipeline().async_acquire(
            io.get_executor(),
            asio::bind_cancellation_slot(signal.slot(), [&](boost::system::error_code ec, token_ticket, diagnostics) {
                o.done = true;
                o.ec = ec;
            }));
        poll();
        signal.emit(type);
        poll();
        EXPECT_EQ(o.ec, asio::error::operation_aborted);
    }
    EXPECT_EQ(source->fetches, 1);
}

TEST_F(token_pipeline_test, coroutine_cancellation_with_cancel_after_style_signal)
{
    // The awaitable form: a cancelled coroutine gets operation_aborted thrown.
    asio::cancellation_signal signal;
    boost::system::error_code seen;
    asio::co_spawn(io, acquire_expect_throw(&pipeline(), &seen),
                   asio::bind_cancellation_slot(signal.slot(), asio::detached));
    poll();
    signal.emit(asio::cancellation_type::terminal);
    poll();
    EXPECT_EQ(seen, asio::error::operation_aborted);
}

TEST_F(token_pipeline_test, authentication_failure_reaches_every_waiter_and_is_remembered)
{
    std::vector<outcome> waiters(5);
    for (auto& o : waiters)
        acquire(o);
    poll();
    fake_source::complete_pending(*source, fail(error::authentication_failed, "invalid username or password"));
    poll();
    for (const auto& o : waiters)
    {
        EXPECT_TRUE(o.done);
        EXPECT_EQ(o.ec, error::authentication_failed);
        EXPECT_EQ(o.diag.server_message, "invalid username or password");  // each with its completion
    }

    // An immediate retry fails at once: no new token request.
    outcome retry;
    acquire(retry);
    poll();
    EXPECT_EQ(retry.ec, error::authentication_failed);
    EXPECT_EQ(retry.diag.server_message, "invalid username or password");
    EXPECT_EQ(source->fetches, 1);
    const auto c = observer.snapshot();
    EXPECT_EQ(c.renewal_failures, 1u);
    EXPECT_EQ(count(vovrest::event_kind::renewal_failed), 1);
}

TEST_F(token_pipeline_test, three_transient_failures_then_success)
{
    const std::string jwt = hour_jwt();
    auto limited = fail(error::rate_limited, "slow down");
    limited.retry_after = 1ms;
    source->script = {fail(error::server_error), fail(error::connection_failed), limited, ok(jwt)};
    outcome o;
    acquire(o);
    io.run();  // backoff timers of 1-2 ms; ends when the waiter is done
    EXPECT_TRUE(o.done);
    EXPECT_FALSE(o.ec);
    EXPECT_EQ(o.ticket.authorization, "Bearer:" + jwt);
    EXPECT_EQ(source->fetches, 4);
    EXPECT_EQ(source->max_in_flight, 1);
    const auto c = observer.snapshot();
    EXPECT_EQ(c.token_requests, 4u);
    EXPECT_EQ(c.renewal_failures, 3u);
    EXPECT_EQ(c.renewals_forced, 1u);
    EXPECT_EQ(count(vovrest::event_kind::renewal_failed), 3);
    EXPECT_EQ(count(vovrest::event_kind::renewal_succeeded), 1);
}

TEST_F(token_pipeline_test, waiters_get_the_last_error_after_max_attempts)
{
    params.max_attempts = 3;
    source->script = {fail(error::server_error), fail(error::timeout), fail(error::rate_limited, "429")};
    outcome o;
    acquire(o);
    io.run();
    EXPECT_EQ(o.ec, error::rate_limited);
    EXPECT_EQ(o.diag.server_message, "429");
    EXPECT_EQ(source->fetches, 3);
}

TEST_F(token_pipeline_test, each_fetch_has_its_own_deadline)
{
    params.renewal_timeout = 1ms;
    params.max_attempts = 2;
    outcome o;
    acquire(o);
    io.run();  // the source never answers; the deadline cancels it twice
    EXPECT_EQ(o.ec, error::timeout);
    EXPECT_EQ(source->fetches, 2);
    EXPECT_EQ(source->cancellations, 2);
}

TEST_F(token_pipeline_test, unauthorized_on_current_generation_renews_once)
{
    const std::string first = hour_jwt();
    const std::string second = make_jwt(1, 4102444800);  // far future
    outcome o;
    acquire(o);
    poll();
    fake_source::complete_pending(*source, ok(first));
    poll();
    ASSERT_EQ(o.ticket.generation, 1u);

    pipeline().on_unauthorized(1, "");
    pipeline().on_unauthorized(1, "");  // a second request with the same refused token
    token_ticket t;
    EXPECT_FALSE(pipeline().try_acquire(t));
    poll();
    EXPECT_EQ(source->fetches, 2);
    EXPECT_EQ(observer.snapshot().renewals_on_401, 1u);
    EXPECT_EQ(count(vovrest::event_kind::unauthorized_renewal), 1);

    outcome replay;
    acquire(replay);
    fake_source::complete_pending(*source, ok(second));
    poll();
    EXPECT_EQ(replay.ticket.generation, 2u);
    EXPECT_EQ(replay.ticket.authorization, "Bearer:" + second);

    // A late 401 for generation 1: a newer token exists, nothing happens.
    pipeline().on_unauthorized(1, "");
    poll();
    ASSERT_TRUE(pipeline().try_acquire(t));
    EXPECT_EQ(t.generation, 2u);
    EXPECT_EQ(source->fetches, 2);
}

TEST_F(token_pipeline_test, shutdown_fails_waiters_and_cancels_the_fetch)
{
    std::vector<outcome> waiters(3);
    for (auto& o : waiters)
        acquire(o);
    poll();
    ASSERT_EQ(source->fetches, 1);
    pipeline().shutdown();
    poll();
    for (const auto& o : waiters)
        EXPECT_EQ(o.ec, error::session_closed);
    EXPECT_EQ(source->cancellations, 1);
    EXPECT_EQ(observer.snapshot().waiters_now, 0u);

    outcome after;
    acquire(after);
    poll();
    EXPECT_EQ(after.ec, error::session_closed);
    token_ticket t;
    EXPECT_FALSE(pipeline().try_acquire(t));
    EXPECT_EQ(source->fetches, 1);
}

TEST_F(token_pipeline_test, set_token_and_current_authorization)
{
    EXPECT_EQ(pipeline().current_authorization(), std::nullopt);
    outcome waiting;
    acquire(waiting);
    poll();
    pipeline().set_token("Bearer", "handed-in");
    EXPECT_EQ(pipeline().current_authorization(), "Bearer:handed-in");
    poll();
    EXPECT_TRUE(waiting.done);
    EXPECT_EQ(waiting.ticket.authorization, "Bearer:handed-in");
    token_ticket t;
    ASSERT_TRUE(pipeline().try_acquire(t));
    EXPECT_EQ(t.authorization, "Bearer:handed-in");
    EXPECT_EQ(t.generation, 1u);
    pipeline().set_token("Bearer", "second");
    ASSERT_TRUE(pipeline().try_acquire(t));
    EXPECT_EQ(t.authorization, "Bearer:second");
    EXPECT_EQ(t.generation, 2u);
}

TEST_F(token_pipeline_test, long_tokens_take_the_locked_path)
{
    const std::string huge(20000, 'x');
    pipeline().set_token("Bearer", huge);
    token_ticket t;
    ASSERT_TRUE(pipeline().try_acquire(t));
    EXPECT_EQ(t.authorization, "Bearer:" + huge);
    pipeline().set_token("Bearer", "short");
    ASSERT_TRUE(pipeline().try_acquire(t));
    EXPECT_EQ(t.authorization, "Bearer:short");
}

TEST_F(token_pipeline_test, fast_path_reuses_the_ticket_capacity)
{
    pipeline().set_token("Bearer", hour_jwt());
    token_ticket t;
    ASSERT_TRUE(pipeline().try_acquire(t));
    const char* data = t.authorization.data();
    for (int i = 0; i < 10; ++i)
        ASSERT_TRUE(pipeline().try_acquire(t));
    EXPECT_EQ(t.authorization.data(), data);
}

TEST_F(token_pipeline_test, soft_window_renews_in_background_hard_window_waits)
{
    hooks.steady_now = &fake_steady;
    hooks.wall_now = &fake_wall;
    hooks.jitter = [] { return 0.0; };
    const double wall_s = static_cast<double>(fake_wall_ns.load() / 1'000'000'000);
    // 100 s lifetime: soft window the last 25 s, hard window the last 10 s.
    pipeline().set_token("Bearer", make_jwt(wall_s, wall_s + 100));

    token_ticket t;
    advance(74s);
    ASSERT_TRUE(pipeline().try_acquire(t));
    poll();
    EXPECT_EQ(source->fetches, 0);

    advance(2s);  // in the soft window
    for (int i = 0; i < 100; ++i)
        ASSERT_TRUE(pipeline().try_acquire(t));
    poll();
    EXPECT_EQ(source->fetches, 1);
    EXPECT_EQ(observer.snapshot().renewals_proactive, 1u);
    EXPECT_EQ(observer.snapshot().waiters, 0u);
    for (int i = 0; i < 100; ++i)
        ASSERT_TRUE(pipeline().try_acquire(t));
    poll();
    EXPECT_EQ(source->fetches, 1);

    advance(15s);  // in the hard window, renewal still in flight
    EXPECT_FALSE(pipeline().try_acquire(t));
    outcome o;
    acquire(o);
    poll();
    EXPECT_FALSE(o.done);
    const double now_s = static_cast<double>(fake_wall_ns.load() / 1'000'000'000);
    fake_source::complete_pending(*source, ok(make_jwt(now_s, now_s + 100)));
    poll();
    EXPECT_TRUE(o.done);
    EXPECT_EQ(o.ticket.generation, 2u);
    ASSERT_TRUE(pipeline().try_acquire(t));
    EXPECT_EQ(t.generation, 2u);
    EXPECT_EQ(source->fetches, 1);
}

TEST_F(token_pipeline_test, authentication_failure_forgotten_after_failure_memory)
{
    hooks.steady_now = &fake_steady;
    hooks.wall_now = &fake_wall;
    outcome first;
    acquire(first);
    poll();
    fake_source::complete_pending(*source, fail(error::authentication_failed, "bad password"));
    poll();
    outcome soon;
    advance(1s);
    acquire(soon);
    poll();
    EXPECT_EQ(soon.ec, error::authentication_failed);
    EXPECT_EQ(source->fetches, 1);
    advance(1s);
    outcome later;
    acquire(later);
    poll();
    EXPECT_EQ(source->fetches, 2);
    fake_source::complete_pending(*source, ok("opaque"));
    poll();
    EXPECT_FALSE(later.ec);
}

TEST_F(token_pipeline_test, a_server_refusing_every_token_gets_two_token_requests_then_a_hold)
{
    source->script = {ok("first"), ok("second"), ok("third")};
    outcome o;
    acquire(o);
    io.run();
    ASSERT_EQ(o.ticket.generation, 1u);
    // Every request is refused: one renewal for the first refusal ...
    pipeline().on_unauthorized(1, "bad token");
    outcome second;
    acquire(second);
    io.restart();
    io.run();
    ASSERT_EQ(second.ticket.generation, 2u);
    // ... and none for the refusal of a token just issued: callers fail with the server's words.
    pipeline().on_unauthorized(2, "bad token");
    std::vector<outcome> callers(50);
    for (auto& c : callers)
        acquire(c);
    poll();
    for (const auto& c : callers)
    {
        EXPECT_EQ(c.ec, error::unauthorized);
        EXPECT_EQ(c.diag.server_message, "bad token");
    }
    EXPECT_EQ(source->fetches, 2);
    EXPECT_EQ(observer.snapshot().token_requests, 2u);
}

TEST_F(token_pipeline_test, accepted_tokens_are_renewed_on_every_revocation)
{
    source->script = {ok("a"), ok("b"), ok("c"), ok("d")};
    outcome o;
    acquire(o);
    io.run();
    for (std::uint64_t generation = 1; generation <= 3; ++generation)
    {
        pipeline().accepted(generation);
        pipeline().accepted(generation);  // once per generation is enough; twice is harmless
        pipeline().on_unauthorized(generation, "revoked");
        outcome next;
        acquire(next);
        io.restart();
        io.run();
        EXPECT_EQ(next.ticket.generation, generation + 1);
    }
    EXPECT_EQ(source->fetches, 4);
}

TEST_F(token_pipeline_test, deferred_and_future_completion_tokens)
{
    pipeline().set_token("Bearer", "abc");
    auto op = pipeline().async_acquire(io.get_executor(), asio::deferred);
    outcome o;
    std::move(op)([&](boost::system::error_code ec, token_ticket t, diagnostics) {
        o.done = true;
        o.ec = ec;
        o.ticket = std::move(t);
    });
    poll();
    EXPECT_EQ(o.ticket.authorization, "Bearer:abc");

    auto future = pipeline().async_acquire(io.get_executor(), asio::use_future);
    poll();
    EXPECT_EQ(std::get<0>(future.get()).authorization, "Bearer:abc");
}

TEST_F(token_pipeline_test, static_token_source_hands_back_its_token)
{
    pipeline_.emplace(io.get_executor(), params,
                      std::make_unique<static_token_source>(io.get_executor(), "Bearer", "given"), observer);
    outcome o;
    acquire(o);
    poll();
    EXPECT_EQ(o.ticket.authorization, "Bearer:given");
    EXPECT_EQ(observer.snapshot().token_requests, 1u);
}

TEST_F(token_pipeline_test, concurrent_try_acquire_while_renewals_happen)
{
    // Each token is one character repeated, so a torn read would show as a mixed string.
    std::atomic<int> next{0};
    class rotating_source final : public token_source
    {
    public:
        rotating_source(asio::any_io_executor ex, std::atomic<int>& n) : ex_(std::move(ex)), n_(n) {}
        void async_fetch(token_fetch_handler h) override
        {
            const int k = n_.fetch_add(1);
            token_fetch_result r;
            r.grant.token_type = "Bearer";
            r.grant.access_token =
                std::string(static_cast<std::size_t>(100 + k % 300), static_cast<char>('a' + k % 26));
            asio::post(ex_, asio::append(std::move(h), std::move(r)));
        }

    private:
        asio::any_io_executor ex_;
        std::atomic<int>& n_;
    };
    pipeline_.emplace(io.get_executor(), params, std::make_unique<rotating_source>(io.get_executor(), next), observer);

    outcome first;
    acquire(first);
    poll();
    ASSERT_FALSE(first.ec);

    auto work = asio::make_work_guard(io);
    io.restart();
    std::thread runner([this] { io.run(); });
    std::atomic<bool> stop{false};
    std::atomic<int> torn{0};
    std::atomic<long> hits{0};
    std::vector<std::thread> readers;
    for (int r = 0; r < 4; ++r)
    {
        readers.emplace_back([&] {
            token_ticket t;
            while (!stop.load())
            {
                if (!pipeline().try_acquire(t))
                {
                    pipeline().on_unauthorized(0, "");
                    continue;
                }
                hits.fetch_add(1, std::memory_order_relaxed);
                const std::string_view value(t.authorization);
                if (value.substr(0, 7) != "Bearer:" || value.size() < 8
                    || value.find_first_not_of(value[7], 7) != std::string_view::npos)
                    torn.fetch_add(1);
            }
        });
    }
    // Renewals: invalidate the current token again and again.
    for (long i = 0; i < 5'000'000 && next.load() < 60; ++i)
    {
        token_ticket t;
        if (pipeline().try_acquire(t))
        {
            pipeline().accepted(t.generation);  // in use, then revoked: renewed every time
            pipeline().on_unauthorized(t.generation, "");
        }
        else
        {
            std::this_thread::yield();
        }
    }
    stop = true;
    for (auto& th : readers)
        th.join();
    work.reset();
    pipeline().shutdown();
    runner.join();
    EXPECT_EQ(torn.load(), 0);
    EXPECT_GT(hits.load(), 0);
    EXPECT_GT(next.load(), 1);
}

}  // namespace
