// Helpers for the token tests: JWT construction (unsigned; the SDK never checks signatures).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace vovrest::test {

inline std::string base64url(std::string_view in)
{
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::uint32_t bits = 0;
    int count = 0;
    for (const unsigned char c : in)
    {
        bits = (bits << 8) | c;
        count += 8;
        while (count >= 6)
        {
            count -= 6;
            out.push_back(alphabet[(bits >> count) & 0x3F]);
        }
    }
    if (count > 0)
        out.push_back(alphabet[(bits << (6 - count)) & 0x3F]);
    return out;
}

inline std::string json_number(double v)
{
    char buf[64];
    if (v == std::floor(v) && std::fabs(v) < 1e15)
        std::snprintf(buf, sizeof buf, "%.0f", v);
    else
        std::snprintf(buf, sizeof buf, "%.3f", v);
    return buf;
}

inline std::string jwt_from_payload(std::string_view payload_json)
{
    return base64url(R"({"alg":"HS256","typ":"JWT"})") + "." + base64url(payload_json) + "."
           + base64url("signature-not-checked");
}

inline std::string make_jwt(std::optional<double> iat, std::optional<double> exp)
{
    std::string payload = R"({"sub":"alice")";
    if (iat)
        payload += R"(,"iat":)" + json_number(*iat);
    if (exp)
        payload += R"(,"exp":)" + json_number(*exp);
    payload += "}";
    return jwt_from_payload(payload);
}

}  // namespace vovrest::test
