# A real two-node Linux kernel under QEMU: vm-accel must raise a misplaced
# workload's local access rate from below 20% to at least 90%, by moving
# its vCPUs and by migrating its memory; then, in the same boot, a guest
# CPU hosting a vCPU goes offline and back (scenario_hotplug.sh,
# check_hotplug.sh): TOPOLOGY_CHANGED and a re-plan. Skipped (exit 77)
# without QEMU.
find_program(QEMU_X86 qemu-system-x86_64)
if(QEMU_X86 AND NOT VMACCEL_SANITIZE)
  add_test(NAME e2e_numa_guest_rebalance
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/check_rebalance.sh ${PROJECT_BINARY_DIR})
  set_tests_properties(e2e_numa_guest_rebalance PROPERTIES TIMEOUT 500
    SKIP_RETURN_CODE 77 DEPENDS "misplaced_vm")
endif()

# Two VMs competing for one node in the same two-node guest: one decision
# for the host - one VM's vCPUs move, the other's memory migrates; both end
# >= 90% local, nothing moves for 40 s after, and every APPLIED event is
# what the kernel shows (check_compete.sh).
if(QEMU_X86 AND NOT VMACCEL_SANITIZE)
  add_test(NAME e2e_numa_guest_compete
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/check_compete.sh ${PROJECT_BINARY_DIR})
  set_tests_properties(e2e_numa_guest_compete PROPERTIES TIMEOUT 500
    SKIP_RETURN_CODE 77 DEPENDS "misplaced_vm")
endif()
