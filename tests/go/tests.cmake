# Go bindings: bindings/go/test.sh installs this build into a scratch prefix
# and runs `go test -race` there (errors, topology, reports, C/Go parity,
# generated .pb.go currency). Skipped in sanitizer builds: the Go toolchain
# links the library without the sanitizer runtimes.
find_program(VMACCEL_GO go HINTS /usr/local/go/bin)
if(NOT VMACCEL_SANITIZE AND VMACCEL_GO AND VMACCEL_BUILD_CLI)
  add_test(NAME go_bindings
           COMMAND ${PROJECT_SOURCE_DIR}/bindings/go/test.sh ${PROJECT_BINARY_DIR})
  get_filename_component(_go_bin ${VMACCEL_GO} DIRECTORY)
  set_tests_properties(go_bindings PROPERTIES TIMEOUT 900
    ENVIRONMENT "PATH=${_go_bin}:$ENV{PATH}")
endif()
