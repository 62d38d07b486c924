# vovrest_warnings(target): the project's warning set; errors when VOVREST_WERROR is on (CI).
function(vovrest_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wcast-align
    -Woverloaded-virtual -Wimplicit-fallthrough)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # -Wno-tsan: Asio's fences under TSan. -Wno-maybe-uninitialized: g++ 12's false positives
    # inside Boost's own headers at -O2. -Wno-mismatched-new-delete: g++ 12 pairs the
    # aligned_alloc inside Asio's coroutine-frame operator new with the frame's own operator
    # delete (which frees it correctly) once both are inlined.
    target_compile_options(${target} PRIVATE -Wshadow=local -Wno-tsan -Wno-maybe-uninitialized
      -Wno-mismatched-new-delete)
  endif()
  if(VOVREST_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
