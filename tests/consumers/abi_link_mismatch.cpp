// Compiled with an Asio configuration other than libvovrest's, and without <vovrest/config.hpp>
// (whose #error would stop it first): tests/consumers/run expects the link to fail, naming the
// configuration in the undefined symbol, and the same file built with the library's definitions
// to link.
#include <vovrest/detail/abi_check.hpp>

int main()
{
    return 0;
}
