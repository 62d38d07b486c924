// The table parser takes untrusted bytes (fuzzed by tests/fuzz/table_fuzz.cpp). Tolerant where the
// reference is silent: startrow, endrow and query may be missing; a column may be a plain name
// instead of {"col", "field"}; columns and rows may be missing when errormsg says why.
#include <vovrest/error.hpp>
#include <vovrest/detail/ascii.hpp>
#include <vovrest/table.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <cstdint>
#include <limits>

namespace vovrest {
namespace {

namespace json = boost::json;


std::optional<std::int64_t> integer_of(const json::value& v) noexcept
{
    if (v.is_int64())
        return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return static_cast<std::int64_t>(v.get_uint64());
    return std::nullopt;
}

// Fills `out` from `body`; returns the reason when the shape is wrong.
std::string parse_into(std::string_view body, std::int64_t& startrow, std::int64_t& endrow, std::string& query,
                       std::string& errormsg, std::vector<std::string>& columns,
                       std::vector<table::row_type>& rows)
{
    // The document lives only for this call, so its nodes and keys come from an arena (a small
    // reply fits in the stack buffer) instead of one allocation each. Nothing that outlives the
    // call may point into it: the cells are copied out into default storage below.
    unsigned char buffer[4096];
    json::monotonic_resource arena(buffer, sizeof buffer);
    boost::system::error_code ec;
    const json::value doc = json::parse(body, ec, &arena);
    if (ec)
        return "the body is not JSON: " + ec.message();
    if (!doc.is_object())
        return "the body is not a table object";
    const json::object& object = doc.get_object();

    for (auto [name, target] : {std::pair{"startrow", &startrow}, std::pair{"endrow", &endrow}})
    {
        if (const auto* v = object.if_contains(name))
        {
            auto n = integer_of(*v);
            if (!n)
                return std::string("\"") + name + "\" is not an integer";
            *target = *n;
        }
    }
    for (auto [name, target] : {std::pair{"query", &query}, std::pair{"errormsg", &errormsg}})
    {
        if (const auto* v = object.if_contains(name))
        {
            if (!v->is_string() && !v->is_null())
                return std::string("\"") + name + "\" is not a string";
            if (v->is_string())
                target->assign(v->get_string());
        }
    }

    const auto* cols = object.if_contains("columns");
    const auto* data = object.if_contains("rows");
    if (cols == nullptr || data == nullptr)
    {
        if (!errormsg.empty())
            return {};  // an error table may leave both out
        return "the table has no \"columns\" or no \"rows\"";
    }
    if (!cols->is_array() || !data->is_array())
        return "\"columns\" and \"rows\" must be arrays";

    const json::array& col_array = cols->get_array();
    const std::size_t width = col_array.size();
    columns.assign(width, std::string{});
    std::vector<bool> taken(width, false);
    for (std::size_t i = 0; i < width; ++i)
    {
        const json::value& c = col_array[i];
        std::size_t position = i;
        std::string_view name;
        if (c.is_string())
            name = c.get_string();
        else if (c.is_object())
        {
            const auto* field = c.get_object().if_contains("field");
            if (field == nullptr || !field->is_string())
                return "a column has no \"field\" name";
            name = field->get_string();
            if (const auto* col = c.get_object().if_contains("col"))
            {
                auto n = integer_of(*col);
                if (!n || *n < 0 || static_cast<std::uint64_t>(*n) >= width)
                    return "a column's \"col\" is not a position in the row";
                position = static_cast<std::size_t>(*n);
            }
        }
        else
            return "a column is neither a name nor {\"col\", \"field\"}";
        if (taken[position])
            return "two columns claim the same position";
        taken[position] = true;
        columns[position].assign(name);
    }

    const json::array& row_array = data->get_array();
    rows.reserve(row_array.size());
    for (const json::value& r : row_array)
    {
        if (!r.is_array())
            return "a row is not an array";
        if (r.get_array().size() != width)
            return "a row has " + std::to_string(r.get_array().size()) + " cells for " + std::to_string(width)
                 + " columns";
        table::row_type& row = rows.emplace_back();
        row.reserve(width);
        // The storage is named: a copy would otherwise keep the arena's, which dies with `doc`.
        // Scalars and short strings copy without allocating; a long string or a nested value
        // allocates once, as it did when the document itself was parsed into default storage.
        for (const json::value& cell : r.get_array())
            row.emplace_back(cell, json::storage_ptr());
    }
    return {};
}

[[noreturn]] void throw_bad_response(std::string text)
{
    throw error_with_diagnostics(error::bad_response, diagnostics{0, std::move(text), {}, {}, {}});
}

}  // namespace

std::string table_cell::as_string() const
{
    if (value_->is_string())
        return std::string(value_->get_string());
    if (value_->is_null())
        return {};
    return json::serialize(*value_);
}

std::optional<std::int64_t> table_cell::try_int() const noexcept
{
    if (auto n = integer_of(*value_))
        return n;
    if (!value_->is_string())
        return std::nullopt;
    std::string_view text = value_->get_string();
    std::int64_t n = 0;
    auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || text.front() == '-' || err != std::errc{} || end != text.data() + text.size())
        return std::nullopt;
    return n;
}

std::int64_t table_cell::as_int() const
{
    if (auto n = try_int())
        return *n;
    std::string shown = json::serialize(*value_);
    if (shown.size() > 64)
        shown = shown.substr(0, 64) + "...";
    throw_bad_response("expected an integer, got " + shown);
}

table table::parse(std::string_view body)
{
    boost::system::error_code ec;
    diagnostics diag;
    table t = parse(body, ec, diag);
    throw_on_error(ec, diag);
    return t;
}

table table::parse(std::string_view body, boost::system::error_code& ec, diagnostics& diag)
{
    ec.clear();
    diag.clear();
    table t;
    std::string reason = parse_into(body, t.startrow_, t.endrow_, t.query_, t.errormsg_, t.columns_, t.rows_);
    if (!reason.empty())
    {
        ec = error::bad_response;
        diag.server_message = "not an Accelerator table: " + reason;
        return table{};
    }
    if (!t.errormsg_.empty())
    {
        ec = error::query_failed;
        diag.server_message = t.errormsg_;
    }
    return t;
}

std::optional<std::size_t> table::column_index(std::string_view name) const noexcept
{
    for (std::size_t i = 0; i < columns_.size(); ++i)
        if (detail::iequals(columns_[i], name))
            return i;
    return std::nullopt;
}

table_cell table::at(std::size_t row, std::size_t column) const
{
    if (row >= rows_.size())
        throw_bad_response("row " + std::to_string(row) + " asked of a table of " + std::to_string(rows_.size())
                           + " rows");
    if (column >= columns_.size())
        throw_bad_response("column " + std::to_string(column) + " asked of a table of "
                           + std::to_string(columns_.size()) + " columns");
    return table_cell(rows_[row][column]);
}

table_cell table::at(std::size_t row, std::string_view column) const
{
    auto index = column_index(column);
    if (!index)
        throw_bad_response("the table has no column \"" + std::string(column.substr(0, 64)) + "\"");
    return at(row, *index);
}

void table::check() const
{
    if (!errormsg_.empty())
        throw error_with_diagnostics(error::query_failed, diagnostics{0, errormsg_, {}, {}, {}});
}

}  // namespace vovrest
