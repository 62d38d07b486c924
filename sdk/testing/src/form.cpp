#include "form.hpp"

#include <openssl/crypto.h>

namespace vovrest::testing::detail {

namespace {

int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space)
{
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i)
    {
        char c = text[i];
        if (c == '%')
        {
            if (text.size() - i < 3)
                return std::nullopt;
            int hi = hex_value(text[i + 1]);
            int lo = hex_value(text[i + 2]);
            if (hi < 0 || lo < 0)
                return std::nullopt;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        }
        else if (c == '+' && plus_is_space)
        {
            out.push_back(' ');
        }
        else
        {
            out.push_back(c);
        }
    }
    return out;
}

std::optional<form_fields> parse_form(std::string_view body)
{
    form_fields fields;
    while (!body.empty())
    {
        std::size_t amp = body.find('&');
        std::string_view pair = body.substr(0, amp);
        body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
        if (pair.empty())
            continue;
        std::size_t eq = pair.find('=');
        auto name = percent_decode(pair.substr(0, eq), true);
        auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
        if (!name || !value)
        {
            wipe(fields);
            if (value)
                OPENSSL_cleanse(value->data(), value->size());
            return std::nullopt;
        }
        fields.emplace_back(std::move(*name), std::move(*value));
    }
    return fields;
}

const std::string* find_field(const form_fields& fields, std::string_view name)
{
    for (const auto& [key, value] : fields)
        if (key == name)
            return &value;
    return nullptr;
}

bool is_form_content_type(std::string_view content_type)
{
    constexpr std::string_view expected = "application/x-www-form-urlencoded";
    std::size_t semi = content_type.find(';');
    std::string_view media = content_type.substr(0, semi);
    while (!media.empty() && (media.front() == ' ' || media.front() == '\t'))
        media.remove_prefix(1);
    while (!media.empty() && (media.back() == ' ' || media.back() == '\t'))
        media.remove_suffix(1);
    if (media.size() != expected.size())
        return false;
    for (std::size_t i = 0; i < media.size(); ++i)
        if (lower(media[i]) != expected[i])
            return false;
    return true;
}

void wipe(form_fields& fields)
{
    for (auto& [key, value] : fields)
        if (!value.empty())
            OPENSSL_cleanse(value.data(), value.size());
}

}  // namespace vovrest::testing::detail
