// The answer to POST /api/v3/jobs: the id comes from the body, or else from the Location header
// (jobs::parse_submit_response(const response&, ...)); status, headers and body all come from the
// server. The result is an id or bad_response; an id the body holds always wins; and when the
// body holds none, a Location ending in /jobs/<id> gives exactly that id.
//
// Input (FuzzedDataProvider): the status, up to 4 headers (a Location built around a known id, or
// any name and value), then the body (the rest).
#include <vovrest/error.hpp>
#include <vovrest/jobs.hpp>
#include <vovrest/response.hpp>

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace {

void check(bool condition)
{
    if (!condition)
        __builtin_trap();
}

std::optional<vovrest::job_id> id_in_body(const std::string& body)
{
    try
    {
        return vovrest::jobs::parse_submit_response(body);
    }
    catch (const vovrest::error_with_diagnostics& e)
    {
        check(e.code() == vovrest::error::bad_response);
        return std::nullopt;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    FuzzedDataProvider in(data, size);
    vovrest::response answer;
    answer.status = in.ConsumeIntegralInRange<unsigned>(0, 999);

    // A Location that names a job, as the first header: what the body's absence must fall back on.
    std::optional<std::int64_t> located;
    if (in.ConsumeBool())
    {
        located = in.ConsumeIntegralInRange<std::int64_t>(0, INT64_MAX);
        std::string value = in.ConsumeRandomLengthString(64) + "/jobs/";
        if (in.ConsumeBool())
            value += std::string(in.ConsumeIntegralInRange<std::size_t>(1, 9), '0');
        value += std::to_string(*located);
        if (in.ConsumeBool())
            value += '/';
        answer.headers.emplace_back(in.ConsumeBool() ? "Location" : "location", std::move(value));
    }
    const std::size_t more = in.ConsumeIntegralInRange<std::size_t>(0, 3);
    for (std::size_t i = 0; i < more; ++i)
    {
        std::string name = in.ConsumeBool() ? std::string("Location") : in.ConsumeRandomLengthString(16);
        answer.headers.emplace_back(std::move(name), in.ConsumeRandomLengthString(128));
    }
    answer.body = in.ConsumeRemainingBytesAsString();

    boost::system::error_code ec;
    vovrest::diagnostics diag;
    const vovrest::job_id id = vovrest::jobs::parse_submit_response(answer, ec, diag);
    check(!ec || ec == vovrest::error::bad_response);
    if (ec)
    {
        check(id == vovrest::job_id{} && diag.http_status == answer.status && !diag.client_message.empty());
        check(!located);  // a Location naming a job is never refused
    }
    else
    {
        check(id.value() >= 0);
    }

    if (const auto from_body = id_in_body(answer.body))
        check(!ec && id == *from_body);
    else if (located)
        check(!ec && id.value() == *located);
    return 0;
}
