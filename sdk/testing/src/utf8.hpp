// UTF-8 checks for the text the fake server writes into JSON: JSON is UTF-8 (RFC 8259), and a
// strict client (Boost.JSON's default, the SDK's) rejects a whole answer for one stray byte, so
// request bytes echoed in an answer (a path, a method, a field name) must be valid UTF-8 first.
// Private to vovrest::testing.
#pragma once

#include <string>
#include <string_view>

namespace vovrest::testing::detail {

// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view text) noexcept;

// `text` with every byte that is not part of a well-formed sequence replaced by U+FFFD.
std::string to_valid_utf8(std::string_view text);

}  // namespace vovrest::testing::detail
