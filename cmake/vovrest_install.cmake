# Install rules: the libraries, the headers (generated ones included), the CMake package
# (vovrestConfig.cmake, vovrestConfigVersion.cmake, exported targets vovrest::vovrest and
# vovrest::testing) and vovrest.pc / vovrest-testing.pc for builds without CMake. Everything here
# is the "dev" component (the libvovrest-dev package); tools/ installs the "runtime" programs.
include(CMakePackageConfigHelpers)

set(VOVREST_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/vovrest)
set(VOVREST_PKGCONFIG_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(TARGETS vovrest vovrest_testing vovrest_boost_config
  EXPORT vovrestTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/sdk/include/vovrest ${PROJECT_SOURCE_DIR}/sdk/testing/include/vovrest
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
  FILES_MATCHING PATTERN "*.hpp")
install(DIRECTORY ${PROJECT_BINARY_DIR}/sdk/include/vovrest
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
  FILES_MATCHING PATTERN "*.hpp")

install(EXPORT vovrestTargets NAMESPACE vovrest:: DESTINATION ${VOVREST_CMAKE_DIR} COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/vovrestConfig.cmake.in
  ${PROJECT_BINARY_DIR}/vovrestConfig.cmake
  INSTALL_DESTINATION ${VOVREST_CMAKE_DIR}
  NO_SET_AND_CHECK_MACRO NO_CHECK_REQUIRED_COMPONENTS_MACRO)
# While the major version is 0, a minor release may break the API (README, "Compatibility"):
# SameMinorVersion then, SameMajorVersion from 1.0 on.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(vovrest_compatibility SameMinorVersion)
else()
  set(vovrest_compatibility SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/vovrestConfigVersion.cmake
  COMPATIBILITY ${vovrest_compatibility})
install(FILES ${PROJECT_BINARY_DIR}/vovrestConfig.cmake ${PROJECT_BINARY_DIR}/vovrestConfigVersion.cmake
  DESTINATION ${VOVREST_CMAKE_DIR} COMPONENT dev)

# pkg-config: the same definitions, standard and libraries as the CMake targets. The prefix is
# found from the file's own place, so an unpacked package works wherever it is unpacked.
file(RELATIVE_PATH VOVREST_PC_PREFIX_FROM_PCFILEDIR /${VOVREST_PKGCONFIG_DIR} /)
string(REGEX REPLACE "/$" "" VOVREST_PC_PREFIX_FROM_PCFILEDIR "${VOVREST_PC_PREFIX_FROM_PCFILEDIR}")
set(VOVREST_PC_CFLAGS "-std=c++20")
foreach(definition IN LISTS VOVREST_ASIO_DEFINITIONS)
  string(APPEND VOVREST_PC_CFLAGS " -D${definition}")
endforeach()
foreach(pc vovrest vovrest-testing)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/${pc}.pc.in ${PROJECT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${pc}.pc DESTINATION ${VOVREST_PKGCONFIG_DIR} COMPONENT dev)
endforeach()

install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/CHANGELOG.md
  DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT dev)
