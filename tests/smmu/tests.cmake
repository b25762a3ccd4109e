# SMMUv3 conformance: scenarios from an independent Python builder, answered
# by `vmaccel smmu replay`.
find_package(Python3 COMPONENTS Interpreter REQUIRED)
add_test(NAME smmu_conformance
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/run_conformance.py
                 $<TARGET_FILE:vmaccel_cli> ${PROJECT_BINARY_DIR}/smmu-vectors)
set_tests_properties(smmu_conformance PROPERTIES TIMEOUT 300)

# Differential conformance against QEMU's SMMUv3 as Linux's arm-smmu-v3
# driver programmed it: each recording under qemu/ (a QEMU trace and the
# guest RAM pages the tables and queues live in, made by
# tests/e2e/smmu_guest/capture.sh) replayed into the model; the model must
# agree with every translation, register read and queue state QEMU traced,
# up to the differences qemu/RESULTS.md explains.
file(GLOB smmu_qemu_recordings CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/qemu/*/ram.json)
foreach(index ${smmu_qemu_recordings})
  get_filename_component(dir ${index} DIRECTORY)
  get_filename_component(name ${dir} NAME)
  add_test(NAME smmu_qemu_diff_${name}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/qemu_diff.py
                   $<TARGET_FILE:vmaccel_cli> ${dir}
                   --work ${PROJECT_BINARY_DIR}/smmu-qemu-diff/${name})
  set_tests_properties(smmu_qemu_diff_${name} PROPERTIES TIMEOUT 300)
endforeach()
# The differential's own rules (trace reading, liveness, stale hits, the
# Span check) and a recording with one traced result changed, which must
# be reported.
add_test(NAME smmu_qemu_diff_rules
         COMMAND ${Python3_EXECUTABLE} -m pytest -q -p no:cacheprovider
                 ${CMAKE_CURRENT_LIST_DIR}/test_qemu_diff.py)
set_tests_properties(smmu_qemu_diff_rules PROPERTIES TIMEOUT 300
  ENVIRONMENT "VMACCEL_CLI=$<TARGET_FILE:vmaccel_cli>")
