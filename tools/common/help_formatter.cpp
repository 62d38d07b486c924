#include "help_formatter.hpp"

#include <CLI/CLI.hpp>

#include <sstream>

namespace vovrest::tools {
namespace {

constexpr std::size_t line_width = 100;
constexpr std::size_t help_column = 32;

// `text` wrapped at word boundaries into lines of at most `width` characters, each after the
// first indented by `indent` spaces.
std::string wrapped(const std::string& text, std::size_t indent, std::size_t width)
{
    std::string out;
    std::size_t column = 0;
    std::istringstream words(text);
    std::string word;
    while (words >> word)
    {
        if (column > 0 && column + 1 + word.size() > width)
        {
            out += '\n';
            out.append(indent, ' ');
            column = 0;
        }
        else if (column > 0)
        {
            out += ' ';
            ++column;
        }
        out += word;
        column += word.size();
    }
    return out;
}

}  // namespace

help_formatter::help_formatter()
{
    column_width(help_column);
}

std::string help_formatter::make_option_opts(const CLI::Option* opt) const
{
    std::string out;
    if (opt->get_type_size() != 0)
    {
        if (!opt->get_type_name().empty() && !opt->get_positional())
            out += " " + opt->get_type_name();
        if (opt->get_expected_max() == CLI::detail::expected_max_vector_size)
            out += " ...";
    }
    return out;
}

std::string help_formatter::make_option_desc(const CLI::Option* opt) const
{
    std::string text = opt->get_description();
    if (opt->get_type_size() != 0 && !opt->get_default_str().empty())
        text += " (default " + opt->get_default_str() + ")";
    if (!opt->get_envname().empty())
        text += " [$" + opt->get_envname() + "]";
    if (opt->get_required() && !opt->get_positional())
        text += " (required)";
    return text;
}

std::string help_formatter::make_option(const CLI::Option* opt, bool is_positional) const
{
    std::string left = "  " + make_option_name(opt, is_positional) + make_option_opts(opt);
    const std::string desc = make_option_desc(opt);
    if (desc.empty())
        return left + "\n";
    if (left.size() + 1 > help_column)
        left += "\n" + std::string(help_column, ' ');
    else
        left.append(help_column - left.size(), ' ');
    return left + wrapped(desc, help_column, line_width - help_column) + "\n";
}

void use_help_formatter(CLI::App& app)
{
    app.formatter(std::make_shared<help_formatter>());
}

}  // namespace vovrest::tools
