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
