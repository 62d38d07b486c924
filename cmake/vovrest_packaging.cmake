# CPack: two Debian packages from one build (`cpack -G DEB` in the build directory).
#   vovrest          the programs vovrest and vovrest-fake-server, their man pages and bash
#                    completion (install component "runtime"); Depends computed by dpkg-shlibdeps
#                    (libboost-json1.81.0, libboost-url1.81.0, libssl3, libc6, libstdc++6, ...).
#   libvovrest-dev   static libraries, headers, CMake package, vovrest.pc (component "dev");
#                    Depends on Debian's Boost 1.81 and OpenSSL development packages.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vovrest)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "vovrest maintainers")
# The first line of both packages' Description; each component's text follows it.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "C++20 SDK and tools for the Altair Accelerator (VOV/NC) REST API v3")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME vovrest)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION net)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION
  "The programs: vovrest gets tokens, reads and submits jobs and runs queries
against an Accelerator through its REST API v3; vovrest-fake-server imitates that
API on 127.0.0.1, over HTTP or HTTPS, for tests and demos.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libvovrest-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "libboost1.81-dev, libboost-json1.81-dev, libboost-url1.81-dev, libboost-system1.81-dev, libssl-dev (>= 3)")
set(CPACK_DEBIAN_DEV_DESCRIPTION
  "The coroutine SDK, for development: the static libraries libvovrest and
libvovrest_testing (a fake Accelerator server for tests), the headers, the CMake
package (find_package(vovrest)) and the pkg-config files vovrest and vovrest-testing.")

include(CPack)
