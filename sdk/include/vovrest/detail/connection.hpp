// One keep-alive connection to the Accelerator: it writes a request, reads that request's one
// answer, and is watched while it sits idle in the pool. The TCP and TLS connections live in
// http_transport.cpp, the only translation unit that includes Beast and OpenSSL.
// Thread-safety: write/read/quiet/close are called by the one operation that holds the
// connection; the idle watch's handler may run on any thread and only touches atomics and the pool.
#pragma once

#include <vovrest/detail/http_message.hpp>
#include <vovrest/detail/operation_context.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace vovrest::detail {

// How a write ended.
struct write_outcome
{
    boost::system::error_code ec;  // connection_failed, timeout, operation_aborted
    bool bytes_sent = false;       // some bytes of the request left (the server may have it)
    std::string cause;             // the system's reason, when ec is set
};

// How the reading of one answer ended.
struct read_outcome
{
    boost::system::error_code ec;  // connection_failed, bad_response, timeout, operation_aborted
    bool answer_started = false;   // some bytes of an answer arrived before the failure
    // The connection may carry the next request: keep-alive, and no byte after the answer.
    bool reusable = false;
    // The server's Keep-Alive: timeout=N, when it sent one.
    std::optional<std::chrono::seconds> keep_alive_timeout;
    std::string cause;  // what was wrong, when ec is set
};

// Size limits applied while reading an answer.
struct read_limits
{
    std::size_t max_header_bytes = 64 * 1024;
    std::size_t max_body_bytes = 64 * 1024 * 1024;
};

class connection : public std::enable_shared_from_this<connection>
{
public:
    virtual ~connection() = default;

    // Sends the request head and body (gathered: the body is never copied) under the operation's
    // current deadline and cancellation.
    virtual boost::asio::awaitable<write_outcome> write(operation_context& op, std::string_view head,
                                                        std::string_view body) = 0;

    // Reads the one answer to the request written: interim 1xx answers are skipped, the limits
    // hold, a HEAD answer has no body. Nothing read after the answer is ever taken as the next
    // request's: bytes left over make the connection not reusable.
    virtual boost::asio::awaitable<read_outcome> read(operation_context& op, const read_limits& limits,
                                                      bool head_request, http_result& out) = 0;

    // True when nothing has arrived since the last answer was read: no FIN, no reset, no stray
    // byte (a TLS record counts as one). A non-blocking peek that consumes nothing; checked just
    // before a request is written on a kept-alive connection.
    virtual bool quiet() noexcept = 0;

    virtual void close() noexcept = 0;

    // Runs `fn` later on the connection's io_context, never inside this call; false when there is
    // no io_context to run it (`fn` is then dropped). The pool arms idle watches this way.
    virtual bool post_soon(std::function<void()> fn) = 0;

    // ---- The idle watch (used by connection_pool) ----

    // Whom to tell when a watched connection sees activity; set once, before the first watch().
    // Called from any thread.
    void on_activity(std::function<void(connection&)> handler) { on_activity_ = std::move(handler); }
    bool has_activity_handler() const noexcept { return static_cast<bool>(on_activity_); }
    // While the connection is idle: the activity handler is called once, as soon as the peer sends
    // anything or closes. It waits for readability only and consumes nothing.
    void watch();
    // Ends the watch before the connection is used again: false when it has already seen activity
    // (the connection must then be dropped, never written to).
    bool claim() noexcept;

    std::chrono::steady_clock::time_point idle_since{};
    // Not reused from then on: the server said how long it keeps an idle connection.
    std::optional<std::chrono::steady_clock::time_point> retire_at;
    bool reused = false;  // served at least one request before the current one
    // Turns of the event loop before its watch is armed while it stays idle; 0: none due (the
    // pool's, under its lock).
    std::uint8_t watch_due = 0;
    std::string head;  // the request head, rewritten for each request in the same memory

protected:
    // Starts a wait for readability that ends with watch_ended(watch_id, ec), on any thread; the
    // wait keeps the connection alive (shared_from_this).
    virtual void wait_readable(std::uint64_t watch_id) = 0;

public:
    // The end of the wait started by wait_readable().
    void watch_ended(std::uint64_t watch_id, boost::system::error_code ec) noexcept;

private:
    // Low two bits: the watch's state; the rest: which watch it is (a late completion of an
    // earlier one is ignored).
    static constexpr std::uint64_t watching = 1;
    static constexpr std::uint64_t fired = 2;
    static constexpr std::uint64_t state_mask = 3;
    std::atomic<std::uint64_t> watch_{0};
    std::function<void(connection&)> on_activity_;
};

}  // namespace vovrest::detail
