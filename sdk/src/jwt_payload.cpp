#include <vovrest/detail/jwt_payload.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <cstdint>
#include <exception>

namespace vovrest::detail {
namespace {

constexpr std::array<std::int8_t, 256> make_decode_table() noexcept
{
    std::array<std::int8_t, 256> table{};
    for (auto& entry : table)
        entry = -1;
    constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (std::size_t i = 0; i < alphabet.size(); ++i)
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    return table;
}

constexpr auto decode_table = make_decode_table();

std::optional<double> number_claim(const boost::json::object& object, std::string_view name) noexcept
{
    const auto* value = object.if_contains(name);
    if (value == nullptr)
        return std::nullopt;
    if (const auto* i = value->if_int64())
        return static_cast<double>(*i);
    if (const auto* u = value->if_uint64())
        return static_cast<double>(*u);
    if (const auto* d = value->if_double())
        return *d;
    return std::nullopt;
}

}  // namespace

bool decode_base64url(std::string_view in, std::string& out) noexcept
{
    // Padding is optional in JWTs; accept it when it is well-formed.
    while (!in.empty() && in.back() == '=')
        in.remove_suffix(1);
    if (in.size() % 4 == 1)
        return false;
    try
    {
        out.clear();
        out.reserve(in.size() / 4 * 3 + 2);
    }
    catch (const std::exception&)
    {
        return false;
    }
    std::uint32_t bits = 0;
    int count = 0;
    for (const char c : in)
    {
        const int v = decode_table[static_cast<unsigned char>(c)];
        if (v < 0)
            return false;
        bits = (bits << 6) | static_cast<std::uint32_t>(v);
        count += 6;
        if (count >= 8)
        {
            count -= 8;
            out.push_back(static_cast<char>((bits >> count) & 0xFFu));
        }
    }
    // Leftover bits must be zero (canonical encoding); otherwise the text is not base64url.
    return (bits & ((1u << count) - 1u)) == 0;
}

std::optional<jwt_payload> decode_jwt_payload(std::string_view jwt) noexcept
{
    const auto first_dot = jwt.find('.');
    if (first_dot == std::string_view::npos)
        return std::nullopt;
    const auto rest = jwt.substr(first_dot + 1);
    const auto second_dot = rest.find('.');
    const auto encoded = rest.substr(0, second_dot);
    if (encoded.empty())
        return std::nullopt;
    try
    {
        std::string json;
        if (!decode_base64url(encoded, json))
            return std::nullopt;
        // Small payloads parse in a stack buffer: no allocation for the JSON tree.
        unsigned char buffer[2048];
        boost::json::monotonic_resource resource(buffer, sizeof buffer);
        boost::system::error_code ec;
        const boost::json::value value = boost::json::parse(json, ec, &resource);
        if (ec || !value.is_object())
            return std::nullopt;
        const auto& object = value.get_object();
        return jwt_payload{number_claim(object, "exp"), number_claim(object, "iat")};
    }
    catch (const std::exception&)
    {
        return std::nullopt;
    }
}

}  // namespace vovrest::detail
