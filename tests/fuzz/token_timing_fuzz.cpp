// When a token is renewed (compute_token_timing) is computed from what the server sent: the JWT's
// exp and iat (any numbers, or garbage) and expires_in, against both clocks and the jitter. For
// every input the windows are ordered (soft_at <= hard_at <= expires), the hard window is no longer
// than hard_max, and the arithmetic stays defined (UBSan: no signed overflow, no float-to-integer
// overflow).
//
// The inputs range over what can reach the function: expires_in as parse_token_response accepts
// it (1 s to 1e9 s), a steady clock up to 36 years after boot, a wall clock from 1970 to 2116,
// and token_params durations up to 10 years (soft_max and hard_max also unbounded). Outside
// that (a wall clock centuries before 1970, an uptime of centuries) the sums may overflow.
#include <vovrest/detail/token_state_machine.hpp>

#include "jwt_hs256.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace {

using duration = std::chrono::steady_clock::duration;
using vovrest::detail::steady_time;
using vovrest::detail::wall_time;

constexpr std::int64_t ten_years_ns = 10LL * 366 * 24 * 3600 * 1'000'000'000LL;

void check(bool condition)
{
    if (!condition)
        __builtin_trap();
}

double fraction(FuzzedDataProvider& in)
{
    switch (in.ConsumeIntegralInRange(0, 3))
    {
    case 0: return in.ConsumeProbability<double>();
    case 1: return in.ConsumeFloatingPoint<double>();
    case 2: return std::numeric_limits<double>::quiet_NaN();
    default: return std::numeric_limits<double>::infinity();
    }
}

duration span(FuzzedDataProvider& in, bool may_be_unbounded)
{
    if (may_be_unbounded && in.ConsumeBool())
        return duration::max();
    return duration(in.ConsumeIntegralInRange<std::int64_t>(-3'600'000'000'000LL, ten_years_ns));
}

// A JSON number as a server may write it: an integer, a decimal, or an exponent form.
std::string claim(FuzzedDataProvider& in)
{
    char text[64];
    std::to_chars_result r{};
    if (in.ConsumeBool())
        r = std::to_chars(text, text + sizeof text, in.ConsumeIntegral<std::int64_t>());
    else
        r = std::to_chars(text, text + sizeof text, in.ConsumeFloatingPoint<double>());
    return std::string(text, r.ptr);
}

// A JWT whose payload holds exp and iat (either may be missing), or bytes as they came.
std::string token(FuzzedDataProvider& in)
{
    if (in.ConsumeBool())
        return in.ConsumeRandomLengthString(512);
    std::string payload = "{";
    if (in.ConsumeBool())
        payload += "\"iat\":" + claim(in);
    if (in.ConsumeBool())
        payload += std::string(payload.size() > 1 ? "," : "") + "\"exp\":" + claim(in);
    payload += "}";
    namespace t = vovrest::testing::detail;
    return t::base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." + t::base64url_encode(payload) + ".c2ln";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    FuzzedDataProvider in(data, size);
    vovrest::token_params params;
    params.soft_fraction = fraction(in);
    params.hard_fraction = fraction(in);
    params.jitter_fraction = fraction(in);
    params.soft_max = span(in, true);
    params.hard_max = span(in, true);
    params.clock_agreement = span(in, false);
    if (in.ConsumeBool())
        params.max_token_age = span(in, false);
    std::optional<std::chrono::seconds> expires_in;
    if (in.ConsumeBool())
        expires_in = std::chrono::seconds(in.ConsumeIntegralInRange<std::int64_t>(1, 999'999'999));
    const steady_time now{duration(in.ConsumeIntegralInRange<std::int64_t>(0, std::int64_t{1} << 60))};
    const wall_time wall{std::chrono::duration_cast<wall_time::duration>(
        std::chrono::nanoseconds(in.ConsumeIntegralInRange<std::int64_t>(0, std::int64_t{1} << 62)))};
    const double jitter = in.ConsumeProbability<double>();
    const std::string access_token = token(in);

    const auto timing = vovrest::detail::compute_token_timing(params, access_token, expires_in, now, wall, jitter);

    check(timing.soft_at <= timing.hard_at);
    if (timing.expires)
    {
        check(timing.hard_at <= *timing.expires);
        check(*timing.expires - timing.hard_at <= std::max(params.hard_max, duration::zero()));
        if (expires_in)
            check(*timing.expires == now + *expires_in);
    }
    else
    {
        check(!expires_in);
        check(timing.hard_at == steady_time::max());
        check(timing.soft_at == (params.max_token_age ? now + *params.max_token_age : steady_time::max()));
    }
    return 0;
}
