// The link-time check symbol of the configuration libvovrest is compiled with (the same
// definitions as boost_impl.cpp, its copy of Asio and Beast): every translation unit that
// includes a vovrest header refers to the symbol of its own configuration
// (vovrest/detail/abi_check.hpp), and only this one exists.
#include <vovrest/config.hpp>

namespace vovrest::detail {

extern const char VOVREST_ABI_CHECK_SYMBOL = 0;

}  // namespace vovrest::detail
