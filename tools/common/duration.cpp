#include "duration.hpp"

#include <cstdint>
#include <limits>
#include <utility>

namespace vovrest::tools {

namespace {

bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

// Microseconds per unit; 0 when the unit is unknown.
std::uint64_t unit_micros(std::string_view unit)
{
    if (unit == "us")
        return 1;
    if (unit == "ms")
        return 1'000;
    if (unit == "s")
        return 1'000'000;
    if (unit == "m")
        return 60'000'000;
    if (unit == "h")
        return 3'600'000'000;
    return 0;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text)
{
    if (text == "0")
        return std::chrono::milliseconds{0};
    if (text.empty())
        return std::nullopt;

    // Sum in microseconds; the limit keeps every product below 2^63 comfortably.
    constexpr std::uint64_t limit = std::uint64_t{1} << 60;
    std::uint64_t total_us = 0;
    std::size_t i = 0;
    while (i < text.size())
    {
        std::uint64_t whole = 0;
        std::size_t digits = 0;
        while (i < text.size() && is_digit(text[i]))
        {
            whole = whole * 10 + static_cast<std::uint64_t>(text[i] - '0');
            if (whole > limit)
                return std::nullopt;
            ++i;
            ++digits;
        }
        // Fraction: at most 9 digits kept, as a numerator over 10^n.
        std::uint64_t frac = 0;
        std::uint64_t frac_den = 1;
        if (i < text.size() && text[i] == '.')
        {
            ++i;
            std::size_t frac_digits = 0;
            while (i < text.size() && is_digit(text[i]))
            {
                if (frac_den < 1'000'000'000)
                {
                    frac = frac * 10 + static_cast<std::uint64_t>(text[i] - '0');
                    frac_den *= 10;
                }
                ++i;
                ++frac_digits;
            }
            if (frac_digits == 0)
                return std::nullopt;
        }
        if (digits == 0)
            return std::nullopt;
        std::size_t unit_begin = i;
        while (i < text.size() && !is_digit(text[i]) && text[i] != '.')
            ++i;
        std::uint64_t per_unit = unit_micros(text.substr(unit_begin, i - unit_begin));
        if (per_unit == 0)
            return std::nullopt;
        if (whole > limit / per_unit)
            return std::nullopt;
        std::uint64_t term = whole * per_unit;
        // per_unit <= 3.6e9 and frac < 1e9: the product fits in 64 bits.
        std::uint64_t frac_us = (frac * per_unit + frac_den - 1) / frac_den;
        total_us += term + frac_us;
        if (total_us > limit)
            return std::nullopt;
    }
    return std::chrono::milliseconds{static_cast<std::int64_t>((total_us + 999) / 1000)};
}

std::string format_duration(std::chrono::milliseconds d)
{
    if (d <= std::chrono::milliseconds::zero())
        return "0";
    std::int64_t left = d.count();
    std::string out;
    const std::pair<std::int64_t, const char*> units[] = {{3'600'000, "h"}, {60'000, "m"}, {1'000, "s"}, {1, "ms"}};
    for (const auto& [per_unit, name] : units)
    {
        if (left >= per_unit)
        {
            out += std::to_string(left / per_unit);
            out += name;
            left %= per_unit;
        }
    }
    return out;
}

}  // namespace vovrest::tools
