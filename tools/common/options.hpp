// CLI11 options both programs share: durations in the one syntax of duration.hpp, written into
// the field they configure, so that adding a duration option is one line.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace vovrest::tools {

// "--name DURATION" stored into `target`; the current value of `target` is shown as the default.
// A value that is not a duration is a CLI::ValidationError naming the option.
CLI::Option* add_duration(CLI::App& app, const std::string& name, std::chrono::milliseconds& target,
                          const std::string& help);
// The same, rounded up to whole seconds (a non-zero value never becomes 0s).
CLI::Option* add_duration(CLI::App& app, const std::string& name, std::chrono::seconds& target,
                          const std::string& help);
// The same for an optional setting: given means set.
CLI::Option* add_duration(CLI::App& app, const std::string& name, std::optional<std::chrono::milliseconds>& target,
                          const std::string& help);

// The value of a duration option: its parse, or a CLI::ValidationError naming `option`.
std::chrono::milliseconds duration_value(const std::string& option, const std::string& text);

}  // namespace vovrest::tools
