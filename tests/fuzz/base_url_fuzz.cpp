// URLs come from users and environment variables (NC_URL), and are echoed by servers.
#include <vovrest/base_url.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    boost::system::error_code ec;
    auto url = vovrest::parse_base_url(std::string_view(reinterpret_cast<const char*>(data), size), ec);
    if (url && (url->host.empty() || url->port == 0))
        __builtin_trap();
    return 0;
}
