# The C example examples/c/rebalance_watch.c, built with the project's
# warnings (-Werror) against the shared library as a user's program would
# be. tests/python/test_examples.py runs it (VMACCEL_EXAMPLE_C) next to the
# Python examples, and tests/go/examples_guest.sh inside a two-node guest.
add_executable(rebalance_watch ${PROJECT_SOURCE_DIR}/examples/c/rebalance_watch.c)
target_compile_options(rebalance_watch PRIVATE ${VMACCEL_WARNINGS})
target_link_libraries(rebalance_watch PRIVATE vmaccel Threads::Threads)

# Python bindings: install bindings/python into a build-tree virtualenv with
# pip (tests/python/install.sh), then run the pytest suite against it,
# including the C/Python parity tests (VMACCEL_CLI) and the examples.
# Skipped in sanitizer builds: CPython cannot load a sanitized extension.
find_package(Python3 COMPONENTS Interpreter)
if(NOT VMACCEL_SANITIZE AND Python3_Interpreter_FOUND AND VMACCEL_BUILD_CLI)
  add_test(NAME python_bindings_install
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/install.sh ${Python3_EXECUTABLE}
                   ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR})
  set_tests_properties(python_bindings_install PROPERTIES TIMEOUT 900
    FIXTURES_SETUP vmaccel_python)
  add_test(NAME python_bindings
           COMMAND env ${PROJECT_BINARY_DIR}/python-venv/bin/python -m pytest -q
                   -p no:cacheprovider ${CMAKE_CURRENT_LIST_DIR})
  set_tests_properties(python_bindings PROPERTIES TIMEOUT 300
    FIXTURES_REQUIRED vmaccel_python
    ENVIRONMENT "VMACCEL_CLI=$<TARGET_FILE:vmaccel_cli>;VMACCEL_EXAMPLE_C=$<TARGET_FILE:rebalance_watch>;PYTHONDONTWRITEBYTECODE=1")
endif()
