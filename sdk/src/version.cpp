#include <vovrest/version.hpp>

namespace vovrest {

const char* library_version() noexcept
{
    return VOVREST_VERSION_STRING;
}

}  // namespace vovrest
