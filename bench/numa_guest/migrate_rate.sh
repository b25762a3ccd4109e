#!/usr/bin/env bash
# Memory migration speed, vm-accel against the kernel's NUMA balancing, in
# one boot of the four-node guest (scenario_migrate_rate.sh): pages per
# second each reached, with and without transparent huge pages, and their
# ratio. VMACCEL_BENCH_QUICK: small workloads, short runs;
# VMACCEL_BENCH_ONLY=kernel,vmaccel-stop: only those balancers;
# VMACCEL_BENCH_VCPUS=1: one vCPU thread per workload, half the guest's
# CPUs idle (default 2: all busy).
#   bench/numa_guest/migrate_rate.sh BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(VMACCEL_GUEST_NODES=4 "$root/tests/e2e/numa_guest/guest.sh" "$1" \
        "$root/bench/numa_guest/scenario_migrate_rate.sh" 1800 | tr -d '\r')
echo "$out" | grep -E '^(GUEST-UP|RATE)'
echo "$out" | grep -q 'GUEST-UP nodes=4' || { echo "migrate_rate: the guest did not boot with 4 nodes" >&2; exit 1; }
# --migrate-stop-vcpus must have paused the vCPUs (its APPLIED events say
# so) rather than quietly moving with them running.
if echo "$out" | grep -Eq '^RATE vmaccel-stop(-running)? ' &&
   ! echo "$out" | grep -q '^RATE-APPLIED .*its vCPUs paused'; then
  echo "migrate_rate: --migrate-stop-vcpus moved memory without pausing the vCPUs" >&2
  exit 1
fi
# Two rates per run, from the kernel's own count of migrated pages:
# - from start: over the time from the balancer's start until the count
#   last grew (detection, and vm-accel's own start, are part of it);
# - migrating: over the time from the first page moved to the last (the
#   migration itself, each balancer's detection left out).
# Then vm-accel / kernel for each.
echo "$out" | awk '
  /^RATE (vmaccel|kernel|vmaccel-stop|vmaccel-stopped|vmaccel-whole)(-running)? / {
    delete f
    for (i = 3; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    pages = f["pgmigrate_success"]
    s = f["active_cs"] / 100
    d = (f["active_cs"] - f["first_cs"]) / 100
    if (d < 0.05) d = 0.05 # one sample apart at most
    r = s > 0 ? pages / s : 0
    rm = pages > 0 ? pages / d : 0
    rate[$2, f["thp"]] = r
    mrate[$2, f["thp"]] = rm
    printf "%-20s thp=%-3s %6d pages: from start %5.1f s = %7.0f pages/s; migrating %5.1f s = %7.0f pages/s; %s to 90%% in %.1f s\n",
           $2, f["thp"], pages, s, r, d, rm, f["reached90"] == "yes" ? "got" : "never got", f["seconds_cs"] / 100
  }
  function ratio(name, peer, thp, label) {
    if (!((name, thp) in rate) || !(rate[peer, thp] > 0 && mrate[peer, thp] > 0))
      return # not run (VMACCEL_BENCH_ONLY)
    printf "ratio    thp=%-3s %-42s from start %.2f, migrating %.2f\n", thp, label,
           rate[name, thp] / rate[peer, thp], mrate[name, thp] / mrate[peer, thp]
  }
  END {
    for (t = 0; t < 2; t++) {
      thp = t ? "off" : "on"
      ratio("vmaccel", "kernel", thp, "vm-accel / kernel:")
      ratio("vmaccel-stop", "kernel", thp, "--migrate-stop-vcpus / kernel:")
      ratio("vmaccel-running", "kernel-running", thp, "already running, vm-accel / kernel:")
      ratio("vmaccel-stop-running", "kernel-running", thp,
            "already running, --migrate-stop-vcpus / kernel:")
    }
  }'
