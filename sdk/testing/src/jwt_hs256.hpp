// JSON Web Tokens signed with HMAC-SHA256, as the fake Accelerator issues and checks them.
// Private to vovrest::testing.
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace vovrest::testing::detail {

// RFC 4648 section 5, without padding. decode accepts padding and rejects anything else.
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

// header.payload.signature with the header {"alg":"HS256","typ":"JWT"}.
std::string jwt_sign_hs256(const boost::json::object& payload, std::span<const unsigned char> key);

enum class jwt_error
{
    malformed,  // not three base64url parts, or a part that is not a JSON object
    signature,  // well formed, but not signed with this key by HS256
};

// The payload when the token is well formed and its signature is right; claims (exp, ...) are
// the caller's business.
std::variant<boost::json::object, jwt_error> jwt_verify_hs256(std::string_view token,
                                                              std::span<const unsigned char> key);

}  // namespace vovrest::testing::detail
