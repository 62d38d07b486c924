#include "cli_args.hpp"

#include <charconv>

namespace vovrest::cli {

arguments::arguments(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i)
        args_.emplace_back(argv[i]);
}

std::string arguments::take()
{
    if (empty())
        throw usage_error("an argument is missing");
    return args_[next_++];
}

bool arguments::flag(std::string_view name)
{
    if (empty())
        return false;
    std::string_view arg = args_[next_];
    if (arg == name)
    {
        ++next_;
        return true;
    }
    if (arg.starts_with(name) && arg.size() > name.size() && arg[name.size()] == '=')
        throw usage_error(std::string(name) + " takes no value");
    return false;
}

std::optional<std::string> arguments::option(std::string_view name)
{
    if (empty())
        return std::nullopt;
    std::string_view arg = args_[next_];
    if (arg == name)
    {
        if (next_ + 1 >= args_.size())
            throw usage_error(std::string(name) + " needs a value");
        next_ += 2;
        return args_[next_ - 1];
    }
    if (arg.starts_with(name) && arg.size() > name.size() && arg[name.size()] == '=')
    {
        ++next_;
        return std::string(arg.substr(name.size() + 1));
    }
    return std::nullopt;
}

std::vector<std::string> arguments::rest()
{
    std::vector<std::string> out(args_.begin() + static_cast<std::ptrdiff_t>(next_), args_.end());
    next_ = args_.size();
    return out;
}

bool arguments::help()
{
    return flag("--help") || flag("-h");
}

void arguments::expect_end(std::string_view command) const
{
    if (!empty())
        throw usage_error(std::string(command) + ": unexpected argument '" + std::string(peek()) + "'");
}

std::chrono::milliseconds parse_duration(std::string_view option, std::string_view text)
{
    const auto bad = [&] {
        return usage_error(std::string(option) + ": not a duration: '" + std::string(text)
                           + "' (e.g. 500ms, 2s, 1m, 1h)");
    };
    if (text.empty())
        throw bad();
    std::chrono::microseconds total{0};
    std::string_view rest = text;
    while (!rest.empty())
    {
        long long number = 0;
        auto [end, err] = std::from_chars(rest.data(), rest.data() + rest.size(), number);
        if (err != std::errc{} || number < 0 || number > 100'000'000)
            throw bad();
        rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
        std::size_t unit_length = 0;
        while (unit_length < rest.size() && rest[unit_length] >= 'a' && rest[unit_length] <= 'z')
            ++unit_length;
        const std::string_view unit = rest.substr(0, unit_length);
        rest.remove_prefix(unit_length);
        if (unit == "us")
            total += std::chrono::microseconds(number);
        else if (unit == "ms")
            total += std::chrono::milliseconds(number);
        else if (unit == "s" || (unit.empty() && rest.empty() && total.count() == 0))
            total += std::chrono::seconds(number);
        else if (unit == "m")
            total += std::chrono::minutes(number);
        else if (unit == "h")
            total += std::chrono::hours(number);
        else
            throw bad();
    }
    return std::chrono::ceil<std::chrono::milliseconds>(total);
}

std::size_t parse_count(std::string_view option, std::string_view text, std::size_t min, std::size_t max)
{
    std::size_t value = 0;
    auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || err != std::errc{} || end != text.data() + text.size() || value < min || value > max)
        throw usage_error(std::string(option) + ": expected a whole number from " + std::to_string(min) + " to "
                          + std::to_string(max) + ", got '" + std::string(text) + "'");
    return value;
}

}  // namespace vovrest::cli
