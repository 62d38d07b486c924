// The link-time half of the configuration check of <vovrest/config.hpp>, as Boost does for its
// ABI-relevant options: every translation unit that includes this header refers to a symbol
// whose name spells the Asio configuration it is compiled with, and libvovrest defines only the
// one of its own build (sdk/boost/boost_impl.cpp). A program that mixes headers and a library of
// different configurations fails to link, with the mismatch in the undefined symbol's name,
// instead of crashing.
#pragma once

#if defined(BOOST_ASIO_SEPARATE_COMPILATION)
#define VOVREST_ABI_ASIO asio_separate
#else
#define VOVREST_ABI_ASIO asio_header_only
#endif
#if defined(BOOST_BEAST_SEPARATE_COMPILATION)
#define VOVREST_ABI_BEAST beast_separate
#else
#define VOVREST_ABI_BEAST beast_header_only
#endif
#if defined(BOOST_ASIO_NO_DEPRECATED)
#define VOVREST_ABI_DEPRECATED no_deprecated
#else
#define VOVREST_ABI_DEPRECATED with_deprecated
#endif
#if defined(BOOST_ASIO_DISABLE_BOOST_COROUTINE)
#define VOVREST_ABI_COROUTINE no_boost_coroutine
#else
#define VOVREST_ABI_COROUTINE with_boost_coroutine
#endif
#if defined(BOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE)
#define VOVREST_ABI_CACHE BOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE
#else
#define VOVREST_ABI_CACHE default
#endif

#define VOVREST_ABI_PASTE(asio, beast, deprecated, coroutine, cache)                                                   \
    abi_check_##asio##_##beast##_##deprecated##_##coroutine##_recycling_cache_##cache
#define VOVREST_ABI_EXPAND(asio, beast, deprecated, coroutine, cache)                                                  \
    VOVREST_ABI_PASTE(asio, beast, deprecated, coroutine, cache)
// vovrest::detail::abi_check_asio_separate_beast_separate_no_deprecated_no_boost_coroutine_recycling_cache_16
#define VOVREST_ABI_CHECK_SYMBOL                                                                                       \
    VOVREST_ABI_EXPAND(VOVREST_ABI_ASIO, VOVREST_ABI_BEAST, VOVREST_ABI_DEPRECATED, VOVREST_ABI_COROUTINE,             \
                       VOVREST_ABI_CACHE)

namespace vovrest::detail {

extern const char VOVREST_ABI_CHECK_SYMBOL;

// Kept in every object file (`used`), even unreferenced and optimised: its relocation is the check.
[[gnu::used]] static const char* const abi_check_reference = &VOVREST_ABI_CHECK_SYMBOL;

}  // namespace vovrest::detail
