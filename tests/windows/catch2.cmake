# Catch2 for the Windows cross build.
#
# The header: Debian's single catch.hpp, through a directory that holds
# only it (the package's include directory is the host's /usr/include).
find_file(VMACCEL_CATCH_HPP catch.hpp PATHS /usr/include/catch2 NO_DEFAULT_PATH
          NO_CMAKE_FIND_ROOT_PATH REQUIRED)
set(catch_dir ${CMAKE_BINARY_DIR}/catch2-include)
file(MAKE_DIRECTORY ${catch_dir}/catch2)
file(COPY ${VMACCEL_CATCH_HPP} DESTINATION ${catch_dir}/catch2)
add_library(Catch2::Catch2 INTERFACE IMPORTED)
target_include_directories(Catch2::Catch2 INTERFACE ${catch_dir})

# Catch2's own runner (catch_main.cpp), linked into every test program, at
# -O1: measured with mingw's gcc 12, -O2 took 16 s to compile against 11 s,
# and -O0 left a 9.7 MB object (every inline function emitted) that made
# each of the ~20 test links take 13 s instead of 0.35 s.
set_source_files_properties(${PROJECT_SOURCE_DIR}/tests/catch_main.cpp
                            PROPERTIES COMPILE_OPTIONS "-O1")

# One ctest per test program, all its test cases in one Wine process.
# Listing the cases (catch_discover_tests) would run every program under
# Wine at build time, and a ctest per case would start Wine once per case;
# a failing case is named in the program's output all the same.
# -w NoTests: a program with no test case fails.
function(vmaccel_register_catch_tests name)
  add_test(NAME ${name} COMMAND ${name} -w NoTests)
  set_tests_properties(${name} PROPERTIES TIMEOUT 600)
endfunction()
