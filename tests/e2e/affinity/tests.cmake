# vCPU pinning on a real VMM (QEMU TCG). Both tests exit 77 (CTest SKIP)
# only when qemu-system-x86_64 is absent; scripts/deps-debian.txt installs it.
add_executable(e2e_qemu_pin ${CMAKE_CURRENT_LIST_DIR}/qemu_pin.c)
target_compile_options(e2e_qemu_pin PRIVATE ${VMACCEL_WARNINGS})
target_link_libraries(e2e_qemu_pin PRIVATE vmaccel)
add_test(NAME e2e_affinity:qemu_pin COMMAND e2e_qemu_pin)
set_tests_properties(e2e_affinity:qemu_pin PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)

# A script of this directory run on the vmaccel binary: e2e_cli(NAME SCRIPT
# TIMEOUT [SERIAL]). SERIAL for `vmaccel run --qemu`, which attaches every
# QEMU it may act on, so it must not run beside the other tests' QEMUs.
function(e2e_cli name script timeout)
  add_test(NAME e2e_affinity:${name}
           COMMAND ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/${script} $<TARGET_FILE:vmaccel_cli>)
  set_tests_properties(e2e_affinity:${name} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT ${timeout})
  if(ARGV3 STREQUAL "SERIAL")
    set_tests_properties(e2e_affinity:${name} PROPERTIES RUN_SERIAL TRUE)
  endif()
endfunction()

if(TARGET vmaccel_cli)
  e2e_cli(cli_pin_restore cli_pin.sh 120)
  # A QEMU without thread names, found through its QMP socket.
  e2e_cli(cli_qmp cli_qmp.sh 120)
  e2e_cli(cli_run_qemu_vm_exit_and_new_vm cli_run_qemu.sh 120 SERIAL)
  # More QEMUs than the old 64-VM cap (78 in all): every one watched,
  # exits reported, late starters attached.
  e2e_cli(cli_run_qemu_more_than_64_vms cli_run_many_qemu.sh 300 SERIAL)
  # At the open-file limit: said once, a degraded but working run (--pid
  # only: it may run beside the other QEMU tests).
  e2e_cli(cli_run_at_the_open_file_limit cli_run_fd_limit.sh 180)
endif()
