// The token pipeline's policy as a sans-I/O state machine (docs/architecture.md, the token rules): inputs
// are the time and events (a caller needs a token, a fetch completed, a 401, a timer elapsed),
// outputs are actions that token_pipeline carries out. No Asio, no threads, no clock of its own.
// Thread-safety: none; token_pipeline calls it under its mutex.
#pragma once

#include <vovrest/detail/token_source.hpp>
#include <vovrest/diagnostics.hpp>
#include <vovrest/token_params.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace vovrest::detail {

using steady_time = std::chrono::steady_clock::time_point;
using wall_time = std::chrono::system_clock::time_point;

// Uniform in [0, 1). Called only from inside the machine (under the pipeline's mutex).
using jitter_source = std::function<double()>;

// A jitter source backed by a std::mt19937_64 seeded from std::random_device.
jitter_source make_random_jitter();

// Why a renewal (a run of up to max_attempts token requests) began.
enum class renewal_reason
{
    none,
    forced,     // no usable token: first use, a token in its hard window, after a hold
    proactive,  // soft window: nobody waits
    on_401,     // the current token was refused
};

enum class waiters_outcome
{
    none,     // waiters keep waiting
    release,  // a token was installed: give it to every waiter
    fail,     // the renewal ended in failure: every waiter gets ec + diag
};

// What one token request ended with, for counters and events.
enum class fetch_outcome
{
    none,
    succeeded,
    retry,   // failed; another attempt is scheduled (backoff)
    failed,  // failed; the renewal is over
};

// Everything a step asks the glue to do. Several may be set at once; the glue performs them in
// this order: publish, counters/events, waiters, then I/O (fetch, backoff, cancel).
struct token_actions
{
    renewal_reason started = renewal_reason::none;               // a renewal began (count it)
    bool fetch = false;                                          // start one token request now
    std::optional<std::chrono::steady_clock::duration> backoff;  // wait, then backoff_elapsed()
    bool cancel_io = false;                                      // shutdown: cancel timers and the fetch
    bool publish = false;                                        // the current token changed
    bool unauthorized_renewal = false;                           // a 401 invalidated the current token
    std::uint64_t unauthorized_generation = 0;
    waiters_outcome waiters = waiters_outcome::none;
    fetch_outcome fetched = fetch_outcome::none;
    // The deadline of the token request started by `fetch`: renewal_timeout, and no later than
    // the renewal's own deadline.
    std::chrono::steady_clock::duration fetch_timeout{};
    boost::system::error_code ec;  // waiters == fail, or fetched == retry/failed
    diagnostics diag;              // the server's text for ec; never the token
};

enum class acquire_status
{
    ready,   // a usable token exists: use token()
    wait,    // a renewal is in flight (maybe just started): wait for waiters_outcome
    failed,  // fail at once: ec/diag (remembered authentication failure, or closed)
};

struct acquire_decision
{
    acquire_status status = acquire_status::wait;
    boost::system::error_code ec;
    diagnostics diag;
};

// The token in use and its timing, all on the steady clock from the moment it arrived.
struct installed_token
{
    std::uint64_t generation = 0;
    std::string authorization;  // "<token_type>:<access_token>"
    steady_time received{};
    std::optional<steady_time> expires;        // nullopt: expiry unknown
    steady_time soft_at = steady_time::max();  // from here: one background renewal
    steady_time hard_at = steady_time::max();  // from here: not used, callers wait
    bool accepted = false;                     // the server answered a request sent with it (anything but 401)
};

// Timing of a token received at `now` (steady) / `wall` (system clock), per docs/architecture.md, token rules 2-3.
// `jitter` in [0, 1) moves the soft window's start earlier by jitter * jitter_fraction of it.
struct token_timing
{
    std::optional<steady_time> expires;
    steady_time soft_at = steady_time::max();
    steady_time hard_at = steady_time::max();
};
token_timing compute_token_timing(const token_params& params, std::string_view access_token,
                                  std::optional<std::chrono::seconds> expires_in, steady_time now, wall_time wall,
                                  double jitter);

// How a token-request failure is handled.
enum class failure_kind
{
    authentication,  // refused credentials: fail waiters, remember for failure_memory
    transient,       // network, timeout, 5xx, 429, bad response: back off and retry
    fatal,           // anything else (TLS, no password, invalid URL ...): fail waiters now
};
failure_kind classify_failure(const boost::system::error_code& ec) noexcept;

class token_state_machine
{
public:
    token_state_machine(const token_params& params, jitter_source jitter);

    // A caller needs a token (async_acquire).
    acquire_decision acquire(steady_time now, token_actions& out);
    // The fast path saw the soft window (or a cooldown ended): maybe start a proactive renewal.
    void soft_kick(steady_time now, token_actions& out);
    // A request sent with `generation` got a 401; `server_text` is what the server said. A token
    // refused before the server ever accepted it, twice in a row, is not renewed again for a
    // backed-off while (hold_initial, doubling up to hold_max): callers fail with unauthorized
    // and that text meanwhile, and no token request is sent.
    void unauthorized(steady_time now, std::uint64_t generation, std::string_view server_text, token_actions& out);
    void unauthorized(steady_time now, std::uint64_t generation, token_actions& out)
    {
        unauthorized(now, generation, {}, out);
    }
    // The server answered a request sent with `generation` with anything but a 401.
    void accepted(std::uint64_t generation) noexcept;
    // The token request started by a `fetch` action completed (a timeout arrives as error::timeout).
    void fetch_completed(steady_time now, wall_time wall, const token_fetch_result& result, token_actions& out);
    // The wait asked for by a `backoff` action elapsed.
    void backoff_elapsed(steady_time now, token_actions& out);
    // setJWT: install a token handed in by the caller. An empty access token is ignored.
    void set_token(steady_time now, wall_time wall, std::string_view token_type, std::string_view access_token,
                   token_actions& out);
    // Fails every waiter with session_closed; every later input is ignored or fails.
    void shutdown(token_actions& out);

    // The installed token, or nullptr (none yet, invalidated by a 401, closed).
    const installed_token* token() const noexcept { return token_ ? &*token_ : nullptr; }
    bool usable(steady_time now) const noexcept { return token_ && now < token_->hard_at; }
    // When the fast path should call soft_kick(): the soft window's start, pushed back by a
    // cooldown or a remembered failure; max while a renewal runs or when there is no token.
    steady_time kick_time() const noexcept;
    bool renewing() const noexcept { return phase_ != phase::idle; }
    bool backing_off() const noexcept { return phase_ == phase::backing_off; }
    unsigned attempts() const noexcept { return attempts_; }
    bool closed() const noexcept { return closed_; }
    std::uint64_t last_generation() const noexcept { return generation_; }

private:
    enum class phase
    {
        idle,
        fetching,
        backing_off,
    };

    bool failure_remembered(steady_time now) const noexcept;
    bool held(steady_time now) const noexcept { return hold_until_ && now < *hold_until_; }
    void start_renewal(steady_time now, renewal_reason reason, token_actions& out);
    void fetch_now(steady_time now, token_actions& out);
    void install(steady_time now, wall_time wall, std::string_view token_type, std::string_view access_token,
                 std::optional<std::chrono::seconds> expires_in, token_actions& out);
    std::chrono::steady_clock::duration next_backoff(unsigned failures,
                                                     std::optional<std::chrono::steady_clock::duration> retry_after);

    token_params params_;
    jitter_source jitter_;
    std::optional<installed_token> token_;
    std::uint64_t generation_ = 0;
    phase phase_ = phase::idle;
    unsigned attempts_ = 0;  // token requests started in the current renewal
    // A refused login, remembered until failure_until_.
    std::optional<steady_time> failure_until_;
    boost::system::error_code failure_ec_;
    diagnostics failure_diag_;
    // After a renewal gave up, no proactive renewal before this.
    steady_time cooldown_until_{};
    steady_time renewal_started_{};  // the renewal's deadline runs from here
    // Tokens refused by 401 before the server accepted them, in a row; from the second on, no
    // renewal on 401 until hold_until_, and callers fail with hold_diag_.
    unsigned refused_unaccepted_ = 0;
    std::optional<steady_time> hold_until_;
    diagnostics hold_diag_;
    bool closed_ = false;
};

}  // namespace vovrest::detail
