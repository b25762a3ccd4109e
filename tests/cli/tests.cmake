# CLI behaviour, driven by pytest against the built `vmaccel` binary.
find_package(Python3 COMPONENTS Interpreter REQUIRED)
add_test(NAME cli
         COMMAND ${Python3_EXECUTABLE} -m pytest -q -p no:cacheprovider
                 ${CMAKE_CURRENT_LIST_DIR}/test_cli.py)
set_tests_properties(cli PROPERTIES TIMEOUT 300
  ENVIRONMENT "VMACCEL_CLI=$<TARGET_FILE:vmaccel_cli>;VMACCEL_SOURCE_DIR=${PROJECT_SOURCE_DIR};VMACCEL_WORKLOAD=$<TARGET_FILE:misplaced_vm>")

# `vmaccel pin`'s saved state as two unprivileged users meet it (setpriv);
# skips without root.
add_test(NAME cli_pin_state
         COMMAND ${Python3_EXECUTABLE} -m pytest -q -p no:cacheprovider
                 ${CMAKE_CURRENT_LIST_DIR}/test_pin_state.py)
set_tests_properties(cli_pin_state PROPERTIES TIMEOUT 300
  ENVIRONMENT "VMACCEL_CLI=$<TARGET_FILE:vmaccel_cli>")
