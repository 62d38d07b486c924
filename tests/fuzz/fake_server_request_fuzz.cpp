// The fake server's parsers of request bytes: form bodies, query strings and selection rules,
// and JWT verification of an Authorization header.
#include "form.hpp"
#include "jwt_hs256.hpp"
#include "query.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    namespace d = vovrest::testing::detail;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    (void)d::parse_form(input);
    (void)d::percent_decode(input, true);
    auto parsed = d::parse_query_string(input);
    if (auto* request = std::get_if<d::query_request>(&parsed))
        (void)d::echo(*request);
    static constexpr std::array<std::string_view, 3> fields{"id", "status", "command"};
    (void)d::selection_rule::compile(input, fields);
    static constexpr std::array<unsigned char, 4> key{1, 2, 3, 4};
    (void)d::jwt_verify_hs256(input, key);
    return 0;
}
