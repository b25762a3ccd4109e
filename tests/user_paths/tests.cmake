# The README's install paths for Go and Python, followed as a user would
# (tests/user_paths/*.sh). They run in the release build only - that is the
# build the README tells Go users to install, and pip builds the release
# flavour itself - so `ctest --preset release` (CI) checks them once.
if(CMAKE_BUILD_TYPE STREQUAL "Release" AND NOT VMACCEL_SANITIZE AND VMACCEL_BUILD_CLI)
  add_test(NAME user_path:readme_go
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/readme_go.sh ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  add_test(NAME user_path:readme_python
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/readme_python.sh ${PROJECT_SOURCE_DIR})
  set_tests_properties(user_path:readme_go user_path:readme_python PROPERTIES
                       SKIP_RETURN_CODE 77 TIMEOUT 900)
endif()
