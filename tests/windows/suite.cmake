# Tests of the Windows build, run under Wine by ctest (the toolchain's
# cross-compiling emulator is scripts/wine-run.sh): the C tests that need
# no Linux, the Windows seam's own operations, the export table, the CLI's
# output, and pinning a Windows program's named threads.
set(windows_public_tests affinity errors handles manager smmu_api smmu_ats smmu_httu smmu_pri
    smmu_stall)
set(windows_unit_tests events loop numa_budget numa_decide numa_engine numa_locality
    numa_migrator numa_policy numa_sampling numa_topology_change planner planner_quality
    qemu_numa smmu_events smmu_fields)
foreach(t ${windows_public_tests})
  vmaccel_add_catch_test(${CMAKE_CURRENT_SOURCE_DIR}/c/test_${t}.cpp
    vmaccel_test_shim vmaccel PkgConfig::JSONC vmaccel_proto)
endforeach()
foreach(t ${windows_unit_tests})
  vmaccel_add_catch_test(${CMAKE_CURRENT_SOURCE_DIR}/unit/test_${t}.cpp vmaccel_static)
endforeach()
# The Windows seam's own operations (CPU busy times, what Windows cannot do).
vmaccel_add_catch_test(${CMAKE_CURRENT_SOURCE_DIR}/windows/test_platform_windows.cpp
                       vmaccel_static)

add_executable(named_threads ${CMAKE_CURRENT_SOURCE_DIR}/windows/named_threads.c)
target_compile_options(named_threads PRIVATE ${VMACCEL_WARNINGS})

set(windows_bin ${CMAKE_RUNTIME_OUTPUT_DIRECTORY})
add_test(NAME windows_exports COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/windows/check_exports.sh
         ${CMAKE_OBJDUMP} $<TARGET_FILE:vmaccel> ${PROJECT_SOURCE_DIR}/capi/include)
add_test(NAME windows_cli COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/windows/cli.sh
         ${VMACCEL_WINE_RUN} ${windows_bin} ${PROJECT_VERSION})
add_test(NAME windows_pin COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/windows/pin.sh
         ${VMACCEL_WINE_RUN} ${windows_bin})
set_tests_properties(windows_cli windows_pin PROPERTIES TIMEOUT 300)
