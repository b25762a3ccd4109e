# ABI: exported symbols, and abidiff against the stored baseline. abidiff
# needs debug info, so it runs in builds with -g and without sanitizers.
add_test(NAME abi_exports
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/check.sh symbols $<TARGET_FILE:vmaccel> ${PROJECT_SOURCE_DIR})
find_program(ABIDIFF abidiff)
if(ABIDIFF AND NOT VMACCEL_SANITIZE AND CMAKE_BUILD_TYPE MATCHES "RelWithDebInfo|Debug")
  add_test(NAME abi_compat
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/check.sh abidiff $<TARGET_FILE:vmaccel> ${PROJECT_SOURCE_DIR})
endif()
add_custom_target(abi-baseline
  COMMAND ${CMAKE_CURRENT_LIST_DIR}/check.sh baseline $<TARGET_FILE:vmaccel> ${PROJECT_SOURCE_DIR}
  DEPENDS vmaccel
  COMMENT "Rewriting capi/abi/libvmaccel.abi")
