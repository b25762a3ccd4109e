#!/usr/bin/env bash
# Real detection of an SMMUv3: Debian's arm64 kernel booted twice under
# qemu-system-aarch64 (TCG), vm-accel's IOMMU probe (runtime/hv/iommu.c,
# cross-compiled) run inside each time (guest.sh).
#  - `-M virt,iommu=smmuv3` + virtio-rng-pci: an IOMMU present, of kind
#    smmuv3, its unit smmu3.0x<addr> under /sys/class/iommu, at least one
#    iommu group, and a device-tree node compatible "arm,smmu-v3";
#  - `-M virt` (no IOMMU): not present, kind none, nothing found, and the
#    probe's reason says /sys/class/iommu is empty.
# usage: check.sh BUILD_DIR. Exit 77 (skip) when guest.sh lacks a tool.
set -uo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
fails=0

expect() { # DESCRIPTION REGEX FILE
  if grep -Eq -- "$2" "$3"; then
    echo "ok   $1"
  else
    echo "FAIL $1: no line matching /$2/"
    fails=$((fails + 1))
  fi
}

boot() { # NAME MACHINE
  local log=$tmp/$1.log start rc
  start=$(date +%s)
  "$here/guest.sh" "$build" "$2" >"$log" 2>&1
  rc=$?
  [[ $rc == 77 ]] && { cat "$log"; exit 77; }
  echo "--- $1 (-M $2): guest.sh exit $rc, $(($(date +%s) - start)) s; the probe said:"
  grep -a -E '^(PROBE|GUEST)' "$log" | tr -d '\r'
  if ! grep -aq '^PROBE end' "$log"; then
    echo "FAIL $1: the probe did not finish; the console:"
    tail -n 40 "$log"
    fails=$((fails + 1))
  fi
  tr -d '\r' <"$log" >"$log.clean"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

boot smmuv3 virt,iommu=smmuv3
l=$tmp/smmuv3.log.clean
expect "smmuv3: an IOMMU is present, the first unit's kind is smmuv3" \
  '^PROBE present=1 kind=smmuv3 ' "$l"
expect "smmuv3: exactly one unit under /sys/class/iommu" ' units=1 ' "$l"
expect "smmuv3: the unit is smmu3.0x<address> of kind smmuv3" \
  '^PROBE unit smmu3\.0x[0-9a-f]+ kind=smmuv3$' "$l"
expect "smmuv3: at least one iommu group (virtio-rng-pci behind the SMMU)" \
  ' groups=[1-9][0-9]* ' "$l"
expect "smmuv3: one device-tree node compatible arm,smmu-v3" \
  ' dt_smmuv3_nodes=1$' "$l"
expect "smmuv3: the device-tree node is /smmuv3@<address>" \
  '^PROBE dt-node /smmuv3@[0-9a-f]+$' "$l"

boot none virt
l=$tmp/none.log.clean
expect "no IOMMU: not present, kind none, no unit, group or node" \
  '^PROBE present=0 kind=none units=0 groups=0 dt_smmuv3_nodes=0$' "$l"
expect "no IOMMU: the reason names the empty /sys/class/iommu" \
  '^PROBE reason no IOMMU: /sys/class/iommu is empty and no iommu group exists' "$l"

if ((fails)); then
  echo "smmu_guest: $fails check(s) failed"
  exit 1
fi
echo "smmu_guest: all checks passed"
