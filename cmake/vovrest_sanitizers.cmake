# VOVREST_SANITIZE=address;undefined or thread applies to every target of the build.
if(VOVREST_SANITIZE)
  string(REPLACE ";" "," _vovrest_san "${VOVREST_SANITIZE}")
  add_compile_options(-fsanitize=${_vovrest_san} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${_vovrest_san})
  if("undefined" IN_LIST VOVREST_SANITIZE)
    add_compile_options(-fno-sanitize-recover=undefined)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
      # clang-14's function sanitizer rejects coroutine frames.
      add_compile_options(-fno-sanitize=function)
    endif()
  endif()
  if("thread" IN_LIST VOVREST_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    add_compile_options(-Wno-tsan)
  endif()
endif()
# VOVREST_BUILD_FUZZ: coverage counters in every target of the build (the SDK, Asio/Beast in
# vovrest_boost, the fake server), not in the harnesses alone: libFuzzer only sees the code that
# carries them. The harnesses link libFuzzer itself (-fsanitize=fuzzer, tests/fuzz).
if(VOVREST_BUILD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "VOVREST_BUILD_FUZZ needs clang (the asan and fuzz presets use clang-14)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
