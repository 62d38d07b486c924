// Reads the lifetime claims (`exp`, `iat`) out of a JWT's payload so that the token pipeline knows
// when to renew. No signature check: that is the server's business. Never logs the token.
// Thread-safety: free functions without shared state; callable from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vovrest::detail {

// The claims the token pipeline needs, in seconds since the Unix epoch (JWT NumericDate). Either
// may be missing; a claim that is present but not a number counts as missing.
struct jwt_payload
{
    std::optional<double> exp;
    std::optional<double> iat;
};

// Decodes base64url (RFC 4648 §5, padding optional) into `out`. False on any invalid input.
bool decode_base64url(std::string_view in, std::string& out) noexcept;

// header.payload[.signature] → the payload's exp and iat. nullopt when the text is not a JWT whose
// payload is a JSON object (garbage, truncated, bad base64url, bad JSON). Never throws.
std::optional<jwt_payload> decode_jwt_payload(std::string_view jwt) noexcept;

}  // namespace vovrest::detail
