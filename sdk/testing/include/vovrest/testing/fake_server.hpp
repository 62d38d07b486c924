/// @file
/// vovrest::testing::fake_server — an in-process imitation of the Altair Accelerator REST API v3
/// (token endpoint, project, jobs, query) on a real socket, HTTP or HTTPS, with fault knobs and
/// counters, for the SDK's own tests and for users' tests. Thread-safety: all members may be
/// called from any thread; start() and stop() must not race each other.
#pragma once

#include <chrono>
#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

/// The fake Accelerator, for tests: vovrest::testing::fake_server and its parameters.
namespace vovrest::testing {

/// Security levels, as in Accelerator: READONLY < USER < LEADER < ADMIN.
enum class security_level
{
    readonly,  ///< may read, may not submit or act on jobs
    user,      ///< may submit jobs and act on its own
    leader,    ///< may also act on other users' jobs
    admin      ///< as leader in the fake server
};

/// An account the fake server accepts at its token endpoint.
struct fake_user
{
    std::string name;                             ///< the username
    std::string password;                         ///< the password
    security_level level = security_level::user;  ///< what the account may do
};

/// HTTPS for the fake server. Thread-safety: a plain value.
struct fake_tls_params
{
    bool enabled = false;         ///< serve HTTPS instead of HTTP
    std::string cert_file;        ///< PEM certificate; empty: generate a self-signed one
    std::string key_file;         ///< PEM private key for cert_file
    std::string write_cert_file;  ///< write the (generated or given) certificate here
};

/// Faults, all off by default. Each one that fires is counted in fake_server_stats. The
/// fractions are drawn from a generator seeded with fake_server_params::seed.
/// Thread-safety: a plain value; fake_server::set_faults() replaces them while running.
struct fake_faults
{
    std::chrono::milliseconds latency{0};        ///< added before every response
    std::chrono::milliseconds token_latency{0};  ///< added before token responses only
    /// Added after a request is carried out, before its answer: a crash() in between loses the
    /// answer of work done.
    std::chrono::milliseconds answer_delay{0};
    std::uint64_t fail_first_token_requests = 0;  ///< the first N token requests get 503
    double fail_fraction = 0.0;                   ///< share of API requests answered 503 + Retry-After
    std::chrono::seconds retry_after{1};          ///< value of that Retry-After header
    double close_fraction = 0.0;                  ///< share of responses with Connection: close
    /// Share of connections closed right after a response, without saying so (stale keep-alive).
    double silent_close_fraction = 0.0;
    /// Share of requests processed, then the connection closed before the response (a lost
    /// answer: the client cannot know the outcome).
    double drop_before_response_fraction = 0.0;
    std::chrono::milliseconds revoke_every{0};  ///< revoke every token every T (0: never)
    /// A lower cap on concurrent connections than fake_server_params::connection_limit, that can
    /// be changed while running (0: none); connections over the cap are closed at once.
    std::uint32_t max_connections = 0;
    bool never_respond = false;  ///< accept and read, never answer (timeouts)
};

/// Everything a fake_server is configured with, each default next to its field.
/// Thread-safety: a plain value, copied into the server.
struct fake_server_params
{
    std::string listen_host = "127.0.0.1";                  ///< address (or name) to listen on
    std::uint16_t port = 0;                                 ///< 0: pick a free port (see fake_server::port())
    std::vector<fake_user> users;                           ///< empty: one user "demo"/"demo"
    std::chrono::seconds token_lifetime{3600};              ///< lifetime of the JWTs issued; 1 s at least
    bool include_expires_in = false;                        ///< add expires_in to token responses
    std::string project_name = "vovrest";                   ///< GET /api/v3/project/1/project
    std::string version = "2024.1.0";                       ///< GET /api/v3/project/1/version
    std::size_t max_body_bytes = 1 << 20;                   ///< larger request bodies: 413
    std::chrono::milliseconds job_schedule_delay{50};       ///< SCHEDULED -> RUNNING
    std::chrono::milliseconds job_run_time{200};            ///< RUNNING -> VALID / FAILED
    std::optional<std::chrono::milliseconds> forget_after;  ///< finished jobs forgotten after this (none: never)
    unsigned threads = 1;                                   ///< threads running the server
    /// A kept-alive connection that sends no request for this long is closed without an answer
    /// (0: never); counted in fake_server_stats::idle_timeouts.
    std::chrono::milliseconds idle_timeout{60'000};
    /// A request head not whole this long after its first byte (or, for the first request,
    /// after accept and the TLS handshake) closes the connection (0: never).
    std::chrono::milliseconds header_timeout{10'000};
    /// Concurrent connections (0: no limit); those over it are closed at once (and counted).
    std::uint32_t connection_limit = 1024;
    fake_tls_params tls;     ///< HTTPS, off by default
    fake_faults faults;      ///< faults at start, all off by default
    std::uint64_t seed = 1;  ///< for the fault fractions
    /// Rows per query answer at most, whatever its limit (0: no cap).
    std::size_t max_query_rows = 0;
    /// Keeps the jobs in this file (a journal, appended and flushed before each change is
    /// answered) and starts from it: a server restarted with the same file, in this process or
    /// another, has the same jobs, ids and jobs_created / duplicate_submissions counts. Empty:
    /// memory only.
    std::string state_file;
};

/// The fake server's counters since it was built (fake_server::stats(), or GET /__fake/stats).
/// Thread-safety: a plain value.
struct fake_server_stats
{
    std::uint64_t token_requests = 0;                ///< POSTs to /api/v3/token
    std::uint64_t tokens_issued = 0;                 ///< token requests answered with a token
    std::uint64_t rejected_credentials = 0;          ///< token requests refused for their username or password
    std::uint64_t token_requests_in_flight_max = 0;  ///< the most token requests being answered at once
    /// 401s by reason: missing, malformed, signature, expired, revoked.
    std::map<std::string, std::uint64_t> unauthorized_by_reason;
    std::map<std::string, std::uint64_t> requests_by_route;  ///< e.g. "POST /api/v3/jobs"
    std::uint64_t requests = 0;                              ///< requests read, every route
    std::uint64_t jobs_created = 0;                          ///< jobs submitted successfully
    /// Jobs created with the command and jobname of a job created before (a resubmission of a
    /// job that was never created is not one).
    std::uint64_t duplicate_submissions = 0;
    std::uint64_t connections_accepted = 0;  ///< connections accepted
    std::uint64_t connections_dropped = 0;   ///< closed by a fault knob or the connection cap
    std::uint64_t connections_open = 0;      ///< open now (accepted, not yet closed)
    std::uint64_t idle_timeouts = 0;         ///< connections closed by idle_timeout
    std::uint64_t header_timeouts = 0;       ///< connections closed by header_timeout
    std::uint64_t revocations = 0;           ///< times every token was revoked
    // Faults that fired.
    std::uint64_t token_failures_injected = 0;       ///< token requests answered 503 (fail_first_token_requests)
    std::uint64_t failures_injected = 0;             ///< API requests answered 503 (fail_fraction)
    std::uint64_t closes_announced = 0;              ///< responses with Connection: close (close_fraction)
    std::uint64_t silent_closes = 0;                 ///< connections closed silently (silent_close_fraction)
    std::uint64_t drops_before_response = 0;         ///< answers dropped (drop_before_response_fraction)
    std::uint64_t connections_refused_over_cap = 0;  ///< over connection_limit or max_connections
    std::uint64_t answers_lost_to_crash = 0;         ///< requests carried out whose answer crash() lost
};

/// The fake Accelerator on a real socket: build it, start() it, point a session at url().
/// Behaviour where the real API is unknown is written at the top of
/// sdk/testing/src/accelerator_service.cpp; GET /__fake/stats and POST /__fake/revoke are its own.
/// Thread-safety: all members may be called from any thread; start() and stop() must not race
/// each other. Lifetime: the destructor stops the server; clients still connected see their
/// connections closed.
class fake_server
{
public:
    /// Configures the server; nothing listens until start().
    explicit fake_server(fake_server_params params = {});
    /// Stops the server (stop()) and joins its threads.
    ~fake_server();
    fake_server(const fake_server&) = delete;             ///< not copyable: it owns a socket and threads
    fake_server& operator=(const fake_server&) = delete;  ///< not copyable

    /// Binds, listens and runs the server threads; returns once url() is valid. After stop() or
    /// crash() it listens on the same port again (the jobs were kept): a restart.
    /// @throws std::logic_error when already started; boost::system::system_error when the
    ///         address cannot be bound; std::runtime_error when listen_host cannot be resolved or
    ///         a certificate or key file cannot be read or written.
    void start();
    /// Closes every connection and joins the threads; idempotent.
    void stop();
    /// Stops as a crashed server does: every connection is reset, every request in flight is
    /// lost, also one already carried out (its job exists, its answer never comes). The jobs are
    /// kept for start(). Idempotent; a no-op when not running.
    void crash();

    /// "http://127.0.0.1:41234" (https:// with TLS); empty before start().
    std::string url() const;
    /// The port bound (the one picked when params.port was 0); 0 before start().
    std::uint16_t port() const;
    /// The served certificate as PEM, for clients to trust (HTTPS only; empty otherwise).
    std::string certificate_pem() const;

    /// A snapshot of every counter.
    fake_server_stats stats() const;
    /// Blocks the calling thread until `done(stats())` holds, woken by each change of a counter
    /// or of the jobs and by stop() and crash() (no polling); false when `timeout` passes first. For tests that wait for
    /// the server to reach a count. `done` may call the server's other members.
    bool wait_until(const std::function<bool(const fake_server_stats&)>& done, std::chrono::milliseconds timeout) const;
    /// Every token issued so far becomes invalid (401 "revoked").
    void revoke_all_tokens();
    /// Changes the fault knobs, also while running.
    void set_faults(const fake_faults& faults);

    /// A token for `user` as the server would issue it now, valid for `lifetime` (0 or negative:
    /// already expired); not counted in stats(). For tests of expiry and signatures.
    std::string issue_token_for(const std::string& user, std::chrono::seconds lifetime);
    /// The jobs the server knows now (forgotten ones excluded).
    std::size_t job_count() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace vovrest::testing
