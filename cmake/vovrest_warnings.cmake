# vovrest_warnings(target): the project's warning set; errors when VOVREST_WERROR is on (CI).
function(vovrest_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wcast-align
    -Woverloaded-virtual -Wimplicit-fallthrough)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # -Wno-tsan: Asio's fences under TSan. -Wno-maybe-uninitialized: g++ 12's false positives
    # inside Boost's own headers at -O2. -Wno-mismatched-new-delete: g++ 12 pairs an Asio
    # coroutine frame's class-specific operator delete with the global new when it inlines into
    # a coroutine body (a false positive: the frame is allocated by the class-specific new).
    target_compile_options(${target} PRIVATE -Wshadow=local -Wno-tsan -Wno-maybe-uninitialized
      -Wno-mismatched-new-delete)
  endif()
  if(VOVREST_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
