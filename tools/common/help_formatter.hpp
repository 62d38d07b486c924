// The --help layout of both programs: each option's name and value on the left, its help wrapped
// to the width of a terminal on the right, with its default and environment variable.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>

namespace vovrest::tools {

class help_formatter : public CLI::Formatter
{
public:
    help_formatter();
    std::string make_option(const CLI::Option* opt, bool is_positional) const override;
    std::string make_option_opts(const CLI::Option* opt) const override;
    std::string make_option_desc(const CLI::Option* opt) const override;
};

// Installs help_formatter on `app` (and the subcommands added after it).
void use_help_formatter(CLI::App& app);

}  // namespace vovrest::tools
