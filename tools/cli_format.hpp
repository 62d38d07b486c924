// How vovrest prints tables: aligned columns under a header line, for people (--format table,
// job info), every cell on one line with its control characters escaped.
#pragma once

#include <vovrest/table.hpp>

#include <string>

namespace vovrest::cli {

// Columns padded to their widest cell, two spaces apart, one line per row, header first.
std::string aligned_columns(const table& t);

// "name  value" lines, one per column of the first row (a job's fields).
std::string aligned_fields(const table& t);

}  // namespace vovrest::cli
