// The token endpoint's answer, the server's error text and Retry-After: all from the network.
#include <vovrest/detail/wire_format.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    vovrest::detail::token_grant grant;
    if (vovrest::detail::parse_token_response(input, grant) && grant.access_token.empty())
        __builtin_trap();  // a grant is never accepted without a token
    (void)vovrest::detail::server_message(input);
    (void)vovrest::detail::parse_retry_after(input);
    return 0;
}
