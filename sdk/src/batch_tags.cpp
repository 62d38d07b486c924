#include <vovrest/detail/batch_tags.hpp>

#include <algorithm>
#include <charconv>

namespace vovrest::detail {
namespace {

bool is_word_char(char c) noexcept
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// A job's index as the tag writes it: decimal, no leading zero.
std::optional<std::size_t> parse_index(std::string_view digits) noexcept
{
    if (digits.empty() || (digits.size() > 1 && digits.front() == '0'))
        return std::nullopt;
    std::size_t value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc{} || end != digits.data() + digits.size())
        return std::nullopt;
    return value;
}

}  // namespace

bool valid_tag_prefix(std::string_view prefix) noexcept
{
    return !prefix.empty() && prefix.size() <= 32 && std::all_of(prefix.begin(), prefix.end(), is_word_char);
}

std::string rule_value(std::string_view text)
{
    const bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return is_word_char(c) || c == '.' || c == ':' || c == '/' || c == '+' || c == '@' || c == ',';
    });
    if (plain)
        return std::string(text);
    std::string quoted = "\"";
    for (char c : text)
    {
        if (c == '"' || c == '\\')
            quoted += '\\';
        quoted += c;
    }
    quoted += '"';
    return quoted;
}

batch_tags::batch_tags(std::span<const job_spec> specs, bool reconcile, bool jobnames_unique, std::string_view prefix,
                       std::string_view batch_id)
    : specs_(specs),
      reconcile_(reconcile),
      marker_(std::string(prefix) + "-" + std::string(batch_id) + "-"),
      caller_tag_(specs.size(), false)
{
    if (!reconcile || !jobnames_unique)
        return;
    std::unordered_map<std::string_view, std::size_t> seen;
    for (const auto& spec : specs)
        if (!spec.jobname.empty())
            ++seen[spec.jobname];
    for (std::size_t i = 0; i < specs.size(); ++i)
    {
        const std::string& name = specs[i].jobname;
        if (!name.empty() && seen[name] == 1)
        {
            caller_tag_[i] = true;
            caller_tags_.emplace(name, i);
        }
    }
}

std::string batch_tags::jobname(std::size_t job) const
{
    const std::string& given = specs_[job].jobname;
    if (!reconcile_ || caller_tag_[job])
        return given;
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, job).ptr;
    std::string name;
    name.reserve(given.size() + 1 + marker_.size() + static_cast<std::size_t>(end - digits));
    if (!given.empty())
    {
        name += given;
        name += '.';
    }
    name += marker_;
    name.append(digits, end);
    return name;
}

std::optional<std::size_t> batch_tags::job_of(std::string_view name) const
{
    if (!reconcile_)
        return std::nullopt;
    if (const auto at = name.rfind(marker_); at != std::string_view::npos)
    {
        const auto index = parse_index(name.substr(at + marker_.size()));
        if (index && *index < specs_.size() && !caller_tag_[*index])
        {
            const std::string& given = specs_[*index].jobname;
            const bool prefix_matches = given.empty() ? at == 0
                                                      : at == given.size() + 1 && name.substr(0, given.size()) == given
                                                            && name[given.size()] == '.';
            if (prefix_matches)
                return index;
        }
    }
    if (auto it = caller_tags_.find(name); it != caller_tags_.end())
        return it->second;
    return std::nullopt;
}

}  // namespace vovrest::detail
