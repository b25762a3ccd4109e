# vCPU pinning on a real VMM (QEMU TCG). Both tests exit 77 (CTest SKIP)
# only when qemu-system-x86_64 is absent; scripts/deps-debian.txt installs it.
add_executable(e2e_qemu_pin ${CMAKE_CURRENT_LIST_DIR}/qemu_pin.c)
target_compile_options(e2e_qemu_pin PRIVATE ${VMACCEL_WARNINGS})
target_link_libraries(e2e_qemu_pin PRIVATE vmaccel)
add_test(NAME e2e_affinity:qemu_pin COMMAND e2e_qemu_pin)
set_tests_properties(e2e_affinity:qemu_pin PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)

if(TARGET vmaccel_cli)
  add_test(NAME e2e_affinity:cli_pin_restore
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/cli_pin.sh $<TARGET_FILE:vmaccel_cli>)
  set_tests_properties(e2e_affinity:cli_pin_restore PROPERTIES SKIP_RETURN_CODE 77
                       TIMEOUT 120)
endif()

# `vmaccel run --qemu` attaches every QEMU it may act on, so it must not run
# beside the other tests' QEMUs (RUN_SERIAL).
if(TARGET vmaccel_cli)
  add_test(NAME e2e_affinity:cli_run_qemu_vm_exit_and_new_vm
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/cli_run_qemu.sh $<TARGET_FILE:vmaccel_cli>)
  set_tests_properties(e2e_affinity:cli_run_qemu_vm_exit_and_new_vm PROPERTIES
                       SKIP_RETURN_CODE 77 TIMEOUT 120 RUN_SERIAL TRUE)
endif()

# More QEMUs than the old 64-VM cap: all watched, exits and late starters.
# Serial for the same reason as above, and it starts 78 QEMUs.
if(TARGET vmaccel_cli)
  add_test(NAME e2e_affinity:cli_run_qemu_more_than_64_vms
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/cli_run_many_qemu.sh $<TARGET_FILE:vmaccel_cli>)
  set_tests_properties(e2e_affinity:cli_run_qemu_more_than_64_vms PROPERTIES
                       SKIP_RETURN_CODE 77 TIMEOUT 300 RUN_SERIAL TRUE)
endif()

# At the open-file limit: said once, a degraded but working run (--pid
# only, so it may run beside the other QEMU tests).
if(TARGET vmaccel_cli)
  add_test(NAME e2e_affinity:cli_run_at_the_open_file_limit
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/cli_run_fd_limit.sh $<TARGET_FILE:vmaccel_cli>)
  set_tests_properties(e2e_affinity:cli_run_at_the_open_file_limit PROPERTIES
                       SKIP_RETURN_CODE 77 TIMEOUT 180)
endif()
