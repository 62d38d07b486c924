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

using token_acquire_signature = void(boost::system::error_code, token_ticket, diagnostics);
using token_acquire_handler = boost::asio::any_completion_handler<token_acquire_signature>;

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
    token_pipeline(boost::asio::any_io_executor ex, const token_params& params, std::unique_ptr<token_source> source,
                   session_observer& observer);
    token_pipeline(boost::asio::any_io_executor ex, const token_params& params, std::unique_ptr<token_source> source,
                   session_observer& observer, token_pipeline_hooks hooks);
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
    // Whether try_acquire would give a token now (reads the clock, copies nothing).
    bool usable_now() const noexcept;

    // Slow path. Completes with (error_code, token_ticket, diagnostics) once a usable token exists,
    // or with the renewal's error and its diagnostics (authentication_failed, unauthorized during
    // a hold, timeout, connection_failed, server_error, rate_limited, bad_response,
    // session_closed ...). Starts a renewal when none runs and no usable token exists.
    // `resume_on` must be the executor the handler belongs on: the completion is posted there,
    // never run inline, and it keeps that executor's context from running out of work meanwhile.
    // Cancellation: terminal, partial and total; a cancelled caller completes with
    // operation_aborted, and the renewal goes on for every other caller.
    template <class CompletionToken>
    auto async_acquire(const boost::asio::any_io_executor& resume_on, CompletionToken&& token)
    {
        return boost::asio::async_initiate<CompletionToken, token_acquire_signature>(
            [](auto handler, token_pipeline* self, const boost::asio::any_io_executor& ex) {
                self->start_acquire(ex, token_acquire_handler(std::move(handler)));
            },
            token, this, resume_on);
    }

    // A request sent with `generation` got a 401 (`server_text`: the server's words). Still
    // current: invalidate it and renew (single flight), unless tokens keep being refused (see
    // token_params::hold_initial). Older: nothing (a newer token exists). The caller then
    // acquires again and replays.
    void on_unauthorized(std::uint64_t generation, std::string_view server_text);
    // A request sent with `generation` got an answer other than 401. Cheap after the first call
    // for a generation (one relaxed load).
    void accepted(std::uint64_t generation) noexcept;

    // setJWT: installs a token handed in by the caller as a new generation (expiry from its
    // payload when decodable) and releases every waiter with it. Throws error_with_diagnostics
    // (invalid_argument) when the type or the token holds a control character or is empty.
    void set_token(std::string_view token_type, std::string_view access_token);
    // getJWT: the current header value "<token_type>:<access_token>", nullopt when none.
    std::optional<std::string> current_authorization() const;

    // Fails every waiter with session_closed, cancels the timers and the token request in flight.
    // Every later acquire fails with session_closed.
    void shutdown();

    class impl;

private:
    void start_acquire(const boost::asio::any_io_executor& resume_on, token_acquire_handler handler);

    std::shared_ptr<impl> impl_;
};

}  // namespace vovrest::detail
