# The installed tree works for another project (find_package and pkg-config).
# Sanitizer builds are skipped: the consumer is built without sanitizers.
if(NOT VMACCEL_SANITIZE)
  add_test(NAME install_consumer
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/run.sh ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR})
  set_tests_properties(install_consumer PROPERTIES TIMEOUT 300)
endif()
