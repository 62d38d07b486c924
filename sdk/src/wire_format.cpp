#include <vovrest/detail/ascii.hpp>
#include <vovrest/detail/wire_format.hpp>
#include <vovrest/error.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <cstring>
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

char* append_encoded(char* out, std::string_view text, bool form) noexcept
{
    static constexpr char hex[] = "0123456789ABCDEF";
    for (const char ch : text)
    {
        const auto c = static_cast<unsigned char>(ch);
        const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
                                || c == '.' || c == '_' || c == '~';
        if (unreserved)
            *out++ = ch;
        else if (form && c == ' ')
            *out++ = '+';
        else
        {
            *out++ = '%';
            *out++ = hex[c >> 4];
            *out++ = hex[c & 0xF];
        }
    }
    return out;
}

void append_encoded(std::string& out, std::string_view text, bool form)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    for (const char ch : text)
    {
        const auto c = static_cast<unsigned char>(ch);
        const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
                                || c == '.' || c == '_' || c == '~';
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

void append_query(std::string& target, const std::vector<std::pair<std::string, std::string>>& params)
{
    std::size_t size = target.size();
    for (const auto& [name, value] : params)
        size += 2 + 3 * name.size() + 3 * value.size();  // room for every byte escaped as %XX
    target.reserve(size);
    char separator = '?';
    for (const auto& [name, value] : params)
    {
        target.push_back(separator);
        separator = '&';
        append_encoded(target, name, false);
        target.push_back('=');
        append_encoded(target, value, false);
    }
}

namespace {

// Three vectorised memchr passes: std::string_view::find_first_of calls memchr once per
// character of the value instead, and a plain loop is not vectorised at -O2 (a token is long).
bool has_line_break_or_nul(std::string_view value) noexcept
{
    if (value.empty())
        return false;  // data() may be null, which memchr must never see
    return std::memchr(value.data(), '\r', value.size()) || std::memchr(value.data(), '\n', value.size())
           || std::memchr(value.data(), '\0', value.size());
}

}  // namespace

std::string check_extra_header(std::string_view name, std::string_view value)
{
    if (name.empty())
        return "a header has no name";
    for (const char ch : name)
    {
        const auto c = static_cast<unsigned char>(ch);
        const bool token = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                           || std::string_view("!#$%&'*+-.^_`|~").find(ch) != std::string_view::npos;
        if (!token)
            return "the header name '" + std::string(name.substr(0, 64)) + "' is not an HTTP token";
    }
    if (has_line_break_or_nul(value))
        return "the value of header " + std::string(name) + " holds a CR, LF or NUL";
    for (const std::string_view reserved : {"Authorization", "Host", "Content-Length", "Transfer-Encoding",
                                            "Connection", "Keep-Alive", "Upgrade", "TE", "Trailer"})
        if (iequals(name, reserved))
            return "the session sets the " + std::string(reserved) + " header itself";
    return {};
}

std::string check_target(std::string_view target)
{
    bool bad = false;  // no early exit: fewer branches for a short path
    for (const char ch : target)
    {
        const auto c = static_cast<unsigned char>(ch);
        bad |= (c <= 0x20) | (c == 0x7F);
    }
    if (bad)
        return "the path holds a space or a control character (CR, LF, NUL ...)";
    return {};
}

bool write_request_head(std::string& out, std::string_view method, std::string_view target,
                        std::string_view host_header, std::string_view user_agent, std::string_view authorization,
                        std::string_view content_type, std::size_t body_size,
                        std::span<const std::pair<std::string, std::string>> extra)
{
    for (const auto value : {method, target, host_header, user_agent, authorization, content_type})
        if (has_line_break_or_nul(value))
            return false;
    for (const auto& [name, value] : extra)
        if (has_line_break_or_nul(name) || has_line_break_or_nul(value))
            return false;
    char digits[24];
    std::string_view length;
    if (!content_type.empty())
        length = std::string_view(
            digits, static_cast<std::size_t>(std::to_chars(digits, digits + sizeof digits, body_size).ptr - digits));
    else if (method == "POST" || method == "PUT" || method == "PATCH")
        length = "0";

    // Sized once, then filled: no reallocation, one pass.
    constexpr std::string_view accept = "Accept: application/json\r\n";
    std::size_t size = method.size() + 1 + target.size() + 11 + 6 + host_header.size() + 2 + 12 + user_agent.size() + 2
                       + accept.size() + 2;
    if (!authorization.empty())
        size += 15 + authorization.size() + 2;
    if (!content_type.empty())
        size += 14 + content_type.size() + 2;
    if (!length.empty())
        size += 16 + length.size() + 2;
    for (const auto& [name, value] : extra)
        size += name.size() + 2 + value.size() + 2;
    out.resize(size);
    char* p = out.data();
    const auto put = [&p](std::string_view text) {
        if (text.empty())
            return;  // data() may be null
        std::memcpy(p, text.data(), text.size());
        p += text.size();
    };
    put(method);
    put(" ");
    put(target);
    put(" HTTP/1.1\r\nHost: ");
    put(host_header);
    put("\r\nUser-Agent: ");
    put(user_agent);
    put("\r\n");
    put(accept);
    if (!authorization.empty())
    {
        put("Authorization: ");
        put(authorization);
        put("\r\n");
    }
    if (!content_type.empty())
    {
        put("Content-Type: ");
        put(content_type);
        put("\r\n");
    }
    if (!length.empty())
    {
        put("Content-Length: ");
        put(length);
        put("\r\n");
    }
    for (const auto& [name, value] : extra)
    {
        put(name);
        put(": ");
        put(value);
        put("\r\n");
    }
    put("\r\n");
    return true;
}

namespace {

bool has_control_character(std::string_view text) noexcept
{
    for (const char ch : text)
    {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7F)
            return true;
    }
    return false;
}

// Why a token_type or access_token cannot be used; empty when it can.
std::string_view unusable_token_text(std::string_view text, std::string_view name) noexcept
{
    if (text.size() > max_token_bytes)
        return name == "token_type" ? "the token endpoint's token_type is larger than 16 KiB"
                                    : "the token endpoint's access_token is larger than 16 KiB";
    if (has_control_character(text))
        return name == "token_type" ? "the token endpoint's token_type holds a control character"
                                    : "the token endpoint's access_token holds a control character";
    return {};
}

}  // namespace

bool parse_token_response(std::string_view body, token_grant& grant) noexcept
{
    std::string_view why;
    return parse_token_response(body, grant, why);
}

bool parse_token_response(std::string_view body, token_grant& grant, std::string_view& why) noexcept
{
    try
    {
        if (body.size() > max_token_answer_bytes)
        {
            why = "the token endpoint's answer is larger than 64 KiB";
            return false;
        }
        boost::system::error_code ec;
        auto value = boost::json::parse(body, ec);
        if (ec || !value.is_object())
        {
            why = "the token endpoint's answer is not a JSON object";
            return false;
        }
        const auto& object = value.get_object();
        const auto* type = object.if_contains("token_type");
        const auto* token = object.if_contains("access_token");
        if (!type || !token || !type->is_string() || !token->is_string() || token->get_string().empty())
        {
            why = "the token endpoint's answer has no token_type and access_token";
            return false;
        }
        // Both go into every request's Authorization header, and `vovrest token` prints them.
        why = unusable_token_text(type->get_string(), "token_type");
        if (why.empty())
            why = unusable_token_text(token->get_string(), "access_token");
        if (!why.empty())
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
        why = "out of memory reading the token endpoint's answer";
        return false;
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

namespace {

// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 5.6.7): the only form a server must send.
std::optional<std::chrono::system_clock::time_point> parse_imf_fixdate(std::string_view text) noexcept
{
    static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (text.size() != 29 || text[3] != ',' || text[4] != ' ' || text.substr(25) != " GMT")
        return std::nullopt;
    const auto number = [&](std::size_t at, std::size_t width, unsigned& out) {
        const auto [end, err] = std::from_chars(text.data() + at, text.data() + at + width, out);
        return err == std::errc{} && end == text.data() + at + width;
    };
    unsigned day = 0, year = 0, hour = 0, minute = 0, second = 0;
    if (!number(5, 2, day) || text[7] != ' ' || text[11] != ' ' || !number(12, 4, year) || text[16] != ' '
        || !number(17, 2, hour) || text[19] != ':' || !number(20, 2, minute) || text[22] != ':'
        || !number(23, 2, second))
        return std::nullopt;
    // The clock counts nanoseconds in 64 bits: years past 2262 do not fit (a fuzzer's 9999
    // overflowed). A Retry-After that far ahead is capped anyway.
    if (year < 1970 || year > 2200)
        return std::nullopt;
    unsigned month = 0;
    while (month < 12 && months[month] != text.substr(8, 3))
        ++month;
    const std::chrono::year_month_day date{std::chrono::year(static_cast<int>(year)), std::chrono::month(month + 1),
                                           std::chrono::day(day)};
    if (month == 12 || !date.ok() || hour > 23 || minute > 59 || second > 60)
        return std::nullopt;
    return std::chrono::sys_days(date) + std::chrono::hours(hour) + std::chrono::minutes(minute)
           + std::chrono::seconds(second);
}

}  // namespace

std::optional<std::chrono::steady_clock::duration> parse_retry_after(std::string_view value,
                                                                     std::chrono::system_clock::time_point now) noexcept
{
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.remove_suffix(1);
    if (value.empty())
        return std::nullopt;
    constexpr auto longest = std::chrono::hours(24);
    unsigned seconds = 0;
    auto [end, err] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (err == std::errc{} && end == value.data() + value.size())
    {
        if (std::chrono::seconds(seconds) > longest)
            return std::nullopt;
        return std::chrono::seconds(seconds);
    }
    const auto date = parse_imf_fixdate(value);
    if (!date)
        return std::nullopt;
    if (*date <= now)
        return std::chrono::steady_clock::duration::zero();
    if (*date - now > longest)
        return std::nullopt;
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(*date - now);
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
