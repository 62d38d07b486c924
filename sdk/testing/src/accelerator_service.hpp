// The fake Accelerator's behaviour without any I/O: one HTTP request in, one reply out. The
// network shell (fake_server.cpp) adds sockets, TLS, latency and the connection-level faults.
// Thread-safety: handle() and the other members may be called from any thread at once.
#pragma once

#include <vovrest/testing/fake_server.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vovrest::testing::detail {

struct service_request
{
    std::string_view method;         // "GET", "POST", ...
    std::string_view target;         // "/api/v3/jobs/12?x=y" (path and query, still encoded)
    std::string_view authorization;  // the Authorization header, empty when absent
    std::string_view content_type;   // the Content-Type header, empty when absent
    std::string_view body;
};

struct service_reply
{
    unsigned status = 200;
    std::string_view content_type = "application/json";  // a string literal: no allocation per reply
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Retry-After)
};

// Wall clock (for JWT iat/exp) and steady clock (for job schedules), injectable for unit tests.
struct service_clock
{
    std::function<std::chrono::system_clock::time_point()> wall = [] { return std::chrono::system_clock::now(); };
    std::function<std::chrono::steady_clock::time_point()> steady = [] { return std::chrono::steady_clock::now(); };
};

class accelerator_service
{
public:
    explicit accelerator_service(const fake_server_params& params, service_clock clock = {});
    ~accelerator_service();

    service_reply handle(const service_request& request);

    void revoke_all_tokens();
    // Request-level faults: fail_first_token_requests, fail_fraction and retry_after (503s).
    // The connection-level knobs are the shell's.
    void set_faults(const fake_faults& faults);
    std::string issue_token_for(const std::string& user, std::chrono::seconds lifetime);
    std::size_t job_count() const;

    // Counters owned by the service (token, 401, routes, jobs); the shell fills in the rest.
    void add_stats_to(fake_server_stats& stats) const;

    // The shell reports the token requests it is holding (latency knob) so that
    // token_requests_in_flight_max counts requests that are really in flight.
    void token_request_started();
    void token_request_finished();

private:
    struct state;
    std::unique_ptr<state> state_;
};

}  // namespace vovrest::testing::detail
