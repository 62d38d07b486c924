// What the token endpoint answers, each on its own input: the token answer, the server's error
// text (of any answer), and a Retry-After value.
//
// Input: the last byte chooses the parser (FuzzedDataProvider; '0' token answer, '1' error
// text, '2' Retry-After, as in the seed corpus), the rest is what that parser reads.
#include <vovrest/detail/wire_format.hpp>

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    FuzzedDataProvider in(data, size);
    const int parser = in.ConsumeIntegralInRange(0, 2);
    const std::string input = in.ConsumeRemainingBytesAsString();
    switch (parser)
    {
    case 0:
    {
        vovrest::detail::token_grant grant;
        if (vovrest::detail::parse_token_response(input, grant) && grant.access_token.empty())
            __builtin_trap();  // a grant is never accepted without a token
        break;
    }
    case 1:
        if (vovrest::detail::server_message(input).size() > 512)
            __builtin_trap();  // the text is cut to 512 bytes
        break;
    default: (void)vovrest::detail::parse_retry_after(input); break;
    }
    return 0;
}
