// How vovrest prints what came from the server. Text output never carries a control character
// a terminal would act on (ESC sequences, CR, 8-bit C1 codes): they are shown escaped. JSON
// output is one document per line with numbers as plain decimals and the same characters as
// \u escapes, so that it is safe on a terminal and still the same JSON.
#pragma once

#include <boost/json/fwd.hpp>

#include <iosfwd>
#include <string>
#include <string_view>

namespace vovrest::cli {

// One line: every control character escaped ("\n", "\r", "\t", "\x1b"), C1 codes
// (U+0080..U+009F) as "\u0085", bytes that are not UTF-8 as "\xff".
std::string printable_line(std::string_view text);
// Several lines (a body, a CSV answer): the same, but newlines and tabs are kept.
std::string printable_text(std::string_view text);
// printable_text written to `out` as it is made (a large answer is not copied), then a newline
// unless the text ends with one (or is empty).
void write_printable_text(std::ostream& out, std::string_view text);

// A JSON string literal: quotes, backslashes, control characters, DEL and C1 codes escaped;
// bytes that are not UTF-8 replaced by U+FFFD.
std::string json_string(std::string_view text);
// A JSON document on one line: like boost::json::serialize, but doubles in plain decimal
// notation (0.203255, 98398.4) and strings as json_string writes them.
std::string json_text(const boost::json::value& value);

// A body the server sent as JSON, printed as it is (DEL and C1 codes as \u escapes); when it
// is not JSON, as one JSON string. `errormsg`, when not null, receives the top-level "errormsg"
// member of a table answer. Never builds a tree: large answers cost no more than their text.
struct json_body
{
    bool valid = false;    // the body is one JSON document
    std::string errormsg;  // a top-level "errormsg" string member, when there is one
};
json_body check_json_body(std::string_view body);
// The body as JSON text (see above), without a newline.
std::string json_body_text(std::string_view body, bool valid);
// The same written to `out` as it is made, then a newline.
void write_json_body(std::ostream& out, std::string_view body, bool valid);

// stdout, a line at a time.
void print_line(std::string_view text);

}  // namespace vovrest::cli
