# vovrest_warnings(target): the project's warning set; errors when VOVREST_WERROR is on (CI).
function(vovrest_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wcast-align
    -Woverloaded-virtual -Wimplicit-fallthrough)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # -Wno-tsan: Asio's fences under TSan. -Wno-maybe-uninitialized: g++ 12's false positives
    # inside Boost's own headers at -O2.
    target_compile_options(${target} PRIVATE -Wshadow=local -Wno-tsan -Wno-maybe-uninitialized)
  endif()
  if(VOVREST_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
