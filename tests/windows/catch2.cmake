# Catch2 for the Windows cross build: Debian's single header, through a
# directory that holds only it, and the package's CMake module for
# catch_discover_tests (which runs the tests under Wine to list them).
find_file(VMACCEL_CATCH_HPP catch.hpp PATHS /usr/include/catch2 NO_DEFAULT_PATH
          NO_CMAKE_FIND_ROOT_PATH REQUIRED)
set(catch_dir ${CMAKE_BINARY_DIR}/catch2-include)
file(MAKE_DIRECTORY ${catch_dir}/catch2)
file(COPY ${VMACCEL_CATCH_HPP} DESTINATION ${catch_dir}/catch2)
add_library(Catch2::Catch2 INTERFACE IMPORTED)
target_include_directories(Catch2::Catch2 INTERFACE ${catch_dir})
list(APPEND CMAKE_MODULE_PATH /usr/lib/cmake/Catch2)
