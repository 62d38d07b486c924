// Two of a session's seams against the fake server, checked with GoogleMock: the event hook
// (session_params::on_event: which events, in which order, with what) and the password provider
// (session_params::password: how often it is asked). 127.0.0.1 only; no sleeps.
#include "run_coroutine.hpp"
#include "sdk_fixture.hpp"

#include <gmock/gmock.h>

#include <future>
#include <ostream>
#include <stdexcept>
#include <thread>

namespace vovrest {

// Events in gmock's failure messages (found by argument-dependent lookup).
[[maybe_unused]] static void PrintTo(event_kind kind, std::ostream* os)
{
    *os << to_string(kind);
}

[[maybe_unused]] static void PrintTo(const session_event& e, std::ostream* os)
{
    *os << to_string(e.kind) << "{generation=" << e.generation << " ec=" << e.ec.message() << " method=" << e.method
        << " path=" << e.path << " status=" << e.status << " attempts=" << e.attempts << "}";
}

}  // namespace vovrest

namespace vovrest::test {
namespace {

using ::testing::_;
using ::testing::AllOf;
using ::testing::AnyNumber;
using ::testing::AnyOf;
using ::testing::Eq;
using ::testing::Field;
using ::testing::InSequence;
using ::testing::MockFunction;
using ::testing::Return;
using ::testing::Sequence;
using ::testing::Throw;

constexpr const char* project_path = "/api/v3/project/1/project";

auto kind_is(event_kind kind)
{
    return Field(&session_event::kind, kind);
}

// The one request_completed event of a call that ended well.
auto completed_get(unsigned attempts)
{
    return AllOf(kind_is(event_kind::request_completed), Field(&session_event::ec, Eq(boost::system::error_code())),
                 Field(&session_event::method, Eq("GET")), Field(&session_event::path, Eq(project_path)),
                 Field(&session_event::status, 200u), Field(&session_event::attempts, attempts));
}

// Events of connections and waiters come as they may (their count depends on timing); any other
// event the test does not expect fails it.
void allow_connection_and_waiter_events(MockFunction<void(const session_event&)>& hook)
{
    EXPECT_CALL(hook, Call(Field(&session_event::kind, AnyOf(event_kind::waiter_added, event_kind::connection_opened,
                                                             event_kind::connection_reused))))
        .Times(AnyNumber());
}

// The hook a session is given: keeps every text of every event (for the secrets check), then
// hands the event to the mock.
struct recording_hook
{
    MockFunction<void(const session_event&)> mock;
    std::mutex mutex;
    std::vector<std::string> texts;

    event_hook hook()
    {
        return [this](const session_event& e) {
            {
                std::lock_guard lock(mutex);
                texts.push_back(std::string(to_string(e.kind)) + " " + std::string(e.detail) + " "
                                + std::string(e.method) + " " + std::string(e.path) + " " + e.ec.message());
            }
            mock.Call(e);
        };
    }

    // Checks the expectations set so far; whatever the session reports afterwards (its shutdown)
    // is allowed.
    void verify_and_allow_the_rest()
    {
        ::testing::Mock::VerifyAndClearExpectations(&mock);
        EXPECT_CALL(mock, Call(_)).Times(AnyNumber());
    }
};

asio::awaitable<void> authorize_then_get(session& s, query_params query)
{
    co_await s.authorize();
    co_await s.get(project_path, std::move(query));
}

TEST(event_hook, authorize_and_one_get_report_one_renewal_then_one_completed_request)
{
    testing::fake_server server(server_params());
    server.start();
    recording_hook events;
    allow_connection_and_waiter_events(events.mock);
    {
        InSequence in_order;
        EXPECT_CALL(events.mock, Call(kind_is(event_kind::renewal_started)));
        EXPECT_CALL(events.mock,
                    Call(AllOf(kind_is(event_kind::renewal_succeeded), Field(&session_event::generation, 1u))));
        EXPECT_CALL(events.mock, Call(completed_get(1)));
    }

    asio::io_context io;
    auto params = client_params(server);
    params.on_event = events.hook();
    session s(io.get_executor(), params);
    query_params query;
    query.emplace_back("marker", "query-text-kept-out");
    run_coroutine(io, authorize_then_get(s, std::move(query)));
    events.verify_and_allow_the_rest();

    const auto token = s.token();
    ASSERT_TRUE(token);
    const std::string access_token = token->substr(token->find(':') + 1);
    std::lock_guard lock(events.mutex);
    EXPECT_FALSE(events.texts.empty());
    for (const auto& text : events.texts)
    {
        EXPECT_EQ(text.find("demo-password"), std::string::npos) << text;
        EXPECT_EQ(text.find(access_token), std::string::npos) << text;
        EXPECT_EQ(text.find("query-text-kept-out"), std::string::npos) << text;
    }
}

TEST(event_hook, revoked_token_reports_a_401_renewal_a_replay_and_one_request_of_two_attempts)
{
    testing::fake_server server(server_params());
    server.start();
    recording_hook events;
    asio::io_context io;
    auto params = client_params(server);
    params.on_event = events.hook();
    session s(io.get_executor(), params);
    EXPECT_CALL(events.mock, Call(_)).Times(AnyNumber());
    run_coroutine(io, authorize_then_get(s, {}));  // token generation 1, accepted by the server
    ::testing::Mock::VerifyAndClearExpectations(&events.mock);

    // Two chains, each in order: the 401 is reported, then the request replayed; the 401 starts
    // the one renewal, which brings generation 2. The call ends after both.
    allow_connection_and_waiter_events(events.mock);
    Sequence reported;
    Sequence renewed;
    EXPECT_CALL(events.mock,
                Call(AllOf(kind_is(event_kind::unauthorized_renewal), Field(&session_event::generation, 1u))))
        .InSequence(reported, renewed);
    EXPECT_CALL(events.mock, Call(AllOf(kind_is(event_kind::replay), Field(&session_event::generation, 1u))))
        .InSequence(reported);
    EXPECT_CALL(events.mock, Call(kind_is(event_kind::renewal_started))).InSequence(renewed);
    EXPECT_CALL(events.mock, Call(AllOf(kind_is(event_kind::renewal_succeeded), Field(&session_event::generation, 2u))))
        .InSequence(renewed);
    EXPECT_CALL(events.mock, Call(completed_get(2))).InSequence(reported, renewed);

    server.revoke_all_tokens();
    run_coroutine(io, get_once(s, project_path));
    events.verify_and_allow_the_rest();
    EXPECT_EQ(s.counters().renewals_on_401, 1u);
    EXPECT_EQ(s.counters().replays, 1u);
    EXPECT_EQ(count_of(server.stats().unauthorized_by_reason, "revoked"), 1u);
}

TEST(password_provider_calls, asked_once_for_authorize_and_concurrent_requests_and_once_per_revocation)
{
    testing::fake_server server(server_params());
    server.start();
    MockFunction<std::string()> provider;
    EXPECT_CALL(provider, Call()).WillOnce(Return("demo-password"));
    asio::io_context io;
    auto params = client_params(server);
    params.password = provider.AsStdFunction();
    session s(io.get_executor(), params);

    ASSERT_TRUE(authorize_now(io, s));
    outcomes first;
    run_many(io, 50, first, [&s](int) { return get_once(s, project_path); });
    EXPECT_EQ(first.succeeded, 50);
    ::testing::Mock::VerifyAndClearExpectations(&provider);

    // Every token revoked: the requests in flight are refused and replayed; one renewal, one ask.
    EXPECT_CALL(provider, Call()).WillOnce(Return("demo-password"));
    server.revoke_all_tokens();
    outcomes second;
    run_many(io, 50, second, [&s](int) { return get_once(s, project_path); });
    EXPECT_EQ(second.succeeded, 50);
    ::testing::Mock::VerifyAndClearExpectations(&provider);
    EXPECT_EQ(server.stats().token_requests, 2u);
    EXPECT_EQ(s.counters().renewals_on_401, 1u);
    EXPECT_GE(s.counters().replays, 1u);
}

TEST(password_provider_calls, never_asked_by_a_session_given_a_token)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    session issuer(io.get_executor(), client_params(server));
    ASSERT_TRUE(authorize_now(io, issuer));
    const std::string header = issuer.token().value_or("");
    const auto colon = header.find(':');
    ASSERT_NE(colon, std::string::npos);

    MockFunction<std::string()> provider;
    EXPECT_CALL(provider, Call()).Times(0);
    auto params = client_params(server);
    params.password = provider.AsStdFunction();
    session s(io.get_executor(), params);
    s.set_token(header.substr(0, colon), header.substr(colon + 1));
    ASSERT_TRUE(authorize_now(io, s));  // a fresh token is held: nothing to ask
    outcomes out;
    run_many(io, 20, out, [&s](int) { return get_once(s, project_path); });
    EXPECT_EQ(out.succeeded, 20);
    EXPECT_EQ(server.stats().token_requests, 1u);  // the issuer's only
}

TEST(password_provider_calls, a_throwing_provider_fails_authorize_with_no_password_asked_once_per_attempt)
{
    testing::fake_server server(server_params());
    server.start();
    MockFunction<std::string()> provider;
    EXPECT_CALL(provider, Call()).WillOnce(Throw(std::runtime_error("no terminal")));
    asio::io_context io;
    auto params = client_params(server);
    params.password = provider.AsStdFunction();
    session s(io.get_executor(), params);

    outcomes first;
    run_many(io, 1, first, [&s](int) { return s.authorize(); });
    ASSERT_EQ(first.failed(), 1);
    EXPECT_EQ(first.errors[0], error::no_password);
    // Not retried like a network failure: one ask, however many attempts token_params allows.
    ::testing::Mock::VerifyAndClearExpectations(&provider);

    // The next attempt asks again, once: a provider that is fixed meanwhile gets its chance.
    EXPECT_CALL(provider, Call()).WillOnce(Throw(std::runtime_error("no terminal")));
    outcomes second;
    run_many(io, 1, second, [&s](int) { return s.authorize(); });
    ASSERT_EQ(second.failed(), 1);
    EXPECT_EQ(second.errors[0], error::no_password);
    ::testing::Mock::VerifyAndClearExpectations(&provider);
    EXPECT_EQ(server.stats().token_requests, 0u);  // no password: nothing sent
}

// The thread that ran the provider kept its password_call after the call had completed, and with
// it a strand of the session's io_context: when the program had already destroyed that io_context
// (its work was done), the strand's destructor locked a mutex of the destroyed strand service
// (TSan, ASan). The completion now takes the executor out of the call. Here the thread's copy of
// the provider is destroyed only once the io_context is gone, to make that order certain.
TEST(password_provider_calls, the_provider_thread_never_touches_a_destroyed_io_context)
{
    testing::fake_server server(server_params());
    server.start();
    struct destroyed_late
    {
        std::shared_future<void> io_gone;
        std::thread::id test_thread = std::this_thread::get_id();
        destroyed_late(std::shared_future<void> f) : io_gone(std::move(f)) {}
        destroyed_late(const destroyed_late&) = default;
        destroyed_late& operator=(const destroyed_late&) = default;
        ~destroyed_late()
        {
            if (io_gone.valid() && std::this_thread::get_id() != test_thread)
                io_gone.wait_for(std::chrono::seconds(10));
        }
        std::string operator()() const { return "demo-password"; }
    };
    std::promise<void> gone;
    {
        asio::io_context io;
        auto params = client_params(server);
        params.password = destroyed_late(gone.get_future().share());
        session s(io.get_executor(), params);
        ASSERT_TRUE(authorize_now(io, s));
    }
    gone.set_value();
}

}  // namespace
}  // namespace vovrest::test
