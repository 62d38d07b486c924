# vovrest_warnings(target): the project's warning set; errors when VOVREST_WERROR is on (CI).
function(vovrest_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
    -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # Asio's fences under TSan, and g++ 12's false positives inside Boost's own headers.
    target_compile_options(${target} PRIVATE -Wno-tsan -Wno-maybe-uninitialized)
  endif()
  if(VOVREST_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
