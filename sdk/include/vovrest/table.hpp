/// @file
/// vovrest::table — the Accelerator's answer to every read (job fields, project, query): startrow,
/// endrow, query echo, errormsg, columns and typed rows, with cells found by column name
/// (case-insensitive, as Accelerator's field names are); and parse_table_rows, the same answer
/// read row by row without building a table. Thread-safety: a value type; const members may be
/// called from any thread at once.
#pragma once

#include <vovrest/diagnostics.hpp>

#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vovrest {

namespace detail {
class table_store;
}

/// One cell: a view of a value owned by its table, or of the JSON value it was made from.
/// Lifetime: valid while the table (or that value) lives and is not assigned to.
/// Thread-safety: as the table's const members.
class table_cell
{
public:
    /// A view of `value`, which must outlive the cell.
    explicit table_cell(const boost::json::value& value) noexcept : value_(&value) {}

    /// The server sent null for this cell.
    bool is_null() const noexcept;
    /// The cell is a JSON string (zero-padded ids are).
    bool is_string() const noexcept;
    /// The cell is a JSON integer (not a string of digits; as_int reads those too).
    bool is_int() const noexcept;

    /// The text: a string as it is, a number or boolean as its JSON text, null as "".
    std::string as_string() const;
    /// An integer, or a string of decimal digits (zero-padded ids such as "000001138" included).
    /// @throws error_with_diagnostics error::bad_response otherwise.
    std::int64_t as_int() const;
    /// As as_int(), std::nullopt instead of throwing.
    std::optional<std::int64_t> try_int() const noexcept;

    /// The cell as a JSON value, built on each call (a table keeps its cells compact).
    boost::json::value json() const;

private:
    friend class table_row;
    explicit table_cell(const unsigned char* encoded) noexcept : encoded_(encoded) {}

    const boost::json::value* value_ = nullptr;  // a view of a caller's value, or
    const unsigned char* encoded_ = nullptr;     // a cell in a table's compact storage
};

/// One row: its cells in row order (the order of table::columns()).
/// Lifetime: a view, valid while the table it came from lives and is not assigned to (in
/// parse_table_rows: during the call that received it).
/// Thread-safety: as the table's const members.
class table_row
{
public:
    /// Walks the row cell by cell.
    class iterator
    {
    public:
        using iterator_category = std::forward_iterator_tag;  ///< a forward iterator
        using value_type = table_cell;                        ///< cells, by value (views)
        using difference_type = std::ptrdiff_t;               ///< as for any iterator
        using pointer = void;                                 ///< no pointer: cells are values
        using reference = table_cell;                         ///< a cell, by value

        /// Past the end of any row.
        iterator() = default;
        /// The cell here.
        table_cell operator*() const noexcept { return table_cell(at_); }
        /// To the next cell.
        iterator& operator++() noexcept;
        /// To the next cell; returns where it was.
        iterator operator++(int) noexcept
        {
            iterator before = *this;
            ++*this;
            return before;
        }
        /// Same position in the same row.
        friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.left_ == b.left_; }

    private:
        friend class table_row;
        iterator(const unsigned char* at, std::size_t left) noexcept : at_(at), left_(left) {}
        const unsigned char* at_ = nullptr;
        std::size_t left_ = 0;  // cells from here to the end of the row
    };

    table_row() = default;

    /// The number of cells (as many as the table's columns).
    std::size_t size() const noexcept { return width_; }
    /// True for a row of a table without columns.
    bool empty() const noexcept { return width_ == 0; }
    /// The cell at that position (the row is walked up to it: O(column)).
    /// @throws error_with_diagnostics error::bad_response when the row has no such column.
    table_cell operator[](std::size_t column) const;
    /// The first cell.
    iterator begin() const noexcept { return {first_, width_}; }
    /// Past the last cell.
    iterator end() const noexcept { return {nullptr, 0}; }

private:
    friend class table;
    friend class detail::table_store;
    table_row(const unsigned char* first, std::size_t width) noexcept : first_(first), width_(width) {}

    const unsigned char* first_ = nullptr;
    std::size_t width_ = 0;
};

/// The Accelerator's table object: the answer to job reads, project reads and queries.
/// Thread-safety: a value type; const members may be called from any thread at once.
class table
{
public:
    /// One row: a JSON value per column, in columns() order; what rows() hands out (built on
    /// access).
    using row_type = std::vector<boost::json::value>;

    /// The rows as JSON values, each row built when it is accessed. Kept for code written against
    /// rows of JSON values; row() and at() read the compact storage without building anything.
    class row_range
    {
    public:
        /// Walks the rows, building each one as it is reached.
        class iterator
        {
        public:
            using iterator_category = std::input_iterator_tag;  ///< an input iterator
            using value_type = row_type;                        ///< rows, built by value
            using difference_type = std::ptrdiff_t;             ///< as for any iterator
            using pointer = void;                               ///< no pointer: rows are built
            using reference = row_type;                         ///< a row, by value

            /// An iterator of no table.
            iterator() = default;
            /// The row here, built as JSON values.
            row_type operator*() const { return owner_->rows_as_json(index_); }
            /// To the next row.
            iterator& operator++() noexcept
            {
                ++index_;
                return *this;
            }
            /// To the next row; returns where it was.
            iterator operator++(int) noexcept
            {
                iterator before = *this;
                ++index_;
                return before;
            }
            /// Same row of the same table.
            friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.index_ == b.index_; }

        private:
            friend class row_range;
            iterator(const table* owner, std::size_t index) noexcept : owner_(owner), index_(index) {}
            const table* owner_ = nullptr;
            std::size_t index_ = 0;
        };

        /// The number of rows.
        std::size_t size() const noexcept { return owner_->size(); }
        /// True when there is no row.
        bool empty() const noexcept { return owner_->empty(); }
        /// Row `r` as JSON values.
        /// @throws error_with_diagnostics error::bad_response past the end.
        row_type operator[](std::size_t r) const { return owner_->rows_as_json(r); }
        /// The first row.
        iterator begin() const noexcept { return {owner_, 0}; }
        /// Past the last row.
        iterator end() const noexcept { return {owner_, owner_->size()}; }

    private:
        friend class table;
        explicit row_range(const table* owner) noexcept : owner_(owner) {}
        const table* owner_;
    };

    /// Parses a response body and checks it.
    /// @throws error_with_diagnostics error::bad_response for a body that is not a table
    ///         object; error::query_failed for a table whose errormsg is not empty, with that
    ///         text in the diagnostics (the server may send one with HTTP 200).
    ///
    /// Cells are kept compact (a one-digit number takes one byte, a string its bytes and a length)
    /// with one 4-byte offset per row: a table takes less memory than its JSON text. Its cells take
    /// at most 4 GiB (bodies are bounded far below that by session_params::max_body_bytes); a
    /// larger one is error::bad_response.
    static table parse(std::string_view body);

    /// The same without throwing (allocation failures aside): `ec` and `diag` say what was wrong
    /// (diag.client_message for a wrong shape, diag.server_message for the errormsg). For
    /// error::query_failed the table is returned as parsed (query(), errormsg()); for
    /// error::bad_response it is empty.
    static table parse(std::string_view body, boost::system::error_code& ec, diagnostics& diag);

    /// The first row's number on the server's side, as sent (0 when absent).
    std::int64_t startrow() const noexcept { return startrow_; }
    /// The last row's number on the server's side, as sent (0 when absent).
    std::int64_t endrow() const noexcept { return endrow_; }
    /// The query as the server understood it, echoed back (empty when absent).
    const std::string& query() const noexcept { return query_; }
    /// The server's error text; empty when the query succeeded.
    const std::string& errormsg() const noexcept { return errormsg_; }

    /// Column names in row order (the `col` of each column applied), as the server spelled them.
    const std::vector<std::string>& columns() const noexcept { return columns_; }
    /// The rows as JSON values, built on access (see row_range); prefer row() and at().
    row_range rows() const noexcept { return row_range(this); }
    /// The number of rows.
    std::size_t size() const noexcept;
    /// True when there is no row.
    bool empty() const noexcept { return size() == 0; }

    /// Row `r`, a view of the table's storage.
    /// @throws error_with_diagnostics error::bad_response when the row does not exist.
    table_row row(std::size_t r) const;

    /// Position of a column in each row, compared case-insensitively; std::nullopt when absent.
    std::optional<std::size_t> column_index(std::string_view name) const noexcept;
    /// True when a column of that name (case-insensitive) exists.
    bool has_column(std::string_view name) const noexcept { return column_index(name).has_value(); }

    /// The cell at `row` in the column named `column` (case-insensitive).
    /// @throws error_with_diagnostics error::bad_response when the row or the column does not
    ///         exist (the server did not send what was asked for).
    table_cell at(std::size_t row, std::string_view column) const;
    /// The cell at `row` in the column at position `column`.
    /// @throws error_with_diagnostics error::bad_response when the row or the column does not
    ///         exist.
    table_cell at(std::size_t row, std::size_t column) const;

    /// Checks the server's verdict.
    /// @throws error_with_diagnostics error::query_failed when errormsg is not empty.
    void check() const;

private:
    friend class detail::table_store;
    row_type rows_as_json(std::size_t r) const;

    std::int64_t startrow_ = 0;
    std::int64_t endrow_ = 0;
    std::string query_;
    std::string errormsg_;
    std::vector<std::string> columns_;
    std::shared_ptr<const detail::table_store> store_;  // the rows; immutable, shared by copies
};

/// What parse_table_rows calls: on_columns once, before the first row; then on_row once per
/// row, in order. Either may be empty. Called on the thread that called parse_table_rows.
struct table_visitor
{
    /// The column names in row order (as table::columns()).
    std::function<void(const std::vector<std::string>& columns)> on_columns;
    /// One row; the view is valid during the call only.
    std::function<void(const table_row& row)> on_row;
};

/// A table's members other than its rows, as parse_table_rows found them.
struct table_summary
{
    std::int64_t startrow = 0;         ///< as table::startrow()
    std::int64_t endrow = 0;           ///< as table::endrow()
    std::string query;                 ///< as table::query()
    std::string errormsg;              ///< as table::errormsg()
    std::vector<std::string> columns;  ///< in row order, as table::columns()
    std::size_t rows = 0;              ///< rows handed to on_row
};

/// Reads a table answer row by row without building a table: memory stays at one row whatever
/// the size of the answer, when its members come in the documented order (columns before rows).
/// Rows that come before the columns are kept, compact, until the columns are known. Checks as
/// table::parse does; a wrong shape found after some rows were handed over ends the call with
/// error::bad_response all the same (discard what was received); a table whose errormsg is not
/// empty ends with error::query_failed and its text in diag.server_message, after its rows.
/// An exception thrown by a callback stops the parse and is rethrown. Thread-safety: any number
/// of calls at once.
table_summary parse_table_rows(std::string_view body, const table_visitor& visitor, boost::system::error_code& ec,
                               diagnostics& diag);

/// The same, throwing.
/// @throws error_with_diagnostics error::bad_response or error::query_failed, as above.
table_summary parse_table_rows(std::string_view body, const table_visitor& visitor);

}  // namespace vovrest
