#!/usr/bin/env bash
# Live differential capture: Linux's arm-smmu-v3 driver programs QEMU's
# SMMUv3, QEMU traces what it does, and vm-accel's model must agree
# (tests/smmu/qemu_diff.py).
#
# usage: capture.sh BUILD_DIR OUT_DIR [--save-recordings DIR] [--keep-ram]
#   BUILD_DIR  a CMake build dir of vm-accel (its cli/vmaccel replays; its
#              guest cache holds the kernel, see guest_lib.sh)
#   OUT_DIR    gets console.log, trace.log, trace-quiet.log, the two diffs'
#              reports (diff-quiet.txt/.json, diff-busy.txt/.json) and, with
#              --keep-ram, ram-quiet.bin and ram-busy.bin (256 MiB each)
#   --save-recordings DIR  also writes DIR/quiet and DIR/busy: the trimmed,
#              compressed recordings the offline test replays (what
#              tests/smmu/qemu/ holds; rerun this to refresh them)
# Exit 0 when both comparisons find no unexplained difference, 1 otherwise,
# 77 (CTest's skip) when a tool is missing (guest_lib.sh lists them).
#
# The guest (init_dma): Debian's arm64 kernel under qemu-system-aarch64 TCG,
# -M virt,iommu=smmuv3, with virtio-blk-pci and virtio-net-pci both
# iommu_platform=on (so their DMA goes through the SMMU, whose driver uses
# strict invalidation in Debian's kernel). dma_load.c writes and reads the
# disk with O_DIRECT from 2 MiB-aligned huge-page buffers (2 MiB block
# mappings) and in 4 KiB chunks (page mappings); the guest pings QEMU's
# user-mode network; QEMU's edu device, assigned to a user-space VFIO
# driver (edu_dma.c), DMAs to a read-only and a read-write page and to
# IOVAs nothing maps (permission and translation faults, and their event
# records). QEMU runs with -trace 'smmu*' to trace.log.
#
# Two RAM images, each taken with the VM stopped (QMP stop, then pmemsave
# of the 256 MiB at 0x40000000):
#   quiet  at the guest's quiet point: no request in flight, so only the
#          long-lived mappings (virtqueue rings) are still live; the trace
#          up to that moment is trace-quiet.log (QEMU's log backend flushes
#          every line);
#   busy   a second into endless 2 MiB DMA: QMP stop drains the requests
#          in flight, whose buffers stay mapped because the guest's CPU is
#          stopped, so block and read-only mappings are live too (the VM is
#          stopped again, up to 8 times, until the newest 2 MiB block
#          mapping is live: block_live.py).
# Takes about 30 s here (two TCG boots' worth of guest time).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/guest_lib.sh"
(($# >= 2)) || { sed -n '2,20p' "$0" >&2; exit 2; }
build=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
shift 2
save= keep_ram=0
while (($#)); do
  case $1 in
    --save-recordings) save=$2; shift 2 ;;
    --keep-ram) keep_ram=1; shift ;;
    *) echo "capture.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
cli=$build/cli/vmaccel
[[ -x $cli ]] || { echo "capture.sh: no $cli (build vm-accel first)" >&2; exit 1; }
guest_init "$build"
guest_cc "$cache/dma_load" "$here/dma_load.c"
guest_cc "$cache/edu_dma" "$here/edu_dma.c"
guest_fetch

rm -f "$out"/{console.log,trace.log,trace-quiet.log,qmp.sock,ram-quiet.bin,ram-busy.bin}
guest_initramfs "$out/initrd.gz" "$here/init_dma" \
  "sh mount cat echo ls sleep ip ping grep insmod poweroff readlink basename dirname" \
  "virtio_pci virtio_blk virtio_net vfio_pci vfio_iommu_type1" \
  "$cache/dma_load" "$cache/edu_dma"
truncate -s 16M "$out/disk.img"

qemu-system-aarch64 -M virt,iommu=smmuv3 -accel tcg -cpu cortex-a57 -smp 1 -m 256 \
  -kernel "$vmlinuz" -initrd "$out/initrd.gz" \
  -append "console=ttyAMA0 quiet loglevel=3 panic=-1 rdinit=/init" \
  -drive if=none,id=disk0,file="$out/disk.img",format=raw \
  -device virtio-blk-pci,drive=disk0,iommu_platform=on,disable-legacy=on \
  -netdev user,id=net0 -device virtio-net-pci,netdev=net0,iommu_platform=on,disable-legacy=on \
  -device edu \
  -display none -monitor none -serial file:"$out/console.log" \
  -qmp unix:"$out/qmp.sock",server=on,wait=off \
  -trace 'smmu*' -trace file="$out/trace.log" -no-reboot </dev/null &
qemu=$!
trap 'kill "$qemu" 2>/dev/null || true; rm -f "$out/qmp.sock"' EXIT

# wait_for TEXT SECONDS: until the console shows TEXT.
wait_for() {
  local i
  for ((i = 0; i < $2 * 5; i++)); do
    grep -aq "$1" "$out/console.log" 2>/dev/null && return 0
    kill -0 "$qemu" 2>/dev/null || break
    sleep 0.2
  done
  echo "capture.sh: the guest did not say \"$1\"; its console:" >&2
  tail -n 30 "$out/console.log" >&2 || true
  exit 1
}
qmp() { python3 "$here/qmp.py" "$out/qmp.sock" "$@" >/dev/null; }
pmemsave() { qmp "pmemsave:{\"val\":1073741824,\"size\":268435456,\"filename\":\"$1\"}"; }

wait_for "GUEST quiet" 300
qmp stop
head -n "$(wc -l <"$out/trace.log")" "$out/trace.log" >"$out/trace-quiet.log"
pmemsave "$out/ram-quiet.bin"
qmp cont
wait_for "GUEST busy" 60
sleep 1
# Stop when a 2 MiB block mapping is in flight (block_live.py), so that the
# image has one; a few tries, then take what there is.
for try in 1 2 3 4 5 6 7 8; do
  qmp stop
  pmemsave "$out/ram-busy.bin"
  python3 "$here/block_live.py" "$out/trace.log" "$out/ram-busy.bin" && break
  qmp cont
  sleep 0.$((RANDOM % 9 + 1))
done
echo "capture.sh: busy image taken at try $try"
qmp quit
wait "$qemu" || true
trap - EXIT
rm -f "$out/qmp.sock"
tr -d '\r' <"$out/console.log" | grep -a '^GUEST'

rc=0
for phase in quiet busy; do
  trace=$out/trace.log
  [[ $phase == quiet ]] && trace=$out/trace-quiet.log
  args=("$cli" --trace "$trace" --ram "$out/ram-$phase.bin" --work "$out/work-$phase"
    --results "$out/diff-$phase.json")
  [[ -n $save ]] && args+=(--save "$save/$phase")
  echo "--- $phase"
  python3 "$here/../../smmu/qemu_diff.py" "${args[@]}" | tee "$out/diff-$phase.txt" || rc=1
  [[ -z $save ]] || cat >"$save/$phase/capture.txt" <<EOT
Recorded by tests/e2e/smmu_guest/capture.sh on $(date -u +%Y-%m-%d) ($phase RAM image).
QEMU: $(qemu-system-aarch64 --version | head -n1)
Guest kernel: $(basename "$vmlinuz") (Debian arm64), arm-smmu-v3 driver built in
Machine: -M virt,iommu=smmuv3 -accel tcg -cpu cortex-a57 -smp 1 -m 256
Devices: virtio-blk-pci and virtio-net-pci (iommu_platform=on,disable-legacy=on), edu
Guest console:
$(tr -d '\r' <"$out/console.log" | grep -a '^GUEST' | sed 's/^/  /')
EOT
done
((keep_ram)) || rm -f "$out"/ram-quiet.bin "$out"/ram-busy.bin
rm -rf "$out"/work-quiet "$out"/work-busy
exit "$rc"
