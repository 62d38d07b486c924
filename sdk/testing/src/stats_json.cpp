#include "stats_json.hpp"

#include <boost/json.hpp>

namespace vovrest::testing::detail {
namespace {

boost::json::object to_object(const std::map<std::string, std::uint64_t>& counts)
{
    boost::json::object object;
    for (const auto& [name, count] : counts)
        object[name] = count;
    return object;
}

}  // namespace

std::string to_json(const fake_server_stats& s)
{
    boost::json::object o;
    o["token_requests"] = s.token_requests;
    o["tokens_issued"] = s.tokens_issued;
    o["rejected_credentials"] = s.rejected_credentials;
    o["token_requests_in_flight_max"] = s.token_requests_in_flight_max;
    o["unauthorized_by_reason"] = to_object(s.unauthorized_by_reason);
    o["requests_by_route"] = to_object(s.requests_by_route);
    o["requests"] = s.requests;
    o["jobs_created"] = s.jobs_created;
    o["duplicate_submissions"] = s.duplicate_submissions;
    o["connections_accepted"] = s.connections_accepted;
    o["connections_dropped"] = s.connections_dropped;
    o["connections_open"] = s.connections_open;
    o["idle_timeouts"] = s.idle_timeouts;
    o["header_timeouts"] = s.header_timeouts;
    o["revocations"] = s.revocations;
    o["token_failures_injected"] = s.token_failures_injected;
    o["failures_injected"] = s.failures_injected;
    o["closes_announced"] = s.closes_announced;
    o["silent_closes"] = s.silent_closes;
    o["drops_before_response"] = s.drops_before_response;
    o["connections_refused_over_cap"] = s.connections_refused_over_cap;
    o["answers_lost_to_crash"] = s.answers_lost_to_crash;
    return boost::json::serialize(o);
}

}  // namespace vovrest::testing::detail
