# Go bindings: bindings/go/test.sh installs this build into a scratch prefix
# and runs `go test -race` there (errors, topology, reports, C/Go parity,
# generated .pb.go currency). Skipped in sanitizer builds: the Go toolchain
# links the library without the sanitizer runtimes.
find_program(VMACCEL_GO go HINTS /usr/local/go/bin)
if(VMACCEL_GO)
  get_filename_component(_go_bin ${VMACCEL_GO} DIRECTORY)
endif()
if(NOT VMACCEL_SANITIZE AND VMACCEL_GO AND VMACCEL_BUILD_CLI)
  add_test(NAME go_bindings
           COMMAND ${PROJECT_SOURCE_DIR}/bindings/go/test.sh ${PROJECT_BINARY_DIR})
  set_tests_properties(go_bindings PROPERTIES TIMEOUT 900
    ENVIRONMENT "PATH=${_go_bin}:$ENV{PATH}")
endif()

# The C host example and the README's Go example watch a misplaced workload
# in a real two-node guest (tests/e2e/numa_guest/guest.sh) and must print
# the rebalance events of its fix. Skipped (77) without QEMU or Go.
find_program(VMACCEL_QEMU_X86 qemu-system-x86_64)
if(NOT VMACCEL_SANITIZE AND VMACCEL_GO AND VMACCEL_QEMU_X86 AND VMACCEL_BUILD_CLI)
  add_test(NAME examples_rebalance_guest
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/examples_guest.sh ${PROJECT_BINARY_DIR})
  set_tests_properties(examples_rebalance_guest PROPERTIES TIMEOUT 600
    SKIP_RETURN_CODE 77 ENVIRONMENT "PATH=${_go_bin}:$ENV{PATH}")
endif()
