// The vovrest command line on CLI11: global options accepted anywhere (before or after the
// command), each bound to an environment variable, and an optional config file. A setting comes
// from the command line, else the environment, else the config file, else its default.
#pragma once

#include "cli_commands.hpp"
#include "cli_options.hpp"

#include <CLI/CLI.hpp>

namespace vovrest::cli {

// Every global option and command. `options` and `out` must outlive `app`.
void build_app(CLI::App& app, global_options& options, command& out);

// After a successful parse: the config file's settings for the options neither the command line
// nor the environment gave, then $USER for a user still unknown. A key that is no global option,
// or a bad value, is a usage_error naming the file; a missing file is fine unless --config or
// $VOVREST_CONFIG named it.
void apply_config(CLI::App& app, global_options& options);

// "$XDG_CONFIG_HOME/vovrest/config.ini", else "$HOME/.config/vovrest/config.ini".
std::string default_config_file();

// "vovrest job wait": the commands parsed so far, for messages.
std::string command_path(const CLI::App& app);

}  // namespace vovrest::cli
