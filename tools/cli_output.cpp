#include "cli_output.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>

namespace vovrest::cli {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";

// Length of the well-formed UTF-8 sequence at the start of `s` (1 to 4), 0 when it is not one;
// `code` receives its code point.
std::size_t utf8_sequence(std::string_view s, char32_t& code) noexcept
{
    const auto byte = [&s](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char lead = byte(0);
    std::size_t length = 0;
    char32_t min = 0;
    if (lead < 0x80)
    {
        code = lead;
        return 1;
    }
    if ((lead & 0xe0) == 0xc0)
    {
        length = 2;
        code = lead & 0x1f;
        min = 0x80;
    }
    else if ((lead & 0xf0) == 0xe0)
    {
        length = 3;
        code = lead & 0x0f;
        min = 0x800;
    }
    else if ((lead & 0xf8) == 0xf0)
    {
        length = 4;
        code = lead & 0x07;
        min = 0x10000;
    }
    else
        return 0;
    if (s.size() < length)
        return 0;
    for (std::size_t i = 1; i < length; ++i)
    {
        if ((byte(i) & 0xc0) != 0x80)
            return 0;
        code = (code << 6) | (byte(i) & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
        return 0;
    return length;
}

void append_hex_byte(std::string& out, unsigned char c)
{
    out += "\\x";
    out += hex_digits[c >> 4];
    out += hex_digits[c & 0xf];
}

void append_u_escape(std::string& out, char32_t code)
{
    out += "\\u00";
    out += hex_digits[(code >> 4) & 0xf];
    out += hex_digits[code & 0xf];
}

// Calls sink(piece) for each run of characters kept and each escape, in order.
template <class Sink>
void escape_text(std::string_view text, bool keep_lines, Sink&& sink)
{
    std::string escape;
    std::size_t run = 0;  // length of the run of kept characters at the front of `text`
    const auto flush = [&] {
        if (run > 0)
            sink(text.substr(0, run));
        text.remove_prefix(run);
        run = 0;
    };
    while (run < text.size())
    {
        char32_t code = 0;
        const std::string_view rest = text.substr(run);
        const std::size_t length = utf8_sequence(rest, code);
        escape.clear();
        const bool kept_line_end = keep_lines && length == 1 && (code == '\n' || code == '\t');
        if (length == 0)
            append_hex_byte(escape, static_cast<unsigned char>(rest.front()));
        else if (kept_line_end)
            escape.clear();
        else if (code == '\n')
            escape = "\\n";
        else if (code == '\t')
            escape = "\\t";
        else if (code == '\r')
            escape = "\\r";
        else if (code < 0x20 || code == 0x7f)
            append_hex_byte(escape, static_cast<unsigned char>(code));
        else if (code >= 0x80 && code <= 0x9f)
            append_u_escape(escape, code);
        if (escape.empty())
        {
            run += length;
            continue;
        }
        flush();
        sink(std::string_view(escape));
        text.remove_prefix(length == 0 ? 1 : length);
    }
    flush();
}

std::string printable(std::string_view text, bool keep_lines)
{
    std::string out;
    out.reserve(text.size());
    escape_text(text, keep_lines, [&out](std::string_view piece) { out.append(piece); });
    return out;
}

void append_json_string(std::string& out, std::string_view text)
{
    out += '"';
    while (!text.empty())
    {
        char32_t code = 0;
        const std::size_t length = utf8_sequence(text, code);
        if (length == 0)
        {
            out += "\\ufffd";
            text.remove_prefix(1);
            continue;
        }
        switch (code)
        {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (code < 0x20 || code == 0x7f || (code >= 0x80 && code <= 0x9f))
                append_u_escape(out, code);
            else
                out.append(text.substr(0, length));
        }
        text.remove_prefix(length);
    }
    out += '"';
}

void append_double(std::string& out, double d)
{
    if (!std::isfinite(d))
    {
        out += "null";
        return;
    }
    char buffer[400];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d, std::chars_format::fixed);
    if (ec != std::errc{})
    {
        out += "null";
        return;
    }
    out.append(buffer, end);
}

void append_json(std::string& out, const boost::json::value& v)
{
    switch (v.kind())
    {
    case boost::json::kind::null: out += "null"; break;
    case boost::json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case boost::json::kind::int64: out += std::to_string(v.get_int64()); break;
    case boost::json::kind::uint64: out += std::to_string(v.get_uint64()); break;
    case boost::json::kind::double_: append_double(out, v.get_double()); break;
    case boost::json::kind::string: append_json_string(out, v.get_string()); break;
    case boost::json::kind::array:
    {
        out += '[';
        bool first = true;
        for (const auto& element : v.get_array())
        {
            if (!std::exchange(first, false))
                out += ',';
            append_json(out, element);
        }
        out += ']';
        break;
    }
    case boost::json::kind::object:
    {
        out += '{';
        bool first = true;
        for (const auto& member : v.get_object())
        {
            if (!std::exchange(first, false))
                out += ',';
            append_json_string(out, member.key());
            out += ':';
            append_json(out, member.value());
        }
        out += '}';
        break;
    }
    }
}

// Validates a JSON document without building it, and keeps the top-level "errormsg" string.
class body_checker
{
public:
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);

    using ec_t = boost::system::error_code;
    using sv = boost::json::string_view;

    std::string errormsg;

    bool on_document_begin(ec_t&) { return true; }
    bool on_document_end(ec_t&) { return true; }
    bool on_object_begin(ec_t&) { return open(true); }
    bool on_object_end(std::size_t, ec_t&) { return close(); }
    bool on_array_begin(ec_t&) { return open(false); }
    bool on_array_end(std::size_t, ec_t&) { return close(); }
    bool on_key_part(sv s, std::size_t, ec_t&)
    {
        if (depth_ == 1 && top_is_object_)
            key_.append(s.data(), s.size());
        return true;
    }
    bool on_key(sv s, std::size_t, ec_t&)
    {
        if (depth_ == 1 && top_is_object_)
        {
            key_.append(s.data(), s.size());
            wanted_ = key_ == "errormsg";
            key_.clear();
        }
        return true;
    }
    bool on_string_part(sv s, std::size_t, ec_t&)
    {
        if (depth_ == 1 && wanted_)
            errormsg.append(s.data(), s.size());
        return true;
    }
    bool on_string(sv s, std::size_t, ec_t&)
    {
        if (depth_ == 1 && wanted_)
            errormsg.append(s.data(), s.size());
        return value_done();
    }
    bool on_number_part(sv, ec_t&) { return true; }
    bool on_int64(std::int64_t, sv, ec_t&) { return value_done(); }
    bool on_uint64(std::uint64_t, sv, ec_t&) { return value_done(); }
    bool on_double(double, sv, ec_t&) { return value_done(); }
    bool on_bool(bool, ec_t&) { return value_done(); }
    bool on_null(ec_t&) { return value_done(); }
    bool on_comment_part(sv, ec_t&) { return true; }
    bool on_comment(sv, ec_t&) { return true; }

private:
    bool open(bool object)
    {
        if (depth_ == 0)
            top_is_object_ = object;
        if (depth_ == 1)
            wanted_ = false;
        ++depth_;
        return true;
    }
    bool close()
    {
        --depth_;
        return true;
    }
    bool value_done()
    {
        if (depth_ == 1)
            wanted_ = false;
        return true;
    }

    std::size_t depth_ = 0;
    bool top_is_object_ = false;
    bool wanted_ = false;
    std::string key_;
};

}  // namespace

std::string printable_line(std::string_view text)
{
    return printable(text, false);
}

std::string printable_text(std::string_view text)
{
    return printable(text, true);
}

std::string json_string(std::string_view text)
{
    std::string out;
    out.reserve(text.size() + 2);
    append_json_string(out, text);
    return out;
}

std::string json_text(const boost::json::value& value)
{
    std::string out;
    append_json(out, value);
    return out;
}

json_body check_json_body(std::string_view body)
{
    boost::json::parse_options options;
    options.max_depth = 1000;
    boost::json::basic_parser<body_checker> parser(options);
    boost::system::error_code ec;
    const std::size_t used = parser.write_some(false, body.data(), body.size(), ec);
    json_body result;
    result.valid = !ec && used == body.size();
    if (result.valid)
        result.errormsg = std::move(parser.handler().errormsg);
    return result;
}

namespace {

// Valid JSON: C1 codes and DEL occur only inside strings, where \u escapes mean the same;
// whitespace between tokens is dropped so that the document is one line.
template <class Sink>
void one_line_json(std::string_view body, Sink&& sink)
{
    bool in_string = false;
    bool escaped = false;
    std::size_t start = 0;  // first byte of the run not yet given to the sink
    std::string escape;
    const auto cut = [&](std::size_t i, std::size_t skip, std::string_view replacement) {
        if (i > start)
            sink(body.substr(start, i - start));
        if (!replacement.empty())
            sink(replacement);
        start = i + skip;
    };
    for (std::size_t i = 0; i < body.size(); ++i)
    {
        const auto c = static_cast<unsigned char>(body[i]);
        if (!in_string && (c == ' ' || c == '\n' || c == '\r' || c == '\t'))
        {
            cut(i, 1, {});
            continue;
        }
        if (c == 0x7f
            || (c == 0xc2 && i + 1 < body.size() && static_cast<unsigned char>(body[i + 1]) >= 0x80
                && static_cast<unsigned char>(body[i + 1]) <= 0x9f))
        {
            escape.clear();
            const bool two = c == 0xc2;
            append_u_escape(escape, two ? static_cast<unsigned char>(body[i + 1]) : c);
            cut(i, two ? 2 : 1, escape);
            i += two ? 1 : 0;
            continue;
        }
        if (in_string)
        {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        }
        else if (c == '"')
            in_string = true;
    }
    cut(body.size(), 0, {});
}

}  // namespace

std::string json_body_text(std::string_view body, bool valid)
{
    if (!valid)
        return json_string(body);
    std::string out;
    out.reserve(body.size());
    one_line_json(body, [&out](std::string_view piece) { out.append(piece); });
    return out;
}

void write_json_body(std::ostream& out, std::string_view body, bool valid)
{
    if (!valid)
        out << json_string(body);
    else
        one_line_json(body, [&out](std::string_view piece) {
            out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
        });
    out << '\n';
}

void write_printable_text(std::ostream& out, std::string_view text)
{
    escape_text(text, true, [&out](std::string_view piece) {
        out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
    });
    if (!text.empty() && text.back() != '\n')
        out << '\n';
}

void print_line(std::string_view text)
{
    std::cout << text << '\n';
}

}  // namespace vovrest::cli
