// A token's payload (exp, iat) is read from bytes the server sent.
#include <vovrest/detail/jwt_payload.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    (void)vovrest::detail::decode_jwt_payload(input);
    std::string out;
    (void)vovrest::detail::decode_base64url(input, out);
    return 0;
}
