# vovrest_write_config_header(<file>): writes <vovrest/config.hpp> from config.hpp.in, with one
# #error check per definition of VOVREST_ASIO_ABI_DEFINITIONS (cmake/vovrest_dependencies.cmake),
# so that the header, the CMake targets and vovrest.pc always name the same configuration.
function(vovrest_write_config_header file)
  set(flags "")
  foreach(definition IN LISTS VOVREST_ASIO_DEFINITIONS)
    string(APPEND flags " -D${definition}")
  endforeach()
  string(STRIP "${flags}" flags)
  set(advice "compile every translation unit that includes vovrest with ${flags} (the CMake target vovrest::vovrest and 'pkg-config --cflags vovrest' carry them)")
  set(checks "")
  foreach(definition IN LISTS VOVREST_ASIO_ABI_DEFINITIONS)
    if(definition MATCHES "^([A-Za-z_0-9]+)=(.*)$")
      set(condition "!defined(${CMAKE_MATCH_1}) || (${CMAKE_MATCH_1} != ${CMAKE_MATCH_2})")
    else()
      set(condition "!defined(${definition})")
    endif()
    string(APPEND checks
      "#if ${condition}\n"
      "#error \"vovrest was built with ${definition}: ${advice}\"\n"
      "#endif\n")
  endforeach()
  set(VOVREST_CONFIG_CHECKS "${checks}")
  configure_file(${PROJECT_SOURCE_DIR}/sdk/include/vovrest/config.hpp.in ${file} @ONLY)
endfunction()
