// Durations written the way the fake server's flags take them: "500ms", "2s", "1m", "1h",
// "250us", "1.5s", "1m30s". Private to vovrest::testing.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace vovrest::testing::detail {

// One or more <number><unit> terms (unit: us, ms, s, m, h; the number may have a fraction),
// summed; "0" alone is zero. Microseconds are rounded up to whole milliseconds so that a small
// non-zero latency never becomes none. Anything else (no unit, unknown unit, negative, overflow)
// gives nullopt.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace vovrest::testing::detail
