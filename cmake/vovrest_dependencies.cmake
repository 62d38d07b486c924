# Third-party dependencies, all from Debian 12 packages (scripts/deps installs them).
# Boost 1.81 or newer: Debian's default 1.74 has no Boost.JSON and no Boost.URL. The installed
# package config asks for the same (cmake/vovrestConfig.cmake.in).
set(VOVREST_BOOST_MIN_VERSION 1.81)
set(VOVREST_BOOST_COMPONENTS json url system)
find_package(Boost ${VOVREST_BOOST_MIN_VERSION} REQUIRED CONFIG COMPONENTS ${VOVREST_BOOST_COMPONENTS})
find_package(OpenSSL 3 REQUIRED)
find_package(Threads REQUIRED)
# Looked for only when what needs them is built (never for a consumer's add_subdirectory).
if(VOVREST_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(VOVREST_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()

# Asio and Beast are compiled once, inside libvovrest (sdk/boost/boost_impl.cpp), so every
# translation unit that includes them must agree with these definitions: they travel with the
# interface target vovrest_boost_config (exported as vovrest::boost_config), are written into
# vovrest.pc, and <vovrest/config.hpp> refuses to compile without them. The ABI-relevant ones
# (checked by the header and encoded in the link-time check symbol):
set(VOVREST_ASIO_ABI_DEFINITIONS
  BOOST_ASIO_SEPARATE_COMPILATION
  BOOST_BEAST_SEPARATE_COMPILATION
  BOOST_ASIO_NO_DEPRECATED
  BOOST_ASIO_DISABLE_BOOST_COROUTINE
  # Asio keeps freed handler and coroutine-frame memory per thread for reuse; 2 blocks (its
  # default) is fewer than one request needs, so most of them went back to malloc. It changes
  # the layout of Asio's per-thread state: a mismatch is a crash, not a slowdown.
  BOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE=16)
# Not ABI-relevant: Boost 1.81's Asio and Beast include headers Boost marks deprecated, which
# would warn in a consumer's build.
set(VOVREST_ASIO_DEFINITIONS ${VOVREST_ASIO_ABI_DEFINITIONS} BOOST_ALLOW_DEPRECATED_HEADERS)

add_library(vovrest_boost_config INTERFACE)
set_target_properties(vovrest_boost_config PROPERTIES EXPORT_NAME boost_config)
target_compile_definitions(vovrest_boost_config INTERFACE ${VOVREST_ASIO_DEFINITIONS})
target_compile_features(vovrest_boost_config INTERFACE cxx_std_20)
target_link_libraries(vovrest_boost_config INTERFACE Boost::headers Boost::json Boost::url Threads::Threads)

if(PROJECT_IS_TOP_LEVEL)
  find_program(VOVREST_CCACHE ccache)
  if(VOVREST_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
    set(CMAKE_CXX_COMPILER_LAUNCHER "${VOVREST_CCACHE}")
  endif()
endif()
