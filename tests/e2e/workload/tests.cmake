# The misplaced VM-like workload, used by the multi-node guest tests and the
# demo (it runs inside the guest, or on the host on one node).
add_executable(misplaced_vm ${CMAKE_CURRENT_LIST_DIR}/misplaced_vm.c)
target_compile_options(misplaced_vm PRIVATE ${VMACCEL_WARNINGS})
target_link_libraries(misplaced_vm PRIVATE ${NUMA_LIBRARY} Threads::Threads)
# It plays a VMM: built without sanitizers, whose shadow mappings would
# look like terabytes of guest RAM.
target_compile_options(misplaced_vm PRIVATE -fno-sanitize=all)
target_link_options(misplaced_vm PRIVATE -fno-sanitize=all)
