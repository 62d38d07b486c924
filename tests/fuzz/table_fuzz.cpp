// Table answers (every read of the REST API) and submit answers come from the server: whatever
// the bytes, the parsers return a table or an error, and a parsed table keeps its promises
// (every row as wide as the columns, every column found by its own name). Nesting is bounded by
// Boost.JSON's parser (parse_options::max_depth, 32, never raised in this project), so no JSON
// answer makes anything recurse deeper; corpus/table_fuzz/deep_nesting.json keeps it so.
#include <vovrest/jobs.hpp>
#include <vovrest/table.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    boost::system::error_code ec;
    vovrest::diagnostics diag;
    vovrest::table t = vovrest::table::parse(input, ec, diag);
    if (ec && ec != vovrest::error::bad_response && ec != vovrest::error::query_failed)
        __builtin_trap();
    for (const auto& row : t.rows())
        if (row.size() != t.columns().size())
            __builtin_trap();
    for (std::size_t c = 0; c < t.columns().size(); ++c)
    {
        if (!t.column_index(t.columns()[c]))
            __builtin_trap();
        for (std::size_t r = 0; r < t.size(); ++r)
        {
            (void)t.at(r, c).as_string();
            (void)t.at(r, c).try_int();
        }
    }

    vovrest::response answer;
    answer.status = 201;
    answer.body = std::string(input);
    (void)vovrest::jobs::parse_submit_response(answer, ec, diag);
    if (ec && ec != vovrest::error::bad_response)
        __builtin_trap();
    return 0;
}
