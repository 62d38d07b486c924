// The request contract (docs/request-contract.md) as one table, checked against the request
// machine for every request kind, on a fresh and on a kept-alive connection, with the token fresh,
// in its soft window, in its hard window and refused by a 401: each I/O step is failed in turn,
// in each way it can fail, and the outcome must be the table's — retried (how often, on which
// connection), outcome_unknown, or which error. No sockets: a scripted world answers the actions.
#include <vovrest/detail/request_fsm.hpp>
#include <vovrest/error.hpp>

#include <boost/asio/error.hpp>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vovrest::detail {
namespace {

using boost::system::error_code;
using namespace std::chrono_literals;

enum class method
{
    get,
    post,
    put,
    patch,
    del
};
enum class conn_state
{
    fresh,
    reused
};
enum class token_state
{
    fresh,
    soft_window,
    hard_window,
    refused_by_401
};
enum class step
{
    connect,
    handshake,
    write,
    read_headers,
    read_body
};
enum class failure
{
    error,
    eof,
    timeout,
    cancellation,
    partial_write,
    malformed
};

const char* name(method m)
{
    switch (m)
    {
    case method::get: return "GET";
    case method::post: return "POST";
    case method::put: return "PUT";
    case method::patch: return "PATCH";
    case method::del: return "DELETE";
    }
    return "?";
}
const char* name(token_state t)
{
    switch (t)
    {
    case token_state::fresh: return "fresh";
    case token_state::soft_window: return "in its soft window";
    case token_state::hard_window: return "in its hard window";
    case token_state::refused_by_401: return "refused by a 401";
    }
    return "?";
}
const char* name(step s)
{
    switch (s)
    {
    case step::connect: return "connect";
    case step::handshake: return "handshake";
    case step::write: return "write";
    case step::read_headers: return "read headers";
    case step::read_body: return "read body";
    }
    return "?";
}
const char* name(failure f)
{
    switch (f)
    {
    case failure::error: return "error";
    case failure::eof: return "EOF";
    case failure::timeout: return "timeout";
    case failure::cancellation: return "cancellation";
    case failure::partial_write: return "error after part of the request left";
    case failure::malformed: return "malformed answer";
    }
    return "?";
}

bool idempotent(method m)
{
    return m == method::get || m == method::put || m == method::del;
}

// ---- The table: what a caller gets when `s` fails with `f` once ----

struct outcome
{
    error_code ec;                 // empty: the call succeeds (after the retry)
    int extra_attempts = 0;        // times the request went on the wire again because of the failure
    bool retry_on_fresh = false;   // the retry used a new connection
    bool connect_retried = false;  // the connection was opened again (nothing had been sent)
};

outcome expected(method m, step s, failure f)
{
    const bool idem = idempotent(m);
    switch (s)
    {
    case step::connect:
        if (f == failure::timeout)
            return {error::timeout};
        if (f == failure::cancellation)
            return {boost::asio::error::operation_aborted};
        return {{}, 0, true, true};  // nothing was sent: opened again after a backoff, any method
    case step::handshake:
        if (f == failure::timeout)
            return {error::timeout};
        if (f == failure::cancellation)
            return {boost::asio::error::operation_aborted};
        return {error::tls_failed};  // a certificate problem does not go away by trying again
    case step::write:
        if (f == failure::error || f == failure::eof)
            return {{}, 0, true};  // nothing left: sent again, any method
        if (f == failure::partial_write)
            return idem ? outcome{{}, 1, true} : outcome{error::outcome_unknown};
        if (f == failure::timeout)
            return {idem ? error_code(error::timeout) : error_code(error::outcome_unknown)};
        return {boost::asio::error::operation_aborted};
    case step::read_headers:
    case step::read_body:
        if (f == failure::error || f == failure::eof)
            return idem ? outcome{{}, 1, true} : outcome{error::outcome_unknown};
        if (f == failure::malformed)
            return {idem ? error_code(error::bad_response) : error_code(error::outcome_unknown)};
        if (f == failure::timeout)
            return {idem ? error_code(error::timeout) : error_code(error::outcome_unknown)};
        return {boost::asio::error::operation_aborted};
    }
    return {};
}

// ---- A scripted world that carries out the machine's actions ----

struct scenario
{
    method m;
    conn_state conn;
    token_state token;
    step fail_step;
    failure fail_with;
};

struct trace
{
    error_code ec;
    bool answered = false;
    int writes = 0;  // requests that went on the wire, whole or in part
    int connects = 0;
    int reused_takes = 0;
    int token_waits = 0;
    int unauthorized_reports = 0;
    int backoffs = 0;
    bool last_write_on_fresh = false;
    int actions = 0;
};

error_code failure_code(step s, failure f)
{
    switch (f)
    {
    case failure::timeout: return error::timeout;
    case failure::cancellation: return boost::asio::error::operation_aborted;
    case failure::malformed: return error::bad_response;
    default: return s == step::handshake ? error_code(error::tls_failed) : error_code(error::connection_failed);
    }
}

trace run(const scenario& sc, const retry_policy& policy = {})
{
    request_fsm machine(request_traits{idempotent(sc.m), true, policy});
    trace t;
    request_event ev{.kind = request_event_kind::start};
    ev.token_usable = true;  // a token is installed (maybe in its hard window)
    bool failed_once = false;
    bool pool_has_idle = sc.conn == conn_state::reused;
    bool holding_reused = false;
    bool refused_once = false;
    bool hard_window = sc.token == token_state::hard_window;
    const auto should_fail = [&](step s) {
        if (failed_once || s != sc.fail_step)
            return false;
        // With a refused token the failure hits the replay: the 401 comes first.
        const bool on_the_wire = s != step::connect && s != step::handshake;
        if (on_the_wire && sc.token == token_state::refused_by_401 && !refused_once)
            return false;
        failed_once = true;
        return true;
    };

    for (;;)
    {
        const request_action a = machine.resume(ev);
        ev = request_event{};
        if (++t.actions > 100)
        {
            ADD_FAILURE() << "the machine does not end";
            return t;
        }
        if (a.release != release_as::keep)
        {
            if (a.release == release_as::reuse || a.release == release_as::park)
                pool_has_idle = true;
            holding_reused = false;
        }
        switch (a.step)
        {
        case request_step::wait_for_token:
            ++t.token_waits;
            hard_window = false;  // the renewal installs a fresh token
            ev.kind = request_event_kind::token_ready;
            break;
        case request_step::acquire_connection:
        case request_step::queue_for_connection:
            if (pool_has_idle && !a.fresh)
            {
                pool_has_idle = false;
                holding_reused = true;
                ++t.reused_takes;
                ev.kind = request_event_kind::connection_reused;
            }
            else
            {
                ev.kind = request_event_kind::connection_slot;
            }
            break;
        case request_step::connect:
            ++t.connects;
            if ((sc.fail_step == step::connect || sc.fail_step == step::handshake) && sc.conn == conn_state::fresh
                && should_fail(sc.fail_step))
            {
                ev.kind = request_event_kind::connect_failed;
                ev.ec = failure_code(sc.fail_step, sc.fail_with);
                break;
            }
            ev.kind = request_event_kind::connected;
            break;
        case request_step::attach_token:
            ev.kind =
                hard_window && !a.use_waited_token ? request_event_kind::no_token : request_event_kind::token_attached;
            break;
        case request_step::write:
            if (sc.fail_step == step::write && should_fail(step::write))
            {
                const bool partial = sc.fail_with == failure::partial_write || sc.fail_with == failure::timeout
                                     || sc.fail_with == failure::cancellation;
                if (partial)
                    ++t.writes;
                ev.kind = request_event_kind::write_failed;
                ev.ec = failure_code(step::write, sc.fail_with);
                ev.bytes_sent = partial;
                break;
            }
            ++t.writes;
            t.last_write_on_fresh = !holding_reused;
            ev.kind = request_event_kind::written;
            break;
        case request_step::read:
            if (sc.token == token_state::refused_by_401 && !refused_once)
            {
                refused_once = true;
                ev.kind = request_event_kind::answered;
                ev.status = 401;
                ev.reusable = true;
                break;
            }
            if ((sc.fail_step == step::read_headers || sc.fail_step == step::read_body) && should_fail(sc.fail_step))
            {
                ev.kind = request_event_kind::read_failed;
                ev.ec = failure_code(sc.fail_step, sc.fail_with);
                ev.answer_started = sc.fail_step == step::read_body;
                break;
            }
            ev.kind = request_event_kind::answered;
            ev.status = 200;
            ev.reusable = true;
            break;
        case request_step::report_unauthorized:
            ++t.unauthorized_reports;
            ev.kind = request_event_kind::unauthorized_reported;
            ev.token_usable = false;  // the refused token was invalidated
            break;
        case request_step::backoff:
            ++t.backoffs;
            ev.kind = request_event_kind::backoff_elapsed;
            break;
        case request_step::done:
            t.ec = a.ec;
            t.answered = a.answered;
            return t;
        }
    }
}

// The failures each step can have.
std::vector<failure> failures_of(step s)
{
    switch (s)
    {
    case step::connect:
    case step::handshake: return {failure::error, failure::eof, failure::timeout, failure::cancellation};
    case step::write:
        return {failure::error, failure::eof, failure::partial_write, failure::timeout, failure::cancellation};
    case step::read_headers:
    case step::read_body:
        return {failure::error, failure::eof, failure::timeout, failure::cancellation, failure::malformed};
    }
    return {};
}

TEST(request_contract, every_kind_every_step_every_failure_ends_as_the_table_says)
{
    int checked = 0;
    for (const method m : {method::get, method::post, method::put, method::patch, method::del})
        for (const conn_state c : {conn_state::fresh, conn_state::reused})
            for (const token_state tok :
                 {token_state::fresh, token_state::soft_window, token_state::hard_window, token_state::refused_by_401})
                for (const step s : {step::connect, step::handshake, step::write, step::read_headers, step::read_body})
                {
                    // A kept-alive connection is not opened: its connect and handshake cannot fail.
                    if (c == conn_state::reused && (s == step::connect || s == step::handshake))
                        continue;
                    for (const failure f : failures_of(s))
                    {
                        const scenario sc{m, c, tok, s, f};
                        const trace t = run(sc);
                        const outcome want = expected(m, s, f);
                        SCOPED_TRACE(std::string(name(m)) + (c == conn_state::reused ? " on a kept-alive" : " on a new")
                                     + " connection, token " + name(tok) + ", " + name(s) + " fails with " + name(f));
                        ++checked;
                        EXPECT_EQ(t.ec, want.ec);
                        // Writes: one for the 401 (if any), one for the call, plus the retries.
                        const int refused = tok == token_state::refused_by_401 ? 1 : 0;
                        if (!want.ec)
                        {
                            EXPECT_TRUE(t.answered);
                            EXPECT_EQ(t.writes, 1 + refused + want.extra_attempts);
                            if (want.retry_on_fresh && (c == conn_state::reused || want.extra_attempts > 0))
                            {
                                EXPECT_TRUE(t.last_write_on_fresh) << "the retry did not use a new connection";
                            }
                            if (want.connect_retried)
                            {
                                EXPECT_EQ(t.backoffs, 1);
                            }
                        }
                        else
                        {
                            EXPECT_FALSE(t.answered);
                            // Never sent again after a failure that ends the call.
                            EXPECT_LE(t.writes, 1 + refused);
                        }
                        // A call that ends while connecting never had a token attached or refused.
                        const bool reached_wire = !want.ec || (s != step::connect && s != step::handshake);
                        EXPECT_EQ(t.unauthorized_reports, reached_wire ? refused : 0);
                        if (tok == token_state::hard_window && reached_wire)
                        {
                            EXPECT_GE(t.token_waits, 1) << "a token in its hard window was sent";
                        }
                    }
                }
    EXPECT_EQ(checked, 5 * 4 * ((4 + 4 + 5 + 5 + 5) + (5 + 5 + 5)));
}

// ---- The rest of the contract, one rule at a time ----

request_action step_to(request_fsm& m, request_event_kind kind, error_code ec = {})
{
    request_event e{.kind = kind};
    e.ec = ec;
    return m.resume(e);
}

TEST(request_contract, no_token_at_all_waits_before_taking_a_connection)
{
    request_fsm m(request_traits{true, true, {}});
    request_event start{.kind = request_event_kind::start};
    start.token_usable = false;
    EXPECT_EQ(m.resume(start).step, request_step::wait_for_token);
}

TEST(request_contract, a_full_pool_is_not_queued_for_without_a_usable_token)
{
    request_fsm m(request_traits{true, true, {}});
    request_event start{.kind = request_event_kind::start};
    start.token_usable = true;
    ASSERT_EQ(m.resume(start).step, request_step::acquire_connection);
    request_event full{.kind = request_event_kind::pool_full};
    full.token_usable = false;
    EXPECT_EQ(m.resume(full).step, request_step::wait_for_token);
    EXPECT_EQ(step_to(m, request_event_kind::token_ready).step, request_step::acquire_connection);
    full.token_usable = false;
    const request_action queued = m.resume(full);
    EXPECT_EQ(queued.step, request_step::queue_for_connection);  // a token waited for is sent as it is
    EXPECT_EQ(step_to(m, request_event_kind::connection_reused).use_waited_token, true);
}

TEST(request_contract, a_connection_held_without_a_usable_token_is_parked_not_passed_to_the_queue)
{
    request_fsm m(request_traits{true, true, {}});
    request_event start{.kind = request_event_kind::start};
    start.token_usable = true;
    ASSERT_EQ(m.resume(start).step, request_step::acquire_connection);
    request_event full{.kind = request_event_kind::pool_full};
    full.token_usable = true;
    ASSERT_EQ(m.resume(full).step, request_step::queue_for_connection);
    ASSERT_EQ(step_to(m, request_event_kind::connection_reused).step, request_step::attach_token);
    // The hard window began while it was queued: the callers behind it have no token either.
    const request_action none = step_to(m, request_event_kind::no_token);
    EXPECT_EQ(none.step, request_step::wait_for_token);
    EXPECT_EQ(none.release, release_as::park);
    EXPECT_EQ(step_to(m, request_event_kind::token_ready).step, request_step::acquire_connection);
}

TEST(request_contract, the_token_request_goes_without_a_token)
{
    request_fsm m(request_traits{false, false, {}});
    request_event start{.kind = request_event_kind::start};
    ASSERT_EQ(m.resume(start).step, request_step::acquire_connection);
    EXPECT_EQ(step_to(m, request_event_kind::connection_reused).step, request_step::write);
}

TEST(request_contract, a_second_401_is_the_callers_answer)
{
    request_fsm m(request_traits{true, true, {}});
    request_event start{.kind = request_event_kind::start};
    start.token_usable = true;
    m.resume(start);
    step_to(m, request_event_kind::connection_reused);
    step_to(m, request_event_kind::token_attached);
    step_to(m, request_event_kind::written);
    request_event refused{.kind = request_event_kind::answered};
    refused.status = 401;
    refused.reusable = true;
    ASSERT_EQ(m.resume(refused).step, request_step::report_unauthorized);
    request_event reported{.kind = request_event_kind::unauthorized_reported};
    reported.token_usable = true;  // a newer token exists already
    ASSERT_EQ(m.resume(reported).step, request_step::acquire_connection);
    step_to(m, request_event_kind::connection_reused);
    step_to(m, request_event_kind::token_attached);
    step_to(m, request_event_kind::written);
    const request_action again = m.resume(refused);
    EXPECT_EQ(again.step, request_step::done);
    EXPECT_EQ(again.ec, error::unauthorized);
    EXPECT_TRUE(again.answered);
    EXPECT_EQ(again.release, release_as::reuse);
}

// Drives a request to its answer, returning the action after it.
request_action answer_with(request_fsm& m, unsigned status,
                           std::optional<std::chrono::steady_clock::duration> retry_after = {},
                           std::optional<std::chrono::steady_clock::duration> time_left = {})
{
    step_to(m, request_event_kind::connection_reused);
    step_to(m, request_event_kind::token_attached);
    step_to(m, request_event_kind::written);
    request_event answered{.kind = request_event_kind::answered};
    answered.status = status;
    answered.reusable = true;
    answered.retry_after = retry_after;
    answered.time_left = time_left;
    return m.resume(answered);
}

request_fsm started(bool idempotent, retry_policy policy = {})
{
    request_fsm m(request_traits{idempotent, true, policy});
    request_event start{.kind = request_event_kind::start};
    start.token_usable = true;
    m.resume(start);
    return m;
}

TEST(request_policy, idempotent_requests_answered_503_are_retried_with_growing_waits)
{
    retry_policy policy;
    policy.max_attempts = 3;
    policy.initial_backoff = 100ms;
    request_fsm m = started(true, policy);
    request_action a = answer_with(m, 503);
    ASSERT_EQ(a.step, request_step::backoff);
    EXPECT_EQ(a.delay, 100ms);  // jitter 0
    EXPECT_TRUE(a.retry);
    ASSERT_EQ(step_to(m, request_event_kind::backoff_elapsed).step, request_step::acquire_connection);
    a = answer_with(m, 502);
    ASSERT_EQ(a.step, request_step::backoff);
    EXPECT_EQ(a.delay, 200ms);
    step_to(m, request_event_kind::backoff_elapsed);
    a = answer_with(m, 503);  // the third attempt's answer is the caller's
    EXPECT_EQ(a.step, request_step::done);
    EXPECT_EQ(a.ec, error::server_error);
    EXPECT_TRUE(a.answered);
}

TEST(request_policy, retry_after_is_honoured_up_to_the_cap)
{
    request_fsm m = started(true);
    request_action a = answer_with(m, 429, 3s);
    ASSERT_EQ(a.step, request_step::backoff);
    EXPECT_EQ(a.delay, 3s);
    step_to(m, request_event_kind::backoff_elapsed);
    a = answer_with(m, 429, 31s);  // beyond max_retry_after (30 s): the caller gets the answer now
    EXPECT_EQ(a.step, request_step::done);
    EXPECT_EQ(a.ec, error::rate_limited);
}

TEST(request_policy, no_retry_that_would_outlast_the_operation)
{
    request_fsm m = started(true);
    const request_action a = answer_with(m, 503, 2s, 1s);
    EXPECT_EQ(a.step, request_step::done);
    EXPECT_EQ(a.ec, error::server_error);
}

TEST(request_policy, posts_and_500s_are_never_retried_by_the_session)
{
    request_fsm post = started(false);
    EXPECT_EQ(answer_with(post, 503).step, request_step::done);
    request_fsm get = started(true);
    EXPECT_EQ(answer_with(get, 500).step, request_step::done);
}

TEST(request_policy, one_attempt_turns_retries_off)
{
    retry_policy off;
    off.max_attempts = 1;
    request_fsm m = started(true, off);
    EXPECT_EQ(answer_with(m, 503).step, request_step::done);
    const trace t =
        run(scenario{method::get, conn_state::fresh, token_state::fresh, step::connect, failure::error}, off);
    EXPECT_EQ(t.ec, error::connection_failed);
    EXPECT_EQ(t.backoffs, 0);
}

TEST(request_policy, a_server_that_cannot_be_reached_is_tried_max_attempts_times)
{
    request_fsm m(request_traits{false, true, {}});
    request_event start{.kind = request_event_kind::start};
    start.token_usable = true;
    m.resume(start);
    int connects = 0;
    request_action a = step_to(m, request_event_kind::connection_slot);
    while (a.step != request_step::done)
    {
        if (a.step == request_step::connect)
        {
            ++connects;
            a = step_to(m, request_event_kind::connect_failed, error::connection_failed);
        }
        else if (a.step == request_step::backoff)
            a = step_to(m, request_event_kind::backoff_elapsed);
        else
            a = step_to(m, request_event_kind::connection_slot);
    }
    EXPECT_EQ(connects, 3);
    EXPECT_EQ(a.ec, error::connection_failed);
}

TEST(request_contract, stale_kept_alive_connections_are_closed_and_never_written_to)
{
    request_fsm m = started(false);
    step_to(m, request_event_kind::connection_reused);
    step_to(m, request_event_kind::token_attached);
    request_action a = step_to(m, request_event_kind::stale);
    EXPECT_EQ(a.release, release_as::close);
    EXPECT_EQ(a.step, request_step::acquire_connection);
    EXPECT_FALSE(a.fresh);  // another idle one may do
    step_to(m, request_event_kind::connection_reused);
    step_to(m, request_event_kind::token_attached);
    a = step_to(m, request_event_kind::stale);
    EXPECT_TRUE(a.fresh);  // after two, a new connection
}

TEST(request_contract, an_answer_with_bytes_after_it_closes_the_connection)
{
    request_fsm m = started(true);
    step_to(m, request_event_kind::connection_reused);
    step_to(m, request_event_kind::token_attached);
    step_to(m, request_event_kind::written);
    request_event answered{.kind = request_event_kind::answered};
    answered.status = 200;
    answered.reusable = false;
    const request_action a = m.resume(answered);
    EXPECT_EQ(a.step, request_step::done);
    EXPECT_EQ(a.release, release_as::close);
}

}  // namespace
}  // namespace vovrest::detail
