#include "jwt_hs256.hpp"

#include <vovrest/detail/jwt_payload.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <stdexcept>

namespace vovrest::testing::detail {

namespace {

constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string hmac_sha256(std::string_view data, std::span<const unsigned char> key)
{
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int out_len = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &out_len)
        == nullptr)
        throw std::runtime_error("HMAC-SHA256 failed");
    return std::string(reinterpret_cast<const char*>(out.data()), out_len);
}

std::optional<boost::json::object> decode_json_object(std::string_view part)
{
    auto bytes = base64url_decode(part);
    if (!bytes)
        return std::nullopt;
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(*bytes, ec);
    if (ec || !value.is_object())
        return std::nullopt;
    return std::move(value.as_object());
}

}  // namespace

std::string base64url_encode(std::string_view bytes)
{
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    std::size_t i = 0;
    auto byte = [&](std::size_t k) { return static_cast<unsigned>(static_cast<unsigned char>(bytes[k])); };
    for (; i + 3 <= bytes.size(); i += 3)
    {
        unsigned n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
        out.push_back(alphabet[(n >> 18) & 63]);
        out.push_back(alphabet[(n >> 12) & 63]);
        out.push_back(alphabet[(n >> 6) & 63]);
        out.push_back(alphabet[n & 63]);
    }
    std::size_t rest = bytes.size() - i;
    if (rest == 1)
    {
        unsigned n = byte(i) << 16;
        out.push_back(alphabet[(n >> 18) & 63]);
        out.push_back(alphabet[(n >> 12) & 63]);
    }
    else if (rest == 2)
    {
        unsigned n = (byte(i) << 16) | (byte(i + 1) << 8);
        out.push_back(alphabet[(n >> 18) & 63]);
        out.push_back(alphabet[(n >> 12) & 63]);
        out.push_back(alphabet[(n >> 6) & 63]);
    }
    return out;
}

std::optional<std::string> base64url_decode(std::string_view text)
{
    // The SDK's decoder: the same rules (optional padding, canonical trailing bits).
    std::string out;
    if (!vovrest::detail::decode_base64url(text, out))
        return std::nullopt;
    return out;
}

std::string jwt_sign_hs256(const boost::json::object& payload, std::span<const unsigned char> key)
{
    std::string token = base64url_encode(R"({"alg":"HS256","typ":"JWT"})");
    token += '.';
    token += base64url_encode(boost::json::serialize(payload));
    std::string mac = hmac_sha256(token, key);
    token += '.';
    token += base64url_encode(mac);
    return token;
}

std::variant<boost::json::object, jwt_error> jwt_verify_hs256(std::string_view token,
                                                              std::span<const unsigned char> key)
{
    std::size_t first = token.find('.');
    if (first == std::string_view::npos)
        return jwt_error::malformed;
    std::size_t second = token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
        return jwt_error::malformed;

    auto header = decode_json_object(token.substr(0, first));
    auto payload = decode_json_object(token.substr(first + 1, second - first - 1));
    auto signature = base64url_decode(token.substr(second + 1));
    if (!header || !payload || !signature)
        return jwt_error::malformed;

    // "alg":"none" and friends are forgeries, not syntax errors.
    const auto* alg = header->if_contains("alg");
    if (alg == nullptr || !alg->is_string() || alg->as_string() != "HS256")
        return jwt_error::signature;

    std::string expected = hmac_sha256(token.substr(0, second), key);
    if (signature->size() != expected.size() || CRYPTO_memcmp(signature->data(), expected.data(), expected.size()) != 0)
        return jwt_error::signature;
    return std::move(*payload);
}

}  // namespace vovrest::testing::detail
