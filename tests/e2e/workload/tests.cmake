# The misplaced VM-like workload, used by the multi-node guest tests and the
# demo (it runs inside the guest, or on the host on one node).
add_executable(misplaced_vm ${CMAKE_CURRENT_LIST_DIR}/misplaced_vm.c)
target_compile_options(misplaced_vm PRIVATE ${VMACCEL_WARNINGS})
target_link_libraries(misplaced_vm PRIVATE ${NUMA_LIBRARY} Threads::Threads)
# It plays a VMM: built without sanitizers, whose shadow mappings would
# look like terabytes of guest RAM.
target_compile_options(misplaced_vm PRIVATE -fno-sanitize=all)
target_link_options(misplaced_vm PRIVATE -fno-sanitize=all)

# local_rate: the true local share of many workloads at once, for the guest
# benchmarks (bench/numa_guest), read from the kernel.
add_executable(local_rate ${CMAKE_CURRENT_LIST_DIR}/local_rate.c)
target_compile_options(local_rate PRIVATE ${VMACCEL_WARNINGS})
