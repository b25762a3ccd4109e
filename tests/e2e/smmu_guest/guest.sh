#!/usr/bin/env bash
# Boots Debian's arm64 kernel under qemu-system-aarch64 (TCG) with a busybox
# initramfs whose init runs vm-accel's real IOMMU probe (iommu_probe_main.c +
# runtime/hv/iommu.c, cross-compiled static for aarch64) and powers off; prints
# the serial console.
#
# usage: guest.sh BUILD_DIR [MACHINE [SECONDS]]
#   BUILD_DIR  a CMake build dir of vm-accel (only its guest cache is used)
#   MACHINE    the -M value (default virt,iommu=smmuv3; plain "virt" has no
#              IOMMU)
# env: VMACCEL_GUEST_CACHE (default BUILD_DIR/guest-cache) keeps the kernel,
#      busybox and a private arm64 apt state under arm64/ (guest_lib.sh).
# Exit 77 (CTest's skip) when a tool is missing (guest_lib.sh lists them).
#
# virtio_pci and the modules it depends on are loaded in the guest so that
# the virtio-rng-pci device gets a driver, hence a DMA configuration through
# the SMMU, hence an iommu group.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/guest_lib.sh"
build=$(cd "$1" && pwd) machine=${2:-virt,iommu=smmuv3} limit=${3:-180}
guest_init "$build"

# --- the real probe, static for aarch64 -----------------------------------
probe=$cache/iommu_probe
guest_cc "$probe" -I"$src/runtime" -I"$src/capi/include" \
  "$here/iommu_probe_main.c" "$src/runtime/hv/iommu.c"

guest_fetch
initrd=$(mktemp --suffix=.cpio.gz)
trap 'rm -f "$initrd"' EXIT
guest_initramfs "$initrd" "$here/init" \
  "sh mount cat echo ls readlink basename dirname find grep tr insmod poweroff" \
  virtio_pci "$probe"

timeout --foreground "$limit" qemu-system-aarch64 -M "$machine" -accel tcg \
  -cpu cortex-a57 -smp 1 -m 256 \
  -kernel "$vmlinuz" -initrd "$initrd" \
  -append "console=ttyAMA0 quiet loglevel=3 panic=-1 rdinit=/init" \
  -device virtio-rng-pci -nic none \
  -nographic -no-reboot -serial mon:stdio </dev/null
