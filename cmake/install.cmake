# Installs headers, both libraries, the CLI, vmaccel.pc and a CMake package
# so that `find_package(vmaccel)` and `pkg-config vmaccel` work.
include(CMakePackageConfigHelpers)

install(DIRECTORY capi/include/vmaccel DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS vmaccel EXPORT vmaccelTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
# The static library drags private dependencies along; consumers that want
# it link it by path with `pkg-config --static --libs vmaccel`.
install(FILES $<TARGET_FILE:vmaccel_static> DESTINATION ${CMAKE_INSTALL_LIBDIR})
if(VMACCEL_BUILD_CLI)
  install(TARGETS vmaccel_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(FILES proto/vmaccel.proto DESTINATION ${CMAKE_INSTALL_DATADIR}/vmaccel)

install(EXPORT vmaccelTargets NAMESPACE vmaccel::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vmaccel)
configure_package_config_file(cmake/vmaccelConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/vmaccelConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vmaccel)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/vmaccelConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/vmaccelConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/vmaccelConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vmaccel)

# The .pc file finds its prefix relative to itself, so an installed tree
# can be moved (and tested from a scratch prefix).
file(RELATIVE_PATH VMACCEL_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
configure_file(cmake/vmaccel.pc.in ${CMAKE_CURRENT_BINARY_DIR}/vmaccel.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/vmaccel.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
