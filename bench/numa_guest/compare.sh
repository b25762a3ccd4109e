#!/usr/bin/env bash
# vm-accel vs the kernel's automatic NUMA balancing vs numad on the same
# misplaced workload in a two-node guest (see scenario_compare.sh).
# usage: bench/numa_guest/compare.sh BUILD_DIR   (installs Debian's numad)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v numad >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq numad >/dev/null
VMACCEL_GUEST_EXTRA=$(command -v numad) "$root/tests/e2e/numa_guest/guest.sh" "$1" \
  "$root/bench/numa_guest/scenario_compare.sh" 900 | tr -d '\r' | grep -E '^(GUEST-UP|COMPARE)'
