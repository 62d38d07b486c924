// The Accelerator's "table" answer (startrow, endrow, query, errormsg, columns, rows) as JSON,
// and the same rows as CSV for format=csv / csv-noheader. Private to vovrest::testing.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace vovrest::testing::detail {

// A typed value: integers are written as JSON numbers, strings as JSON strings.
using cell = std::variant<std::int64_t, std::string>;

struct table
{
    std::string query;     // the server's echo, e.g. "SELECT id FROM jobs"
    std::string errormsg;  // empty on success
    std::vector<std::string> columns;
    std::vector<std::vector<cell>> rows;  // each as long as columns
};

// {"startrow":1,"endrow":N,"query":...,"errormsg":...,"columns":[{"col":0,"field":...}],"rows":[...]}
// endrow is the number of rows (0 when there are none).
std::string to_json(const table& t);

// RFC 4180 quoting (fields holding a comma, a quote, CR or LF are quoted, quotes doubled), rows
// ended by "\n", a header line of column names unless with_header is false. An errormsg is not
// part of the CSV; the caller decides what to send then.
std::string to_csv(const table& t, bool with_header);

std::string to_string(const cell& c);

}  // namespace vovrest::testing::detail
