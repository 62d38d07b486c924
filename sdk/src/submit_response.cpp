// The answer to POST /api/v3/jobs is not documented ([U] in the reference): every shape it lists
// is accepted, and the Location header is the last resort. Takes untrusted bytes.
#include <vovrest/error.hpp>
#include <vovrest/jobs.hpp>

#include <boost/json/parse.hpp>

#include <cstdint>

namespace vovrest::jobs {
namespace {

namespace json = boost::json;

std::optional<job_id> id_of(const json::value& v) noexcept
{
    if (v.is_int64() && v.get_int64() >= 0)
        return job_id(v.get_int64());
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        return job_id(static_cast<std::int64_t>(v.get_uint64()));
    if (v.is_string())
        return job_id::parse(v.get_string());
    return std::nullopt;
}

// The id, or the reason there is none.
std::optional<job_id> id_in_body(std::string_view body, std::string& why)
{
    boost::system::error_code ec;
    json::value doc = json::parse(body, ec);
    if (ec)
    {
        why = "the submit answer is not JSON";
        return std::nullopt;
    }
    if (!doc.is_object())
    {
        // A bare id is not among the documented shapes but costs nothing to accept.
        if (auto id = id_of(doc))
            return id;
        why = "the submit answer is neither an object nor an id";
        return std::nullopt;
    }
    const json::object& object = doc.get_object();
    for (const char* name : {"jobid", "id"})
    {
        if (const auto* v = object.if_contains(name))
        {
            if (auto id = id_of(*v))
                return id;
            why = std::string("the submit answer's \"") + name + "\" is not a job id";
            return std::nullopt;
        }
    }
    if (!object.contains("columns") && !object.contains("rows"))
    {
        why = "the submit answer holds no job id";
        return std::nullopt;
    }
    diagnostics diag;
    table t = table::parse(body, ec, diag);
    if (ec)
    {
        why = diag.server_message;
        return std::nullopt;
    }
    for (const char* name : {"jobid", "idint", "id"})
    {
        auto column = t.column_index(name);
        if (!column)
            continue;
        if (t.empty())
        {
            why = "the submit answer's table has no row";
            return std::nullopt;
        }
        if (auto id = id_of(t.rows()[0][*column]))
            return id;
        why = std::string("the submit answer's column \"") + name + "\" is not a job id";
        return std::nullopt;
    }
    why = "the submit answer's table has no jobid, idint or id column";
    return std::nullopt;
}

std::optional<job_id> id_in_location(std::string_view location) noexcept
{
    constexpr std::string_view marker = "/jobs/";
    auto at = location.rfind(marker);
    if (at == std::string_view::npos)
        return std::nullopt;
    std::string_view rest = location.substr(at + marker.size());
    while (!rest.empty() && rest.back() == '/')
        rest.remove_suffix(1);
    return job_id::parse(rest);
}

}  // namespace

job_id parse_submit_response(std::string_view body)
{
    std::string why;
    if (auto id = id_in_body(body, why))
        return *id;
    throw error_with_diagnostics(error::bad_response, diagnostics{0, std::move(why), "POST", "/api/v3/jobs", {}});
}

job_id parse_submit_response(const response& answer, boost::system::error_code& ec, diagnostics& diag)
{
    ec.clear();
    std::string why;
    if (auto id = id_in_body(answer.body, why))
        return *id;
    if (auto id = id_in_location(answer.header("Location")))
        return *id;
    ec = error::bad_response;
    diag.http_status = answer.status;
    diag.server_message = std::move(why);
    diag.method = "POST";
    diag.path = "/api/v3/jobs";
    return job_id{};
}

}  // namespace vovrest::jobs
