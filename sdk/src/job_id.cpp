#include <vovrest/jobs.hpp>

#include <charconv>
#include <cstdio>
#include <ostream>

namespace vovrest {

std::string job_id::to_string() const
{
    char text[32];
    std::snprintf(text, sizeof text, "%09lld", static_cast<long long>(value_));
    return text;
}

std::optional<job_id> job_id::parse(std::string_view text) noexcept
{
    // from_chars alone would accept a leading '-'; ids are never negative.
    if (text.empty() || text.front() < '0' || text.front() > '9')
        return std::nullopt;
    std::int64_t value = 0;
    auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (err != std::errc{} || end != text.data() + text.size())
        return std::nullopt;
    return job_id(value);
}

std::string to_string(job_id id)
{
    return id.to_string();
}

std::ostream& operator<<(std::ostream& out, job_id id)
{
    return out << id.to_string();
}

bool is_terminal(std::string_view status) noexcept
{
    const auto same = [status](std::string_view word) {
        if (status.size() != word.size())
            return false;
        for (std::size_t i = 0; i < word.size(); ++i)
        {
            char c = status[i];
            if (c >= 'a' && c <= 'z')
                c = static_cast<char>(c - 'a' + 'A');
            if (c != word[i])
                return false;
        }
        return true;
    };
    return same("VALID") || same("FAILED");
}

}  // namespace vovrest
