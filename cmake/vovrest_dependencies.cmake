# Third-party dependencies, all from Debian 12 packages (scripts/deps installs them).
# Boost 1.81 is required: Debian's default 1.74 has no Boost.JSON and no Boost.URL.
find_package(Boost 1.81...<1.82 REQUIRED CONFIG COMPONENTS json url system)
find_package(OpenSSL 3 REQUIRED)
find_package(Threads REQUIRED)
if(VOVREST_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(VOVREST_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()

# Asio and Beast are compiled once, in vovrest_boost (sdk/boost/boost_impl.cpp); every target that
# includes them must agree on these definitions, so they travel with this interface target.
add_library(vovrest_boost_config INTERFACE)
target_compile_definitions(vovrest_boost_config INTERFACE
  BOOST_ASIO_SEPARATE_COMPILATION
  BOOST_BEAST_SEPARATE_COMPILATION
  BOOST_ASIO_NO_DEPRECATED
  BOOST_ASIO_DISABLE_BOOST_COROUTINE
  # Asio keeps freed handler and coroutine-frame memory per thread for reuse; 2 blocks (its
  # default) is fewer than one request needs, so most of them went back to malloc.
  BOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE=16
  BOOST_ALLOW_DEPRECATED_HEADERS)
target_link_libraries(vovrest_boost_config INTERFACE Boost::headers Boost::json Boost::url Threads::Threads)

find_program(VOVREST_CCACHE ccache)
if(VOVREST_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${VOVREST_CCACHE}")
endif()
