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

# The live view's layout through its own function (a pure renderer).
add_executable(test_run_view ${CMAKE_CURRENT_LIST_DIR}/test_run_view.cpp
               ${PROJECT_SOURCE_DIR}/cli/run_view_render.c $<TARGET_OBJECTS:vmaccel_catch_main>)
target_include_directories(test_run_view PRIVATE ${PROJECT_SOURCE_DIR}/cli)
target_link_libraries(test_run_view PRIVATE Catch2::Catch2)
catch_discover_tests(test_run_view TEST_PREFIX "test_run_view:" PROPERTIES TIMEOUT 120)
