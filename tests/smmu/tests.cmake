# SMMUv3 conformance: scenarios from an independent Python builder, answered
# by `vmaccel smmu replay`.
find_package(Python3 COMPONENTS Interpreter REQUIRED)
add_test(NAME smmu_conformance
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/run_conformance.py
                 $<TARGET_FILE:vmaccel_cli> ${PROJECT_BINARY_DIR}/smmu-vectors)
set_tests_properties(smmu_conformance PROPERTIES TIMEOUT 300)
