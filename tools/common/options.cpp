#include "options.hpp"

#include "duration.hpp"

#include <CLI/CLI.hpp>

namespace vovrest::tools {

std::chrono::milliseconds duration_value(const std::string& option, const std::string& text)
{
    if (auto value = parse_duration(text))
        return *value;
    throw CLI::ValidationError(option, "not a duration: '" + text + "' (e.g. 500ms, 2s, 1.5s, 1m30s, 1h)");
}

CLI::Option* add_duration(CLI::App& app, const std::string& name, std::chrono::milliseconds& target,
                          const std::string& help)
{
    return app
        .add_option_function<std::string>(
            name, [&target, name](const std::string& text) { target = duration_value(name, text); }, help)
        ->type_name("DURATION")
        ->default_str(format_duration(target));
}

CLI::Option* add_duration(CLI::App& app, const std::string& name, std::chrono::seconds& target, const std::string& help)
{
    return app
        .add_option_function<std::string>(
            name,
            [&target, name](const std::string& text) {
                target = std::chrono::ceil<std::chrono::seconds>(duration_value(name, text));
            },
            help)
        ->type_name("DURATION")
        ->default_str(format_duration(target));
}

CLI::Option* add_duration(CLI::App& app, const std::string& name, std::optional<std::chrono::milliseconds>& target,
                          const std::string& help)
{
    return app
        .add_option_function<std::string>(
            name, [&target, name](const std::string& text) { target = duration_value(name, text); }, help)
        ->type_name("DURATION");
}

}  // namespace vovrest::tools
