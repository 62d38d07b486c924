// vovrest::testing::fake_server — an in-process imitation of the Altair Accelerator REST API v3
// (token endpoint, project, jobs, query) on a real socket, HTTP or HTTPS, with fault knobs and
// counters, for the SDK's own tests and for users' tests. Thread-safety: all members may be
// called from any thread; start() and stop() must not race each other.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vovrest::testing {

// Security levels, as in Accelerator: READONLY < USER < LEADER < ADMIN.
enum class security_level { readonly, user, leader, admin };

struct fake_user
{
    std::string name;
    std::string password;
    security_level level = security_level::user;
};

struct fake_tls_params
{
    bool enabled = false;              // serve HTTPS instead of HTTP
    std::string cert_file;             // PEM certificate; empty: generate a self-signed one
    std::string key_file;              // PEM private key for cert_file
    std::string write_cert_file;       // write the (generated or given) certificate here
};

// Faults, all off by default. Each one that fires is counted in fake_server_stats.
struct fake_faults
{
    std::chrono::milliseconds latency{0};          // added before every response
    std::chrono::milliseconds token_latency{0};    // added before token responses only
    std::chrono::milliseconds answer_delay{0};     // added after a request is carried out, before
                                                   // its answer: a crash() in between loses the
                                                   // answer of work done
    std::uint64_t fail_first_token_requests = 0;   // the first N token requests get 503
    double fail_fraction = 0.0;                    // share of API requests answered 503 + Retry-After
    std::chrono::seconds retry_after{1};           // value of that Retry-After header
    double close_fraction = 0.0;                   // share of responses with Connection: close
    double silent_close_fraction = 0.0;            // share of connections closed right after a
                                                   // response, without saying so (stale keep-alive)
    double drop_before_response_fraction = 0.0;    // share of requests processed, then the
                                                   // connection closed before the response
    std::chrono::milliseconds revoke_every{0};     // revoke every token every T (0: never)
    std::uint32_t max_connections = 0;             // cap on concurrent connections (0: none);
                                                   // connections over the cap are closed at once
    bool never_respond = false;                    // accept and read, never answer (timeouts)
};

struct fake_server_params
{
    std::string listen_host = "127.0.0.1";
    std::uint16_t port = 0;                                   // 0: pick a free port
    std::vector<fake_user> users;                             // empty: one user "demo"/"demo"
    std::chrono::seconds token_lifetime{3600};                // 1 s at least
    bool include_expires_in = false;                          // add expires_in to token responses
    std::string project_name = "vovrest";                     // GET /api/v3/project/1/project
    std::string version = "2024.1.0";                         // GET /api/v3/project/1/version
    std::size_t max_body_bytes = 1 << 20;                     // larger request bodies: 413
    std::chrono::milliseconds job_schedule_delay{50};         // SCHEDULED -> RUNNING
    std::chrono::milliseconds job_run_time{200};              // RUNNING -> VALID / FAILED
    std::optional<std::chrono::milliseconds> forget_after;    // finished jobs forgotten after this
    unsigned threads = 1;                                     // threads running the server
    fake_tls_params tls;
    fake_faults faults;
    std::uint64_t seed = 1;                                   // for the fault fractions
    std::size_t max_query_rows = 0;                           // rows per query answer at most,
                                                              // whatever its limit (0: no cap)
    // Keeps the jobs in this file (a journal, appended and flushed before each change is
    // answered) and starts from it: a server restarted with the same file, in this process or
    // another, has the same jobs, ids and jobs_created / duplicate_submissions counts. Empty:
    // memory only.
    std::string state_file;
};

struct fake_server_stats
{
    std::uint64_t token_requests = 0;        // POSTs to /api/v3/token
    std::uint64_t tokens_issued = 0;
    std::uint64_t rejected_credentials = 0;
    std::uint64_t token_requests_in_flight_max = 0;
    std::map<std::string, std::uint64_t> unauthorized_by_reason;  // missing, malformed, signature,
                                                                  // expired, revoked
    std::map<std::string, std::uint64_t> requests_by_route;       // e.g. "POST /api/v3/jobs"
    std::uint64_t requests = 0;
    std::uint64_t jobs_created = 0;
    std::uint64_t duplicate_submissions = 0;  // jobs created with the command and jobname of a job
                                              // created before (a resubmission of a job that was
                                              // never created is not one)
    std::uint64_t connections_accepted = 0;
    std::uint64_t connections_dropped = 0;    // closed by a fault knob or the connection cap
    std::uint64_t revocations = 0;
    // Faults that fired.
    std::uint64_t token_failures_injected = 0;
    std::uint64_t failures_injected = 0;
    std::uint64_t closes_announced = 0;
    std::uint64_t silent_closes = 0;
    std::uint64_t drops_before_response = 0;
    std::uint64_t connections_refused_over_cap = 0;
    std::uint64_t answers_lost_to_crash = 0;  // requests carried out whose answer crash() lost
};

class fake_server
{
public:
    explicit fake_server(fake_server_params params = {});
    ~fake_server();  // stops the server and joins its threads
    fake_server(const fake_server&) = delete;
    fake_server& operator=(const fake_server&) = delete;

    // Binds, listens and runs the server threads; throws on failure. After stop() or crash() it
    // listens on the same port again (the jobs were kept): a restart.
    void start();
    void stop();   // closes every connection and joins the threads; idempotent
    // Stops as a crashed server does: every connection is reset, every request in flight is
    // lost, also one already carried out (its job exists, its answer never comes). The jobs are
    // kept for start(). Idempotent; a no-op when not running.
    void crash();

    std::string url() const;                    // e.g. "http://127.0.0.1:41234"
    std::uint16_t port() const;
    std::string certificate_pem() const;        // the served certificate (HTTPS only)

    fake_server_stats stats() const;
    void revoke_all_tokens();                   // every token issued so far becomes invalid
    void set_faults(const fake_faults& faults); // change the fault knobs while running

    // A token for `user` as the server would issue it now (for tests of expiry and signatures).
    std::string issue_token_for(const std::string& user, std::chrono::seconds lifetime);
    std::size_t job_count() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace vovrest::testing
