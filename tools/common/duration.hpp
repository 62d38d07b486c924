// Durations as both programs (vovrest and vovrest-fake-server) take them in options, environment
// variables and the config file: "500ms", "2s", "1m", "1h", "250us", "1.5s", "1m30s".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace vovrest::tools {

// One or more <number><unit> terms (unit: us, ms, s, m, h; the number may have a fraction),
// summed; "0" alone is zero. Microseconds are rounded up to whole milliseconds so that a small
// non-zero duration never becomes none. Anything else (a bare number, an unknown unit, a sign,
// spaces, overflow) gives nullopt.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// The shortest text parse_duration reads back as `d`: "0", "250ms", "2s", "1m30s", "1h", "1.5s"
// is written "1s500ms".
std::string format_duration(std::chrono::milliseconds d);

}  // namespace vovrest::tools
