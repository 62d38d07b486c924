// The table parser takes untrusted bytes (fuzzed by tests/fuzz/table_fuzz.cpp). Tolerant where the
// reference is silent: startrow, endrow and query may be missing; a column may be a plain name
// instead of {"col", "field"}; columns and rows may be missing when errormsg says why.
//
// Memory: a query answer can be tens of megabytes of one-cell rows. A DOM of it (then a copy into
// rows of JSON values) took about 32 times the body. Here the body is read once by a SAX parser
// (boost::json::basic_parser) and each cell is written straight into one byte array in a compact
// encoding (table_codec.hpp), with one 32-bit offset per row: the table is smaller than the text.
#include "table_codec.hpp"

#include <vovrest/detail/ascii.hpp>
#include <vovrest/error.hpp>
#include <vovrest/table.hpp>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_stack.hpp>

#include <charconv>
#include <cstdint>
#include <exception>
#include <limits>
#include <new>

namespace vovrest {
namespace detail {

namespace json = boost::json;

// The rows of one table: cells encoded one after another, and where each row starts.
class table_store
{
public:
    growable_array<unsigned char> cells;
    growable_array<std::uint32_t> row_starts;
    std::size_t width = 0;

    std::size_t size() const noexcept { return row_starts.size(); }
    table_row row(std::size_t r) const noexcept { return row_at(cells.data() + row_starts[r], width); }
    static table_row row_at(const unsigned char* first, std::size_t width) noexcept { return {first, width}; }
};

namespace {

std::optional<std::int64_t> integer_of(const json::value& v) noexcept
{
    if (v.is_int64())
        return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return static_cast<std::int64_t>(v.get_uint64());
    return std::nullopt;
}

// The column names in row order, from the `columns` member; the reason when its shape is wrong.
std::string place_columns(const json::value& cols, std::vector<std::string>& columns)
{
    if (!cols.is_array())
        return "\"columns\" and \"rows\" must be arrays";
    const json::array& col_array = cols.get_array();
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
    return {};
}

// The SAX handler: the top object's small members are captured as JSON values (a value_stack in
// a stack arena), unknown members are skipped, and the rows are encoded cell by cell into the
// store as they are read. With a visitor whose columns are known, each row is handed over and
// its bytes reused for the next one.
class table_handler
{
public:
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);

    table_handler(table_summary& summary, table_store& store, const table_visitor* visitor)
        : summary_(summary),
          store_(store),
          visitor_(visitor),
          columns_value_(json::storage_ptr(&arena_)),
          values_(json::storage_ptr(), stack_buffer_, sizeof stack_buffer_)
    {}

    std::string reason;          // set when the shape is wrong
    std::exception_ptr failure;  // thrown by a visitor's callback

    bool on_document_begin(boost::system::error_code&) { return true; }
    bool on_document_end(boost::system::error_code&) { return true; }

    bool on_object_begin(boost::system::error_code& ec)
    {
        if (skip_ > 0 || capture_ > 0)
            return nested_begin(ec);
        switch (place_)
        {
        case place::top: place_ = place::member; return true;
        case place::member: return begin_member_value(true, ec);
        case place::rows: return fail("a row is not an array", ec);
        case place::row: return start_capture(capture_target::cell, ec);
        case place::done: return true;
        }
        return true;
    }

    bool on_object_end(std::size_t n, boost::system::error_code& ec)
    {
        if (skip_ > 0)
            return skip_end();
        if (capture_ > 0)
        {
            values_.push_object(n);
            return capture_end(ec);
        }
        place_ = place::done;  // the end of the top object
        return true;
    }

    bool on_array_begin(boost::system::error_code& ec)
    {
        if (skip_ > 0 || capture_ > 0)
            return nested_begin(ec);
        switch (place_)
        {
        case place::top: return fail("the body is not a table object", ec);
        case place::member: return begin_member_value(false, ec);
        case place::rows: place_ = place::row; return begin_row(ec);
        case place::row: return start_capture(capture_target::cell, ec);
        case place::done: return true;
        }
        return true;
    }

    bool on_array_end(std::size_t n, boost::system::error_code& ec)
    {
        if (skip_ > 0)
            return skip_end();
        if (capture_ > 0)
        {
            values_.push_array(n);
            return capture_end(ec);
        }
        if (place_ == place::row)
        {
            place_ = place::rows;
            return end_row(ec);
        }
        place_ = place::member;  // the end of "rows"
        return true;
    }

    bool on_key_part(json::string_view s, std::size_t, boost::system::error_code&)
    {
        if (capture_ > 0)
            values_.push_chars(s);
        else if (skip_ == 0)
            key_.append(s.data(), s.size());
        return true;
    }

    bool on_key(json::string_view s, std::size_t, boost::system::error_code&)
    {
        if (capture_ > 0)
            values_.push_key(s);
        else if (skip_ == 0)
        {
            key_.append(s.data(), s.size());
            member_ = member_of(key_);
            key_.clear();
        }
        return true;
    }

    bool on_string_part(json::string_view s, std::size_t, boost::system::error_code&)
    {
        if (capture_ > 0)
            values_.push_chars(s);
        else if (skip_ == 0)
            text_.append(s.data(), s.size());
        return true;
    }

    bool on_string(json::string_view s, std::size_t, boost::system::error_code& ec)
    {
        if (skip_ > 0)
            return true;
        if (capture_ > 0)
        {
            values_.push_string(s);
            return true;
        }
        if (place_ == place::row)
        {
            bool ok = true;
            if (text_.empty())
                ok = add_cell(
                    ec, [&](unsigned char* out) { return table_codec::put_string(out, s); },
                    table_codec::string_bound(s.size()));
            else
            {
                text_.append(s.data(), s.size());
                ok = add_cell(
                    ec, [&](unsigned char* out) { return table_codec::put_string(out, text_); },
                    table_codec::string_bound(text_.size()));
                text_.clear();
            }
            return ok;
        }
        if (text_.empty())
            return scalar(json::value(json::string(s, json::storage_ptr(&arena_))), ec);
        text_.append(s.data(), s.size());
        json::value v(json::string(text_, json::storage_ptr(&arena_)));
        text_.clear();
        return scalar(std::move(v), ec);
    }

    bool on_number_part(json::string_view, boost::system::error_code&) { return true; }

    bool on_int64(std::int64_t i, json::string_view, boost::system::error_code& ec)
    {
        if (place_ == place::row && skip_ == 0 && capture_ == 0)
            return add_cell(
                ec, [i](unsigned char* out) { return table_codec::put_int64(out, i); }, table_codec::max_scalar);
        return scalar(json::value(i), ec);
    }

    bool on_uint64(std::uint64_t u, json::string_view, boost::system::error_code& ec)
    {
        if (place_ == place::row && skip_ == 0 && capture_ == 0)
            return add_cell(
                ec, [u](unsigned char* out) { return table_codec::put_uint64(out, u); }, table_codec::max_scalar);
        return scalar(json::value(u), ec);
    }

    bool on_double(double d, json::string_view, boost::system::error_code& ec)
    {
        if (place_ == place::row && skip_ == 0 && capture_ == 0)
            return add_cell(
                ec, [d](unsigned char* out) { return table_codec::put_double(out, d); }, table_codec::max_scalar);
        return scalar(json::value(d), ec);
    }

    bool on_bool(bool b, boost::system::error_code& ec)
    {
        if (place_ == place::row && skip_ == 0 && capture_ == 0)
            return add_cell(
                ec, [b](unsigned char* out) { return table_codec::put_bool(out, b); }, table_codec::max_scalar);
        return scalar(json::value(b), ec);
    }

    bool on_null(boost::system::error_code& ec)
    {
        if (place_ == place::row && skip_ == 0 && capture_ == 0)
            return add_cell(
                ec, [](unsigned char* out) { return table_codec::put_null(out); }, table_codec::max_scalar);
        return scalar(json::value(nullptr), ec);
    }

    bool on_comment_part(json::string_view, boost::system::error_code&) { return true; }
    bool on_comment(json::string_view, boost::system::error_code&) { return true; }

    // Called once the whole body was read: the checks that need every member.
    void finish()
    {
        if (!reason.empty() || failure)
            return;
        if (!have_columns_ || !have_rows_)
        {
            if (summary_.errormsg.empty())
                reason = "the table has no \"columns\" or no \"rows\"";
            else
            {
                // An error table may leave both out; what it did send is not a table to read.
                summary_.columns.clear();
                clear_rows();
            }
            return;
        }
        if (!columns_placed_)
        {
            reason = place_columns(columns_value_, summary_.columns);
            if (!reason.empty())
                return;
            columns_placed_ = true;
        }
        store_.width = summary_.columns.size();
        if (rows_before_columns_ && store_.size() > 0 && (widths_differ_ || first_width_ != store_.width))
        {
            reason = widths_differ_ ? std::string("the rows are not all as wide as the columns")
                                    : "a row has " + std::to_string(first_width_) + " cells for "
                                          + std::to_string(store_.width) + " columns";
            return;
        }
        if (visitor_ != nullptr && !delivered_)
        {
            announce_columns();
            for (std::size_t r = 0; r < store_.size() && !failure; ++r)
                deliver(store_.row(r));
            clear_rows();
        }
    }

private:
    enum class place
    {
        top,
        member,
        rows,
        row,
        done
    };
    enum class member
    {
        other,
        startrow,
        endrow,
        query,
        errormsg,
        columns,
        rows
    };
    enum class capture_target
    {
        member,
        cell
    };

    static member member_of(std::string_view key) noexcept
    {
        if (key == "rows")
            return member::rows;
        if (key == "columns")
            return member::columns;
        if (key == "startrow")
            return member::startrow;
        if (key == "endrow")
            return member::endrow;
        if (key == "query")
            return member::query;
        if (key == "errormsg")
            return member::errormsg;
        return member::other;
    }

    bool fail(std::string why, boost::system::error_code& ec)
    {
        if (reason.empty())
            reason = std::move(why);
        ec = boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
        return false;
    }

    // An object or array as the value of a member of the top object.
    bool begin_member_value(bool object, boost::system::error_code& ec)
    {
        switch (member_)
        {
        case member::rows:
            if (have_rows_)
                return fail("\"rows\" appears twice", ec);
            if (object)
                return fail("\"columns\" and \"rows\" must be arrays", ec);
            have_rows_ = true;
            place_ = place::rows;
            rows_before_columns_ = !have_columns_;
            if (have_columns_ && !columns_placed_)
            {
                // The columns are known: check each row as it comes, and stream to a visitor.
                const std::string why = place_columns(columns_value_, summary_.columns);
                if (!why.empty())
                    return fail(why, ec);
                columns_placed_ = true;
                store_.width = summary_.columns.size();
                if (visitor_ != nullptr)
                    announce_columns();
            }
            return true;
        case member::other: skip_ = 1; return true;
        default: return start_capture(capture_target::member, ec);
        }
    }

    bool start_capture(capture_target target, boost::system::error_code&)
    {
        target_ = target;
        capture_ = 1;
        // Cells are rare and may be many: default storage, freed as it goes. Members: the arena.
        values_.reset(target == capture_target::cell ? json::storage_ptr() : json::storage_ptr(&arena_));
        return true;
    }

    bool nested_begin(boost::system::error_code&)
    {
        if (skip_ > 0)
            ++skip_;
        else
            ++capture_;
        return true;
    }

    bool skip_end()
    {
        --skip_;
        return true;
    }

    bool capture_end(boost::system::error_code& ec)
    {
        if (--capture_ > 0)
            return true;
        json::value v = values_.release();
        if (target_ == capture_target::cell)
        {
            const std::string text = json::serialize(v);
            return add_cell(
                ec, [&](unsigned char* out) { return table_codec::put_json_text(out, text); },
                table_codec::string_bound(text.size()));
        }
        return apply_member(std::move(v), ec);
    }

    // A scalar event outside a row: a skipped member's, a captured value's, or a member's own.
    bool scalar(json::value v, boost::system::error_code& ec)
    {
        if (skip_ > 0)
            return true;
        if (capture_ > 0)
        {
            push(v);
            return true;
        }
        switch (place_)
        {
        case place::top: return fail("the body is not a table object", ec);
        case place::rows: return fail("a row is not an array", ec);
        case place::member:
            if (member_ == member::rows)
                return fail("\"columns\" and \"rows\" must be arrays", ec);
            if (member_ == member::other)
                return true;
            return apply_member(std::move(v), ec);
        default: return true;
        }
    }

    void push(const json::value& v)
    {
        switch (v.kind())
        {
        case json::kind::int64: values_.push_int64(v.get_int64()); break;
        case json::kind::uint64: values_.push_uint64(v.get_uint64()); break;
        case json::kind::double_: values_.push_double(v.get_double()); break;
        case json::kind::bool_: values_.push_bool(v.get_bool()); break;
        case json::kind::null: values_.push_null(); break;
        default: break;  // strings are pushed by on_string
        }
    }

    bool apply_member(json::value v, boost::system::error_code& ec)
    {
        switch (member_)
        {
        case member::startrow:
        case member::endrow:
        {
            auto n = integer_of(v);
            if (!n)
                return fail(std::string("\"") + (member_ == member::startrow ? "startrow" : "endrow")
                                + "\" is not an integer",
                            ec);
            (member_ == member::startrow ? summary_.startrow : summary_.endrow) = *n;
            return true;
        }
        case member::query:
        case member::errormsg:
        {
            const char* name = member_ == member::query ? "query" : "errormsg";
            if (!v.is_string() && !v.is_null())
                return fail(std::string("\"") + name + "\" is not a string", ec);
            std::string& target = member_ == member::query ? summary_.query : summary_.errormsg;
            if (v.is_string())
                target.assign(v.get_string());
            else
                target.clear();
            return true;
        }
        case member::columns:
            if (have_columns_)
                return fail("\"columns\" appears twice", ec);
            have_columns_ = true;
            columns_value_ = std::move(v);  // in the arena, like the handler's other members
            return true;
        default: return true;
        }
    }

    bool begin_row(boost::system::error_code& ec)
    {
        const std::size_t at = store_.cells.size();
        if (at > std::numeric_limits<std::uint32_t>::max())
            return fail("the table's cells take more than 4 GiB", ec);
        row_start_ = at;
        row_cells_ = 0;
        return true;
    }

    template <class Put>
    bool add_cell(boost::system::error_code& ec, Put put, std::size_t bound)
    {
        if (columns_placed_ && row_cells_ >= store_.width)
            return fail("a row has more cells than there are columns", ec);
        unsigned char* out = store_.cells.extend(bound);
        store_.cells.commit(static_cast<std::size_t>(put(out) - out));
        ++row_cells_;
        return true;
    }

    bool end_row(boost::system::error_code& ec)
    {
        if (columns_placed_)
        {
            if (row_cells_ != store_.width)
                return fail("a row has " + std::to_string(row_cells_) + " cells for " + std::to_string(store_.width)
                                + " columns",
                            ec);
            if (visitor_ != nullptr && !rows_before_columns_)
            {
                // Streamed: handed over, then its bytes serve the next row.
                deliver(table_store::row_at(store_.cells.data() + row_start_, row_cells_));
                store_.cells.truncate(row_start_);
                if (failure)
                    return fail("", ec);
                return true;
            }
        }
        else if (store_.size() == 0)
            first_width_ = row_cells_;
        else if (row_cells_ != first_width_)
            widths_differ_ = true;
        store_.row_starts.push_back(static_cast<std::uint32_t>(row_start_));
        return true;
    }

    void announce_columns()
    {
        delivered_ = true;
        if (visitor_->on_columns)
        {
            try
            {
                visitor_->on_columns(summary_.columns);
            }
            catch (...)
            {
                failure = std::current_exception();
            }
        }
    }

    void deliver(const table_row& row)
    {
        ++summary_.rows;
        if (!visitor_->on_row || failure)
            return;
        try
        {
            visitor_->on_row(row);
        }
        catch (...)
        {
            failure = std::current_exception();
        }
    }

    void clear_rows()
    {
        store_.cells.clear();
        store_.row_starts.clear();
    }

    table_summary& summary_;
    table_store& store_;
    const table_visitor* visitor_;
    unsigned char arena_buffer_[2048];  // before the members that keep their values in it
    json::monotonic_resource arena_{arena_buffer_, sizeof arena_buffer_};
    json::value columns_value_;  // the `columns` member as sent (in the arena)
    unsigned char stack_buffer_[1024];
    json::value_stack values_;
    bool have_columns_ = false;
    bool have_rows_ = false;
    std::size_t first_width_ = 0;  // rows read before the columns: all must be this wide
    bool widths_differ_ = false;
    place place_ = place::top;
    member member_ = member::other;
    capture_target target_ = capture_target::member;
    std::size_t skip_ = 0;     // depth inside a member that is not read
    std::size_t capture_ = 0;  // depth inside a value being captured
    std::string key_;          // a key read in parts
    std::string text_;         // a string read in parts
    std::size_t row_start_ = 0;
    std::size_t row_cells_ = 0;
    bool columns_placed_ = false;  // summary_.columns is set from columns_value_
    bool rows_before_columns_ = false;
    bool delivered_ = false;  // the visitor was told the columns
};

// Reads `body` into `summary` and `store`; the reason when the shape is wrong (then both are
// left as they were when it was found).
std::string read_table(std::string_view body, table_summary& summary, table_store& store, const table_visitor* visitor,
                       std::exception_ptr& failure)
{
    // Cells take about as many bytes as their text (one byte for a small number) and each row a
    // 4-byte offset: reserved from the body's size, the pages touched only as rows come, and the
    // unused rest given back at the end (realloc shrinks in place).
    if (visitor == nullptr)
    {
        store.cells.try_reserve(body.size() + 16);
        store.row_starts.try_reserve(body.size() / 3 + 1);
    }
    json::basic_parser<table_handler> parser(json::parse_options{}, summary, store, visitor);
    boost::system::error_code ec;
    const std::size_t used = parser.write_some(false, body.data(), body.size(), ec);
    table_handler& handler = parser.handler();
    failure = handler.failure;
    if (failure)
        return "a callback failed";
    if (!handler.reason.empty())
        return handler.reason;
    if (ec)
        return "the body is not JSON: " + ec.message();
    if (used != body.size())
        return "the body is not JSON: " + json::make_error_code(json::error::extra_data).message();
    handler.finish();
    failure = handler.failure;
    if (failure)
        return "a callback failed";
    store.cells.shrink_to_fit();
    store.row_starts.shrink_to_fit();
    return handler.reason;
}

[[noreturn]] void throw_bad_response(std::string text)
{
    diagnostics diag;
    diag.client_message = std::move(text);
    throw error_with_diagnostics(error::bad_response, std::move(diag));
}

}  // namespace
}  // namespace detail

table_row::iterator& table_row::iterator::operator++() noexcept
{
    at_ = detail::table_codec::skip(at_);
    if (--left_ == 0)
        at_ = nullptr;
    return *this;
}

table_cell table_row::operator[](std::size_t column) const
{
    if (column >= width_)
        detail::throw_bad_response("column " + std::to_string(column) + " asked of a row of " + std::to_string(width_)
                                   + " cells");
    const unsigned char* at = first_;
    for (std::size_t c = 0; c < column; ++c)
        at = detail::table_codec::skip(at);
    return table_cell(at);
}

bool table_cell::is_null() const noexcept
{
    return value_ ? value_->is_null() : detail::table_codec::is_null(encoded_);
}

bool table_cell::is_string() const noexcept
{
    return value_ ? value_->is_string() : detail::table_codec::is_string(encoded_);
}

bool table_cell::is_int() const noexcept
{
    return value_ ? value_->is_int64() || value_->is_uint64() : detail::table_codec::is_int(encoded_);
}

boost::json::value table_cell::json() const
{
    return value_ ? *value_ : detail::table_codec::to_json(encoded_);
}

std::string table_cell::as_string() const
{
    if (!value_)
        return detail::table_codec::to_text(encoded_);
    if (value_->is_string())
        return std::string(value_->get_string());
    if (value_->is_null())
        return {};
    return boost::json::serialize(*value_);
}

std::optional<std::int64_t> table_cell::try_int() const noexcept
{
    std::string_view text;
    if (value_)
    {
        if (auto n = detail::integer_of(*value_))
            return n;
        if (!value_->is_string())
            return std::nullopt;
        text = value_->get_string();
    }
    else
    {
        if (auto n = detail::table_codec::integer(encoded_))
            return n;
        if (!detail::table_codec::is_string(encoded_))
            return std::nullopt;
        text = detail::table_codec::string(encoded_);
    }
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
    std::string shown = boost::json::serialize(json());
    if (shown.size() > 64)
        shown = shown.substr(0, 64) + "...";
    detail::throw_bad_response("expected an integer, got " + shown);
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
    auto store = std::make_shared<detail::table_store>();
    table_summary summary;
    std::exception_ptr failure;
    const std::string reason = detail::read_table(body, summary, *store, nullptr, failure);
    if (!reason.empty())
    {
        ec = error::bad_response;
        diag.client_message = "not an Accelerator table: " + reason;
        return table{};
    }
    table t;
    t.startrow_ = summary.startrow;
    t.endrow_ = summary.endrow;
    t.query_ = std::move(summary.query);
    t.errormsg_ = std::move(summary.errormsg);
    t.columns_ = std::move(summary.columns);
    if (store->size() > 0)
        t.store_ = std::move(store);
    if (!t.errormsg_.empty())
    {
        ec = error::query_failed;
        diag.server_message = t.errormsg_;
    }
    return t;
}

std::size_t table::size() const noexcept
{
    return store_ ? store_->size() : 0;
}

table_row table::row(std::size_t r) const
{
    if (r >= size())
        detail::throw_bad_response("row " + std::to_string(r) + " asked of a table of " + std::to_string(size())
                                   + " rows");
    return store_->row(r);
}

table::row_type table::rows_as_json(std::size_t r) const
{
    row_type out;
    const table_row cells = row(r);
    out.reserve(cells.size());
    for (const table_cell cell : cells)
        out.push_back(cell.json());
    return out;
}

std::optional<std::size_t> table::column_index(std::string_view name) const noexcept
{
    for (std::size_t i = 0; i < columns_.size(); ++i)
        if (detail::iequals(columns_[i], name))
            return i;
    return std::nullopt;
}

table_cell table::at(std::size_t r, std::size_t column) const
{
    if (r >= size())
        detail::throw_bad_response("row " + std::to_string(r) + " asked of a table of " + std::to_string(size())
                                   + " rows");
    if (column >= columns_.size())
        detail::throw_bad_response("column " + std::to_string(column) + " asked of a table of "
                                   + std::to_string(columns_.size()) + " columns");
    return store_->row(r)[column];
}

table_cell table::at(std::size_t r, std::string_view column) const
{
    auto index = column_index(column);
    if (!index)
        detail::throw_bad_response("the table has no column \"" + std::string(column.substr(0, 64)) + "\"");
    return at(r, *index);
}

void table::check() const
{
    if (!errormsg_.empty())
    {
        diagnostics diag;
        diag.server_message = errormsg_;
        throw error_with_diagnostics(error::query_failed, std::move(diag));
    }
}

table_summary parse_table_rows(std::string_view body, const table_visitor& visitor, boost::system::error_code& ec,
                               diagnostics& diag)
{
    ec.clear();
    diag.clear();
    detail::table_store store;
    table_summary summary;
    std::exception_ptr failure;
    const std::string reason = detail::read_table(body, summary, store, &visitor, failure);
    if (failure)
        std::rethrow_exception(failure);
    if (!reason.empty())
    {
        ec = error::bad_response;
        diag.client_message = "not an Accelerator table: " + reason;
        return summary;
    }
    if (!summary.errormsg.empty())
    {
        ec = error::query_failed;
        diag.server_message = summary.errormsg;
    }
    return summary;
}

table_summary parse_table_rows(std::string_view body, const table_visitor& visitor)
{
    boost::system::error_code ec;
    diagnostics diag;
    table_summary summary = parse_table_rows(body, visitor, ec, diag);
    throw_on_error(ec, diag);
    return summary;
}

}  // namespace vovrest
