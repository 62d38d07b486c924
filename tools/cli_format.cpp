#include "cli_format.hpp"

#include "cli_output.hpp"

#include <algorithm>
#include <vector>

namespace vovrest::cli {
namespace {

// A cell on one line, safe for a terminal: newlines, tabs and ESC sequences shown escaped.
std::string one_line(std::string_view text)
{
    return printable_line(text);
}

void append_padded(std::string& out, const std::string& text, std::size_t width, bool last)
{
    out += text;
    if (!last)
        out.append(width - text.size() + 2, ' ');
}

}  // namespace

std::string aligned_columns(const table& t)
{
    const std::size_t n = t.columns().size();
    std::vector<std::vector<std::string>> cells;
    cells.reserve(t.size() + 1);
    cells.emplace_back();
    for (const auto& name : t.columns())
        cells.back().push_back(one_line(name));
    for (std::size_t r = 0; r < t.size(); ++r)
    {
        cells.emplace_back();
        for (std::size_t c = 0; c < n; ++c)
            cells.back().push_back(one_line(t.at(r, c).as_string()));
    }
    std::vector<std::size_t> width(n, 0);
    for (const auto& row : cells)
        for (std::size_t c = 0; c < n; ++c)
            width[c] = std::max(width[c], row[c].size());
    std::string out;
    for (const auto& row : cells)
    {
        for (std::size_t c = 0; c < n; ++c)
            append_padded(out, row[c], width[c], c + 1 == n);
        out += '\n';
    }
    return out;
}

std::string aligned_fields(const table& t)
{
    std::string out;
    if (t.empty())
        return out;
    std::vector<std::string> names;
    std::size_t width = 0;
    for (const auto& name : t.columns())
    {
        names.push_back(one_line(name));
        width = std::max(width, names.back().size());
    }
    for (std::size_t c = 0; c < names.size(); ++c)
    {
        append_padded(out, names[c], width, false);
        out += one_line(t.at(0, c).as_string());
        out += '\n';
    }
    return out;
}

}  // namespace vovrest::cli
