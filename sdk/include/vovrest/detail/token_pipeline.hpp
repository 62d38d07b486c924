// The token pipeline: one JWT shared by every request of a session, renewed by exactly one token
// request at a time (docs/architecture.md, the token rules). Asio glue around token_state_machine: it
// carries out the machine's actions (token requests with their deadline, backoff timers, waking
// waiters by posting to their executors) and publishes the token for a lock-free fast path.
// Thread-safety: every member may be called from any thread at once.
#pragma once

#include <vovrest/detail/session_observer.hpp>
#include <vovrest/detail/token_source.hpp>
#include <vovrest/detail/token_state_machine.hpp>
#include <vovrest/diagnostics.hpp>
#include <vovrest/token_params.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace vovrest::detail {

// What a request carries: the header value to send, and which token generation it is (for 401s).
struct token_ticket
{
    std::uint64_t generation = 0;
    std::string authorization;  // "<token_type>:<access_token>" (colon, no space)
};

using token_acquire_handler =
    boost::asio::any_completion_handler<void(boost::system::error_code, token_ticket)>;

// Clocks and jitter, injectable for tests. The steady clock is read on the fast path: a plain
// function pointer, no std::function.
struct token_pipeline_hooks
{
    steady_time (*steady_now)() noexcept = &default_steady_now;
    wall_time (*wall_now)() noexcept = &default_wall_now;
    jitter_source jitter;  // empty: random

    static steady_time default_steady_now() noexcept { return std::chrono::steady_clock::now(); }
    static wall_time default_wall_now() noexcept { return std::chrono::system_clock::now(); }
};

class token_pipeline
{
public:
    // `ex`: where the pipeline's own work runs (token requests, timers; a strand of it is used).
    // `observer` must outlive the pipeline; `source` is owned.
    token_pipeline(boost::asio::any_io_executor ex, const token_params& params,
                   std::unique_ptr<token_source> source, session_observer& observer);
    token_pipeline(boost::asio::any_io_executor ex, const token_params& params,
                   std::unique_ptr<token_source> source, session_observer& observer,
                   token_pipeline_hooks hooks);
    token_pipeline(const token_pipeline&) = delete;
    token_pipeline& operator=(const token_pipeline&) = delete;
    ~token_pipeline();  // shutdown()

    // Fast path. A usable token (not in its hard window): its header value is copied into
    // ticket.authorization (reusing its capacity), ticket.generation set, true returned; in the
    // soft window one background renewal is also started. No mutex, no strand, no allocation
    // once the ticket's string has the capacity (tokens up to 8 KiB; longer ones take a mutex).
    // False: no usable token, call async_acquire.
    bool try_acquire(token_ticket& ticket) noexcept;
    // A hint that copies nothing and reads no clock: whether a token is installed (it may be in
    // its hard window, where try_acquire refuses it).
    bool has_token() const noexcept;

    // Slow path. Completes with (error_code, token_ticket) once a usable token exists, or with the
    // renewal's error (authentication_failed, timeout, connection_failed, server_error,
    // rate_limited, bad_response, session_closed ...); last_failure() then holds the server's
    // text. Starts a renewal when none runs and no usable token exists. Completion is always
    // posted to the handler's associated executor, never run inline.
    // Cancellation: terminal, partial and total; a cancelled caller completes with
    // operation_aborted, and the renewal goes on for every other caller.
    template <class CompletionToken>
    auto async_acquire(CompletionToken&& token)
    {
        return async_authorize(false, std::forward<CompletionToken>(token));
    }

    // Like async_acquire; `force` renews even when a usable token exists (authorize()). A
    // refused login remembered for token_params::failure_memory fails at once, even when forced.
    template <class CompletionToken>
    auto async_authorize(bool force, CompletionToken&& token)
    {
        return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code, token_ticket)>(
            [](auto handler, token_pipeline* self, bool forced) {
                self->start_acquire(forced, token_acquire_handler(std::move(handler)));
            },
            token, this, force);
    }

    // A request sent with `generation` got a 401. Still current: invalidate it and renew (single
    // flight). Older: nothing (a newer token exists). The caller then acquires again and replays.
    void on_unauthorized(std::uint64_t generation);

    // setJWT: installs a token handed in by the caller as a new generation (expiry from its
    // payload when decodable) and releases every waiter with it. An empty access_token is ignored.
    void set_token(std::string_view token_type, std::string_view access_token);
    // getJWT: the current header value "<token_type>:<access_token>", nullopt when none.
    std::optional<std::string> current_authorization() const;

    // The diagnostics of the last failed token request (the server's text; never the token).
    diagnostics last_failure() const;

    // Fails every waiter with session_closed, cancels the timers and the token request in flight.
    // Every later acquire fails with session_closed.
    void shutdown();

    class impl;

private:
    void start_acquire(bool force, token_acquire_handler handler);

    std::shared_ptr<impl> impl_;
};

}  // namespace vovrest::detail
