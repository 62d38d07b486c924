// The fake server's parsers of request bytes, each on its own input: form bodies (and
// %-decoding), query strings (and their echo), selection rules (compiled, then matched against a
// few rows), and HS256 verification of a token.
//
// Input: the last byte chooses the parser (FuzzedDataProvider; '0' form, '1' query string,
// '2' rule, '3' token, as in the seed corpus), the rest is what that parser reads.
#include "form.hpp"
#include "jwt_hs256.hpp"
#include "query.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace d = vovrest::testing::detail;

constexpr std::array<std::string_view, 3> fields{"id", "status", "command"};

const std::vector<std::vector<d::cell>>& rows()
{
    static const std::vector<std::vector<d::cell>> sample{
        {d::cell{std::int64_t{3}}, d::cell{std::string("VALID")}, d::cell{std::string("sleep 1")}},
        {d::cell{std::int64_t{-7}}, d::cell{std::string("")}, d::cell{std::string("a \"b\"")}},
    };
    return sample;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    FuzzedDataProvider in(data, size);
    const int parser = in.ConsumeIntegralInRange(0, 3);
    const std::string input = in.ConsumeRemainingBytesAsString();
    switch (parser)
    {
    case 0:
        (void)d::parse_form(input);
        (void)d::percent_decode(input, true);
        (void)d::percent_decode(input, false);
        break;
    case 1:
        if (auto parsed = d::parse_query_string(input); auto* request = std::get_if<d::query_request>(&parsed))
            (void)d::echo(*request);
        break;
    case 2:
        if (auto rule = d::selection_rule::compile(input, fields);
            auto* compiled = std::get_if<d::selection_rule>(&rule))
            for (const auto& row : rows())
                (void)compiled->matches(row);
        break;
    default:
    {
        static constexpr std::array<unsigned char, 4> key{1, 2, 3, 4};
        (void)d::jwt_verify_hs256(input, key);
        break;
    }
    }
    return 0;
}
