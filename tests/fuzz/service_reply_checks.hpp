// What every reply of the fake Accelerator promises, whatever the request: a known status; JSON
// bodies that are JSON objects; CSV only as a 200; a 201 only for a submitted job, with its
// Location; an Allow header with every 405. Shared by the fuzz targets that drive the service.
#pragma once

#include "accelerator_service.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <string_view>

namespace vovrest::fuzz {

inline void check(bool condition)
{
    if (!condition)
        __builtin_trap();
}

inline std::string_view reply_header(const testing::detail::service_reply& reply, std::string_view name)
{
    for (const auto& [key, value] : reply.headers)
        if (key == name)
            return value;
    return {};
}

// Says what broke a promise (for the reproducer's report), then stops.
inline void report(const testing::detail::service_request& request, const testing::detail::service_reply& reply,
                   const char* promise)
{
    std::fprintf(stderr, "broken promise: %s\nrequest: %.*s %.*s (%zu body bytes)\nreply: %u %.*s\n%.*s\n", promise,
                 static_cast<int>(request.method.size()), request.method.data(),
                 static_cast<int>(std::min<std::size_t>(request.target.size(), 300)), request.target.data(),
                 request.body.size(), reply.status, static_cast<int>(reply.content_type.size()),
                 reply.content_type.data(), static_cast<int>(std::min<std::size_t>(reply.body.size(), 600)),
                 reply.body.data());
    __builtin_trap();
}

inline void check_reply(const testing::detail::service_request& request, const testing::detail::service_reply& reply)
{
    const auto expect = [&](bool condition, const char* promise) {
        if (!condition)
            report(request, reply, promise);
    };
    switch (reply.status)
    {
    case 200:
    case 201:
    case 400:
    case 401:
    case 403:
    case 404:
    case 405:
    case 409:
    case 413: break;
    default: expect(false, "a known status (503 only comes from fault knobs, off here)");
    }
    if (reply.content_type == "application/json")
    {
        boost::system::error_code ec;
        const boost::json::value body = boost::json::parse(reply.body, ec);
        expect(!ec && body.is_object(), "a JSON body is a JSON object");
        if (reply.status >= 400)
            expect(body.as_object().contains("error"), "an error has an error member");
    }
    else
    {
        expect(reply.content_type == "text/csv" && reply.status == 200, "CSV only as a 200");
    }
    if (reply.status == 201)
        expect(request.method == "POST" && reply_header(reply, "Location").starts_with("/api/v3/jobs/"),
               "a 201 is a submitted job with its Location");
    if (reply.status == 405)
        expect(!reply_header(reply, "Allow").empty(), "a 405 says what is allowed");
}

}  // namespace vovrest::fuzz
