/// @file
/// vovrest::table — the Accelerator's answer to every read (job fields, project, query): startrow,
/// endrow, query echo, errormsg, columns and typed rows, with cells found by column name
/// (case-insensitive, as Accelerator's field names are). Thread-safety: a value type; const
/// members may be called from any thread at once.
#pragma once

#include <vovrest/diagnostics.hpp>

#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vovrest {

/// One cell: a view of a JSON value owned by its table.
/// Lifetime: valid while the table lives and is not assigned to.
/// Thread-safety: as the table's const members.
class table_cell
{
public:
    /// A view of `value`, which must outlive the cell.
    explicit table_cell(const boost::json::value& value) noexcept : value_(&value) {}

    /// The server sent null for this cell.
    bool is_null() const noexcept { return value_->is_null(); }
    /// The cell is a JSON string (zero-padded ids are).
    bool is_string() const noexcept { return value_->is_string(); }
    /// The cell is a JSON integer.
    bool is_int() const noexcept { return value_->is_int64() || value_->is_uint64(); }

    /// The text: a string as it is, a number or boolean as its JSON text, null as "".
    std::string as_string() const;
    /// An integer, or a string of decimal digits (zero-padded ids such as "000001138" included).
    /// @throws error_with_diagnostics error::bad_response otherwise.
    std::int64_t as_int() const;
    /// As as_int(), std::nullopt instead of throwing.
    std::optional<std::int64_t> try_int() const noexcept;

    /// The JSON value itself.
    const boost::json::value& json() const noexcept { return *value_; }

private:
    const boost::json::value* value_;
};

/// The Accelerator's table object: the answer to job reads, project reads and queries.
/// Thread-safety: a value type; const members may be called from any thread at once.
class table
{
public:
    /// One row: a JSON value per column, in columns() order.
    using row_type = std::vector<boost::json::value>;

    /// Parses a response body and checks it.
    /// @throws error_with_diagnostics error::bad_response for a body that is not a table
    ///         object; error::query_failed for a table whose errormsg is not empty, with that
    ///         text in the diagnostics (the server may send one with HTTP 200).
    static table parse(std::string_view body);

    /// The same without throwing (allocation failures aside): `ec` and `diag` say what was wrong.
    /// For error::query_failed the table is returned as parsed (query(), errormsg()); for
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
    /// Every row, in the order sent.
    const std::vector<row_type>& rows() const noexcept { return rows_; }
    /// The number of rows.
    std::size_t size() const noexcept { return rows_.size(); }
    /// True when there is no row.
    bool empty() const noexcept { return rows_.empty(); }

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
    std::int64_t startrow_ = 0;
    std::int64_t endrow_ = 0;
    std::string query_;
    std::string errormsg_;
    std::vector<std::string> columns_;
    std::vector<row_type> rows_;
};

}  // namespace vovrest
