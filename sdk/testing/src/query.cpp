#include "query.hpp"

#include <vovrest/detail/ascii.hpp>

#include "form.hpp"
#include "utf8.hpp"

#include <algorithm>
#include <charconv>

namespace vovrest::testing::detail {

namespace {

using vovrest::detail::iequals;

bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && is_space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_space(s.back()))
        s.remove_suffix(1);
    return s;
}

std::optional<std::int64_t> parse_int(std::string_view s)
{
    std::int64_t v = 0;
    const char* begin = s.data();
    if (!s.empty() && s.front() == '+')
        ++begin;
    auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), v);
    if (ec != std::errc{} || ptr != s.data() + s.size() || begin == s.data() + s.size())
        return std::nullopt;
    return v;
}

std::vector<std::string_view> split_commas(std::string_view s)
{
    std::vector<std::string_view> parts;
    while (true)
    {
        std::size_t comma = s.find(',');
        parts.push_back(trim(s.substr(0, comma)));
        if (comma == std::string_view::npos)
            break;
        s = s.substr(comma + 1);
    }
    return parts;
}

// ---- the selection rule ----

enum class op
{
    eq,
    ne,
    lt,
    le,
    gt,
    ge,
    contains
};

enum class token_kind
{
    word,
    quoted,
    op,
    and_,
    or_,
    lparen,
    rparen,
    end
};

struct token
{
    token_kind kind = token_kind::end;
    std::string text;
    op oper = op::eq;
};

bool is_special(char c)
{
    switch (c)
    {
    case '=':
    case '!':
    case '<':
    case '>':
    case '~':
    case '&':
    case '|':
    case '(':
    case ')':
    case '"':
    case '\'': return true;
    default: return is_space(c);
    }
}

// Splits a rule into tokens; the error is a message.
std::variant<std::vector<token>, std::string> tokenize(std::string_view s)
{
    std::vector<token> out;
    std::size_t i = 0;
    auto two = [&](std::string_view t) { return s.substr(i, 2) == t; };
    while (i < s.size())
    {
        char c = s[i];
        if (is_space(c))
        {
            ++i;
        }
        else if (two("&&"))
        {
            out.push_back({token_kind::and_, "&&"});
            i += 2;
        }
        else if (two("||"))
        {
            out.push_back({token_kind::or_, "||"});
            i += 2;
        }
        else if (c == '(' || c == ')')
        {
            out.push_back({c == '(' ? token_kind::lparen : token_kind::rparen, std::string(1, c)});
            ++i;
        }
        else if (two("==") || two("!=") || two("<=") || two(">="))
        {
            op o = two("==") ? op::eq : two("!=") ? op::ne : two("<=") ? op::le : op::ge;
            out.push_back({token_kind::op, std::string(s.substr(i, 2)), o});
            i += 2;
        }
        else if (c == '=' || c == '<' || c == '>' || c == '~')
        {
            op o = c == '=' ? op::eq : c == '<' ? op::lt : c == '>' ? op::gt : op::contains;
            out.push_back({token_kind::op, std::string(1, c), o});
            ++i;
        }
        else if (c == '"' || c == '\'')
        {
            std::string text;
            std::size_t j = i + 1;
            bool closed = false;
            for (; j < s.size(); ++j)
            {
                if (s[j] == '\\' && j + 1 < s.size() && (s[j + 1] == c || s[j + 1] == '\\'))
                {
                    text += s[++j];
                }
                else if (s[j] == c)
                {
                    closed = true;
                    break;
                }
                else
                {
                    text += s[j];
                }
            }
            if (!closed)
                return std::string("unterminated quoted value in selection rule");
            out.push_back({token_kind::quoted, std::move(text)});
            i = j + 1;
        }
        else if (c == '!' || c == '&' || c == '|')
        {
            return "unexpected '" + std::string(1, c) + "' in selection rule";
        }
        else
        {
            std::size_t j = i;
            while (j < s.size() && !is_special(s[j]))
                ++j;
            out.push_back({token_kind::word, std::string(s.substr(i, j - i))});
            i = j;
        }
    }
    out.push_back({token_kind::end, ""});
    return out;
}

}  // namespace

struct selection_rule::node
{
    enum class kind
    {
        compare,
        all_of,
        any_of
    } what = kind::compare;
    // compare
    std::size_t field = 0;
    op oper = op::eq;
    std::string value;
    std::optional<std::int64_t> number;
    // all_of / any_of
    std::vector<std::shared_ptr<const node>> children;

    bool matches(const std::vector<cell>& row) const
    {
        switch (what)
        {
        case kind::all_of:
            return std::all_of(children.begin(), children.end(), [&](const auto& c) { return c->matches(row); });
        case kind::any_of:
            return std::any_of(children.begin(), children.end(), [&](const auto& c) { return c->matches(row); });
        case kind::compare: break;
        }
        const cell& c = row.at(field);
        int cmp = 0;
        if (const auto* i = std::get_if<std::int64_t>(&c); i != nullptr && number)
        {
            cmp = *i < *number ? -1 : *i > *number ? 1 : 0;
        }
        else
        {
            std::string text = to_string(c);
            if (oper == op::contains)
                return text.find(value) != std::string::npos;
            int r = text.compare(value);
            cmp = r < 0 ? -1 : r > 0 ? 1 : 0;
        }
        switch (oper)
        {
        case op::eq: return cmp == 0;
        case op::ne: return cmp != 0;
        case op::lt: return cmp < 0;
        case op::le: return cmp <= 0;
        case op::gt: return cmp > 0;
        case op::ge: return cmp >= 0;
        case op::contains: return to_string(c).find(value) != std::string::npos;
        }
        return false;
    }
};

namespace {

using node_ptr = std::shared_ptr<const selection_rule::node>;
using parse_result = std::variant<node_ptr, std::string>;

class rule_parser
{
public:
    rule_parser(std::vector<token> tokens, std::span<const std::string_view> fields)
        : tokens_(std::move(tokens)), fields_(fields)
    {}

    parse_result parse_all()
    {
        auto r = parse_or();
        if (std::holds_alternative<node_ptr>(r) && peek().kind != token_kind::end)
            return "unexpected '" + peek().text + "' in selection rule";
        return r;
    }

private:
    const token& peek() const { return tokens_[pos_]; }
    const token& next() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }

    parse_result parse_or()
    {
        auto node = std::make_shared<selection_rule::node>();
        node->what = selection_rule::node::kind::any_of;
        while (true)
        {
            auto r = parse_and();
            if (auto* e = std::get_if<std::string>(&r))
                return std::move(*e);
            node->children.push_back(std::get<node_ptr>(std::move(r)));
            if (peek().kind != token_kind::or_)
                break;
            next();
        }
        if (node->children.size() == 1)
            return node->children.front();
        return node_ptr(node);
    }

    parse_result parse_and()
    {
        auto node = std::make_shared<selection_rule::node>();
        node->what = selection_rule::node::kind::all_of;
        while (true)
        {
            auto r = parse_primary();
            if (auto* e = std::get_if<std::string>(&r))
                return std::move(*e);
            node->children.push_back(std::get<node_ptr>(std::move(r)));
            if (peek().kind == token_kind::and_)
                next();
            else if (peek().kind != token_kind::word && peek().kind != token_kind::lparen)
                break;  // juxtaposition continues the conjunction
        }
        if (node->children.size() == 1)
            return node->children.front();
        return node_ptr(node);
    }

    parse_result parse_primary()
    {
        const token& t = next();
        if (t.kind == token_kind::lparen)
        {
            if (depth_ == selection_rule::max_nesting)
                return "selection rule nested deeper than " + std::to_string(selection_rule::max_nesting)
                       + " parentheses";
            ++depth_;
            auto r = parse_or();
            --depth_;
            if (std::holds_alternative<std::string>(r))
                return r;
            if (next().kind != token_kind::rparen)
                return std::string("missing ')' in selection rule");
            return r;
        }
        if (t.kind != token_kind::word)
            return t.kind == token_kind::end ? std::string("incomplete selection rule")
                                             : "unexpected '" + t.text + "' in selection rule";
        auto index = find_field_index(fields_, t.text);
        if (!index)
            return "unknown field '" + t.text + "'";
        const token& o = next();
        if (o.kind != token_kind::op)
            return "expected a comparison after '" + t.text + "' in selection rule";
        const token& v = next();
        if (v.kind != token_kind::word && v.kind != token_kind::quoted)
            return "expected a value after '" + t.text + o.text + "' in selection rule";
        auto node = std::make_shared<selection_rule::node>();
        node->field = *index;
        node->oper = o.oper;
        node->value = v.text;
        if (o.oper != op::contains)
            node->number = parse_int(v.text);
        return node_ptr(node);
    }

    std::vector<token> tokens_;
    std::span<const std::string_view> fields_;
    std::size_t pos_ = 0;
    std::size_t depth_ = 0;  // parentheses open around the current token
};

int compare_cells(const cell& a, const cell& b)
{
    if (a.index() != b.index())
        return a.index() < b.index() ? -1 : 1;  // integers before strings
    if (const auto* i = std::get_if<std::int64_t>(&a))
    {
        std::int64_t j = std::get<std::int64_t>(b);
        return *i < j ? -1 : *i > j ? 1 : 0;
    }
    int r = std::get<std::string>(a).compare(std::get<std::string>(b));
    return r < 0 ? -1 : r > 0 ? 1 : 0;
}

struct order_key
{
    std::size_t field = 0;
    bool descending = false;
};

std::variant<std::vector<order_key>, std::string> parse_order(std::string_view text,
                                                              std::span<const std::string_view> fields)
{
    std::vector<order_key> keys;
    if (trim(text).empty())
        return keys;
    for (std::string_view part : split_commas(text))
    {
        std::size_t space = part.find_first_of(" \t");
        std::string_view name = part.substr(0, space);
        std::string_view direction = space == std::string_view::npos ? std::string_view{} : trim(part.substr(space));
        auto index = find_field_index(fields, name);
        if (!index)
            return "unknown field '" + std::string(name) + "' in order";
        order_key key{*index, false};
        if (iequals(direction, "desc"))
            key.descending = true;
        else if (!direction.empty() && !iequals(direction, "asc"))
            return "bad order direction '" + std::string(direction) + "'";
        keys.push_back(key);
    }
    return keys;
}

}  // namespace

std::optional<std::size_t> find_field_index(std::span<const std::string_view> fields, std::string_view name)
{
    for (std::size_t i = 0; i < fields.size(); ++i)
        if (iequals(fields[i], name))
            return i;
    return std::nullopt;
}

std::variant<selection_rule, std::string> selection_rule::compile(std::string_view text,
                                                                  std::span<const std::string_view> fields)
{
    selection_rule rule;
    if (trim(text).empty())
        return rule;
    auto tokens = tokenize(text);
    if (auto* e = std::get_if<std::string>(&tokens))
        return std::move(*e);
    rule_parser parser(std::get<std::vector<token>>(std::move(tokens)), fields);
    auto r = parser.parse_all();
    if (auto* e = std::get_if<std::string>(&r))
        return std::move(*e);
    rule.root_ = std::get<node_ptr>(std::move(r));
    return rule;
}

bool selection_rule::matches(const std::vector<cell>& row) const
{
    return root_ == nullptr || root_->matches(row);
}

std::variant<query_request, std::string> parse_query_string(std::string_view encoded)
{
    auto fields = parse_form(encoded);
    if (!fields)
        return std::string("bad percent-encoding in the query string");
    query_request request;
    for (const auto& [name, value] : *fields)
    {
        std::string v(trim(value));
        const bool known = name == "select" || name == "from" || name == "where" || name == "order" || name == "orderby"
                           || name == "limit" || name == "format";
        if (known && !is_valid_utf8(v))
            return "the query parameter " + name + " is not valid UTF-8";  // it would be echoed
        if (name == "select")
            request.select = v.empty() ? "*" : v;
        else if (name == "from")
            request.from = v.empty() ? "jobs" : v;
        else if (name == "where")
            request.where = v;
        else if (name == "order" || name == "orderby")
            request.order = v;
        else if (name == "limit")
            request.limit = v;
        else if (name == "format")
        {
            if (v.empty() || iequals(v, "json"))
                request.format = query_format::json;
            else if (iequals(v, "csv"))
                request.format = query_format::csv;
            else if (iequals(v, "csv-noheader"))
                request.format = query_format::csv_noheader;
            else
                return "unknown format '" + v + "' (json, csv or csv-noheader)";
        }
    }
    return request;
}

std::string echo(const query_request& request)
{
    std::string out = "SELECT " + request.select + " FROM " + request.from;
    if (!request.where.empty())
        out += " WHERE " + request.where;
    if (!request.order.empty())
        out += " ORDERBY " + request.order;
    if (!request.limit.empty())
        out += " LIMIT " + request.limit;
    return out;
}

table run_query(const query_request& request, std::string_view source, std::span<const std::string_view> fields,
                std::vector<std::vector<cell>> rows)
{
    table out;
    out.query = echo(request);
    auto fail = [&](std::string message) {
        out.errormsg = std::move(message);
        out.columns.clear();
        return std::move(out);
    };

    if (!iequals(request.from, source))
        return fail("unknown table '" + request.from + "'");

    std::vector<std::size_t> selected;
    if (trim(request.select) == "*")
    {
        for (std::size_t i = 0; i < fields.size(); ++i)
            selected.push_back(i);
    }
    else
    {
        for (std::string_view name : split_commas(request.select))
        {
            auto index = find_field_index(fields, name);
            if (!index)
                return fail("unknown field '" + std::string(name) + "'");
            selected.push_back(*index);
        }
    }
    for (std::size_t i : selected)
        out.columns.emplace_back(fields[i]);

    auto rule = selection_rule::compile(request.where, fields);
    if (auto* e = std::get_if<std::string>(&rule))
        return fail(std::move(*e));
    auto order = parse_order(request.order, fields);
    if (auto* e = std::get_if<std::string>(&order))
        return fail(std::move(*e));
    std::optional<std::size_t> limit;
    if (!request.limit.empty())
    {
        auto n = parse_int(request.limit);
        if (!n || *n < 0)
            return fail("bad limit '" + request.limit + "'");
        if (*n > 0)
            limit = static_cast<std::size_t>(*n);
    }

    const auto& matcher = std::get<selection_rule>(rule);
    std::erase_if(rows, [&](const auto& row) { return !matcher.matches(row); });
    const auto& keys = std::get<std::vector<order_key>>(order);
    if (!keys.empty())
    {
        std::stable_sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
            for (const auto& key : keys)
            {
                int c = compare_cells(a[key.field], b[key.field]);
                if (c != 0)
                    return key.descending ? c > 0 : c < 0;
            }
            return false;
        });
    }
    if (limit && rows.size() > *limit)
        rows.resize(*limit);

    out.rows.reserve(rows.size());
    for (auto& row : rows)
    {
        std::vector<cell> r;
        r.reserve(selected.size());
        for (std::size_t i : selected)
            r.push_back(row[i]);
        out.rows.push_back(std::move(r));
    }
    return out;
}

}  // namespace vovrest::testing::detail
