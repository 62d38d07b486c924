#include <vovrest/detail/ascii.hpp>
#include <vovrest/detail/wire_format.hpp>
#include <vovrest/error.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <cmath>

namespace vovrest::detail {

std::string_view find_header(const std::vector<std::pair<std::string, std::string>>& headers,
                             std::string_view name) noexcept
{
    for (const auto& [key, value] : headers)
        if (iequals(key, name))
            return value;
    return {};
}

void append_encoded(std::string& out, std::string_view text, bool form)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    for (const char ch : text)
    {
        const auto c = static_cast<unsigned char>(ch);
        const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved)
            out.push_back(ch);
        else if (form && c == ' ')
            out.push_back('+');
        else
        {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0xF]);
        }
    }
}

bool write_request_head(std::string& out, std::string_view method, std::string_view target,
                        std::string_view host_header, std::string_view user_agent,
                        std::string_view authorization, std::string_view content_type, std::size_t body_size)
{
    constexpr std::string_view forbidden("\r\n\0", 3);
    for (const auto value : {method, target, host_header, user_agent, authorization, content_type})
        if (value.find_first_of(forbidden) != std::string_view::npos)
            return false;
    out.clear();
    const auto line = [&out](std::string_view name, std::string_view value) {
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    };
    out += method;
    out += ' ';
    out += target;
    out += " HTTP/1.1\r\n";
    line("Host", host_header);
    line("User-Agent", user_agent);
    line("Accept", "application/json");
    if (!authorization.empty())
        line("Authorization", authorization);
    if (!content_type.empty())
    {
        line("Content-Type", content_type);
        char digits[24];
        const auto end = std::to_chars(digits, digits + sizeof digits, body_size).ptr;
        line("Content-Length", std::string_view(digits, static_cast<std::size_t>(end - digits)));
    }
    else if (method == "POST" || method == "PUT" || method == "PATCH")
    {
        line("Content-Length", "0");
    }
    out += "\r\n";
    return true;
}

bool parse_token_response(std::string_view body, token_grant& grant) noexcept
{
    try
    {
        boost::system::error_code ec;
        auto value = boost::json::parse(body, ec);
        if (ec || !value.is_object())
            return false;
        const auto& object = value.get_object();
        const auto* type = object.if_contains("token_type");
        const auto* token = object.if_contains("access_token");
        if (!type || !token || !type->is_string() || !token->is_string() || token->get_string().empty())
            return false;
        grant.token_type = std::string(type->get_string());
        grant.access_token = std::string(token->get_string());
        grant.expires_in.reset();
        if (const auto* expires = object.if_contains("expires_in"))
        {
            double seconds = -1;
            if (expires->is_int64())
                seconds = static_cast<double>(expires->get_int64());
            else if (expires->is_uint64())
                seconds = static_cast<double>(expires->get_uint64());
            else if (expires->is_double())
                seconds = expires->get_double();
            if (seconds > 0 && seconds < 1e9 && std::isfinite(seconds))
                grant.expires_in = std::chrono::seconds(static_cast<long long>(seconds));
        }
        return true;
    }
    catch (...)
    {
        return false;  // allocation failure
    }
}

std::string server_message(std::string_view body) noexcept
{
    constexpr std::size_t max_length = 512;
    try
    {
        boost::system::error_code ec;
        auto value = boost::json::parse(body, ec);
        if (ec || !value.is_object())
            return {};
        const auto& object = value.get_object();
        for (const char* key : {"error", "errormsg", "message"})
        {
            const auto* text = object.if_contains(key);
            if (text && text->is_string() && !text->get_string().empty())
                return std::string(text->get_string().subview(0, std::min(max_length, text->get_string().size())));
        }
        return {};
    }
    catch (...)
    {
        return {};
    }
}

std::optional<std::chrono::steady_clock::duration> parse_retry_after(std::string_view value) noexcept
{
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.remove_suffix(1);
    unsigned seconds = 0;
    auto [end, err] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (value.empty() || err != std::errc{} || end != value.data() + value.size() || seconds > 24 * 3600)
        return std::nullopt;
    return std::chrono::seconds(seconds);
}

boost::system::error_code error_for_status(unsigned status) noexcept
{
    if (status >= 200 && status < 300)
        return {};
    if (status >= 300 && status < 400)
        return error::redirect_refused;
    switch (status)
    {
    case 401: return error::unauthorized;
    case 403: return error::forbidden;
    case 404: return error::not_found;
    case 413: return error::payload_too_large;
    case 429: return error::rate_limited;
    default: break;
    }
    if (status >= 500)
        return error::server_error;
    return error::bad_request;
}

}  // namespace vovrest::detail
