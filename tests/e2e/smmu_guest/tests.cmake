# Real IOMMU detection: Debian's arm64 kernel under qemu-system-aarch64 (TCG),
# once with -M virt,iommu=smmuv3 (the probe must find the SMMUv3 through
# /sys/class/iommu, an iommu group and the device tree) and once without (the
# probe must say no IOMMU, with its reason). The probe is runtime/hv/iommu.c
# cross-compiled for aarch64 by guest.sh, not a build target. Skipped
# (exit 77) without qemu-system-aarch64 or the aarch64 cross compiler; not in
# sanitizer builds (the guest code is not the sanitized build's).
find_program(QEMU_AARCH64 qemu-system-aarch64)
if(QEMU_AARCH64 AND NOT VMACCEL_SANITIZE)
  add_test(NAME e2e_smmu_guest_detect
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/check.sh ${PROJECT_BINARY_DIR})
  set_tests_properties(e2e_smmu_guest_detect PROPERTIES TIMEOUT 400
    SKIP_RETURN_CODE 77)
  # The live differential against QEMU's SMMUv3 (capture.sh): one boot with
  # virtio-blk and virtio-net DMA through the SMMU, two RAM images, both
  # replayed into the model (tests/smmu/qemu_diff.py). About 30 s.
  add_test(NAME e2e_smmu_qemu_capture
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/capture.sh ${PROJECT_BINARY_DIR}
                   ${PROJECT_BINARY_DIR}/smmu-qemu-capture)
  set_tests_properties(e2e_smmu_qemu_capture PROPERTIES TIMEOUT 600
    SKIP_RETURN_CODE 77 LABELS "e2e;guest")
endif()
