// application/x-www-form-urlencoded: the token endpoint's body and every URL query string.
// Private to vovrest::testing.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vovrest::testing::detail {

using form_fields = std::vector<std::pair<std::string, std::string>>;

// %XX decoded (and '+' as a space when plus_is_space); nullopt on a broken escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

// "a=1&b=x+y": name/value pairs in order, decoded. A pair without '=' has an empty value; empty
// pairs ("a=1&&b=2") are skipped. nullopt when an escape is broken.
std::optional<form_fields> parse_form(std::string_view body);

// The first value named `name`, or nullptr.
const std::string* find_field(const form_fields& fields, std::string_view name);

// True for "application/x-www-form-urlencoded", in any case, with or without parameters.
bool is_form_content_type(std::string_view content_type);

// Overwrites every value (passwords) before the fields are destroyed.
void wipe(form_fields& fields);

}  // namespace vovrest::testing::detail
