#!/bin/sh
# Inside the two-node guest: the same misplaced workload (384 MiB on node 1,
# vCPU threads pinned to node 0) fixed by each balancer in turn - vm-accel,
# the kernel's automatic NUMA balancing, numad - measuring the time until
# 90% of its accesses are local (from the kernel's numa_maps) and the CPU
# time the balancer used. VMACCEL_BENCH_QUICK (from the kernel command
# line, see guest.sh): each balancer gets 15 s instead of 60 s.
limit_cs=6000
[ -n "${VMACCEL_BENCH_QUICK:-}" ] && limit_cs=1500
uptime_cs() { awk '{printf "%d", $1 * 100}' /proc/uptime; }
cpu_ticks() { [ -n "$1" ] && awk '{sub(/.*\) /, ""); print $12 + $13}' /proc/$1/stat 2>/dev/null || echo 0; }

one() {
  echo 0 > /proc/sys/kernel/numa_balancing
  misplaced_vm --mem-node 1 --cpu-node 0 --mem-mb 384 --vcpus 2 > /tmp/vm.out &
  vm=$!
  for i in $(seq 100); do grep -q READY /tmp/vm.out && break; sleep 0.2; done
  sleep 2
  before=$(measure $vm) bal= t0=$(uptime_cs)
  case $1 in
    vmaccel) vmaccel run --pid $vm --interval 500 --no-live --duration 90 >/tmp/b.log 2>&1 & bal=$! ;;
    kernel) echo 1 > /proc/sys/kernel/numa_balancing ;;
    numad) numad -i 5 -S 0 -p $vm >/dev/null 2>&1; sleep 0.5; bal=$(pidof numad) ;;
  esac
  reached=never now=$before
  while [ $(( $(uptime_cs) - t0 )) -lt $limit_cs ]; do
    now=$(measure $vm)
    if [ "$now" -ge 90 ]; then reached=$(( $(uptime_cs) - t0 )); break; fi
    sleep 0.5
  done
  echo "COMPARE $1 before=$before reached90_cs=$reached final=$now balancer_cpu_ticks=$(cpu_ticks $bal)"
  [ -n "$bal" ] && kill $bal 2>/dev/null
  kill $vm; wait $vm 2>/dev/null
}

one vmaccel
one kernel
one numad
