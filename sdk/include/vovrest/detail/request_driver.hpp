// Carries out one request's state machine (request_fsm): it takes connections from the pool,
// opens them through the transport, attaches the token from the token pipeline, writes, reads,
// waits — and decides nothing. Layers are called downward only: the pool and the transport know
// nothing of tokens, and the token request itself (authorized = false) never touches the
// pipeline. Thread-safety: run() may be called from any number of operations at once.
#pragma once

#include <vovrest/detail/connection_pool.hpp>
#include <vovrest/detail/http_message.hpp>
#include <vovrest/detail/http_transport.hpp>
#include <vovrest/detail/operation_context.hpp>
#include <vovrest/detail/request_fsm.hpp>
#include <vovrest/detail/session_observer.hpp>
#include <vovrest/diagnostics.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace vovrest::detail {

class token_pipeline;

// What the driver needs of the session's configuration.
struct driver_params
{
    std::string host_header;
    std::string user_agent;
    read_limits limits;
    std::chrono::steady_clock::duration request_timeout{};
};

class request_driver
{
public:
    // `tokens` may be null until set_tokens(): only unauthorized requests can run meanwhile.
    request_driver(connection_pool& pool, http_transport& transport, session_observer& observer, driver_params params)
        : pool_(pool), transport_(transport), observer_(observer), params_(std::move(params))
    {}

    void set_tokens(token_pipeline* tokens) noexcept { tokens_ = tokens; }

    // One request and its answer, from inside an operation coroutine running on op.executor().
    // The error says how it ended (error_for_status of the final answer included); `answer` holds
    // the final answer whenever one came; `diag` the status, the server's words and the
    // client-side cause of a failure. Never throws for I/O failures. `started`: when the caller
    // asked (the completion event's elapsed time counts from it); default: now.
    boost::asio::awaitable<boost::system::error_code> run(operation_context& op, const http_request& request,
                                                          http_result& answer, diagnostics& diag,
                                                          std::chrono::steady_clock::time_point started = {});

    // A request that ends before it starts (it waited for its turn, and the caller gave up or its
    // deadline passed): reported like any other end (diagnostics, counters, the completion event),
    // with nothing sent. Returns `ec`.
    boost::system::error_code abandon(const http_request& request, boost::system::error_code ec, diagnostics& diag,
                                      std::chrono::steady_clock::duration elapsed);

private:
    struct request_state;

    // One step on the wire (connect, write or read) of the request in `state`; `event` is set to
    // the one it ends with (filled in place: no copy of it in the caller's frame).
    boost::asio::awaitable<void> exchange(operation_context& op, const http_request& request, http_result& answer,
                                          request_step step, request_state& state, request_event& event);
    // The end of a request: the caller's diagnostics, the counters and the completion event. Not
    // a coroutine: what it builds never lives in the request's frame.
    boost::system::error_code complete(const http_request& request, const request_action& action,
                                       const http_result& answer, diagnostics& diag, std::string cause,
                                       unsigned attempts, std::uint64_t bytes_sent,
                                       std::chrono::steady_clock::duration elapsed);

    connection_pool& pool_;
    http_transport& transport_;
    session_observer& observer_;
    driver_params params_;
    token_pipeline* tokens_ = nullptr;
};

}  // namespace vovrest::detail
