#!/usr/bin/env bash
# Memory migration speed, vm-accel against the kernel's NUMA balancing, in
# one boot of the four-node guest (scenario_migrate_rate.sh): pages per
# second each reached, with and without transparent huge pages, and their
# ratio. VMACCEL_BENCH_QUICK: small workloads, short runs;
# VMACCEL_BENCH_VCPUS=1: one vCPU thread per workload, half the guest's
# CPUs idle (default 2: all busy).
#   bench/numa_guest/migrate_rate.sh BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(VMACCEL_GUEST_NODES=4 "$root/tests/e2e/numa_guest/guest.sh" "$1" \
        "$root/bench/numa_guest/scenario_migrate_rate.sh" 1800 | tr -d '\r')
echo "$out" | grep -E '^(GUEST-UP|RATE)'
echo "$out" | grep -q 'GUEST-UP nodes=4' || { echo "migrate_rate: the guest did not boot with 4 nodes" >&2; exit 1; }
# pages/s = pages migrated over the time until the count last grew (from
# the balancer's start: detection is part of it), per run; then vm-accel /
# kernel.
echo "$out" | awk '
  /^RATE (vmaccel|kernel|vmaccel-stop|vmaccel-stopped|vmaccel-whole) / {
    for (i = 3; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    s = f["active_cs"] / 100
    r = s > 0 ? f["pgmigrate_success"] / s : 0
    rate[$2, f["thp"]] = r
    printf "%-15s thp=%-3s %6d pages in %6.1f s = %8.0f pages/s (%s to 90%% in %.1f s)\n", $2, f["thp"],
           f["pgmigrate_success"], s, r, f["reached90"] == "yes" ? "got" : "never got", f["seconds_cs"] / 100
  }
  END {
    for (t = 0; t < 2; t++) {
      thp = t ? "off" : "on"
      if (rate["kernel", thp] > 0) {
        printf "ratio    thp=%-3s vm-accel / kernel = %.2f\n", thp, rate["vmaccel", thp] / rate["kernel", thp]
        printf "ratio    thp=%-3s vm-accel --migrate-stop-vcpus / kernel = %.2f\n", thp,
               rate["vmaccel-stop", thp] / rate["kernel", thp]
      }
    }
  }'
