#!/bin/sh
# Inside the two-node guest: one VM-like workload with 320 MiB on node 1
# and its vCPU threads on node 0, fixed by each balancer alone - vm-accel,
# the kernel's automatic NUMA balancing, numad - in two cases:
#   pinned  the threads stay pinned to node 0 (a VM an operator or
#           libvirt placed): only memory may move for the kernel and numad;
#   free    the threads are let go after a second (the fair race: every
#           balancer may move threads and memory; the kernel's own case).
# For each: time until 90% of its accesses are local (the kernel's
# numa_maps), the balancer's CPU time (the kernel's own balancing runs in
# the workload's system time: its hinting faults and migrations), NUMA
# hinting faults and memory migrated meanwhile, and the workload's access
# rate over its last 20 s.
# Lines: COMPARE <balancer> case=<pinned|free> key=value ...
# VMACCEL_BENCH_QUICK (from the kernel command line, see guest.sh): 15 s
# per run instead of 60 (numad: 120 in the free case).
limit=60 numad_free=120
[ -n "${VMACCEL_BENCH_QUICK:-}" ] && limit=15 numad_free=15
up_cs() { awk '{printf "%d", $1 * 100}' /proc/uptime; }
stat_of() { awk -v k="$1" '$1 == k {print $2}' /proc/vmstat; }
cpu_ticks() { [ -n "$1" ] && awk '{sub(/.*\) /, ""); print $12 + $13}' /proc/$1/stat 2>/dev/null || echo 0; }
sys_ticks() { awk '{sub(/.*\) /, ""); print $13}' /proc/$1/stat 2>/dev/null || echo 0; }
accesses() { sed -n 's/accesses=\([0-9]*\).*/\1/p' /tmp/vm.stats 2>/dev/null || echo 0; }

one() { # balancer case seconds
  echo 0 > /proc/sys/kernel/numa_balancing
  unpin=; [ "$2" = free ] && unpin="--unpin-after 1"
  rm -f /tmp/vm.stats
  rm -f /tmp/vm.out # a READY line left by the last run is not this one's
  misplaced_vm --mem-node 1 --cpu-node 0 --mem-mb 320 --vcpus 2 $unpin --stats /tmp/vm.stats \
    > /tmp/vm.out &
  vm=$!
  for i in $(seq 100); do grep -q READY /tmp/vm.out && break; sleep 0.2; done
  sleep 2
  before=$(measure $vm) bal= t0=$(up_cs) h0=$(stat_of numa_hint_faults) m0=$(stat_of pgmigrate_success)
  s0=$(sys_ticks $vm)
  case $1 in
    vmaccel) vmaccel run --pid $vm --interval 500 --no-live --duration 900 >/tmp/b.log 2>&1 & bal=$! ;;
    kernel) echo 1 > /proc/sys/kernel/numa_balancing ;;
    numad) numad -i 5 -S 0 -p $vm >/dev/null 2>&1; sleep 0.5; bal=$(pidof numad) ;;
  esac
  reached=never now=$before t=0 a20=
  while [ $t -lt $(($3 * 100)) ]; do
    now=$(measure $vm) t=$(( $(up_cs) - t0 ))
    [ "$reached" = never ] && [ "$now" -ge 90 ] && reached=$t
    [ -z "$a20" ] && [ $t -ge $(($3 * 100 - 2000)) ] && a20=$(accesses) t20=$t
    sleep 0.5
  done
  a_end=$(accesses)
  echo "COMPARE $1 case=$2 before=$before reached90_cs=$reached final=$now" \
       "balancer_cpu_ticks=$(cpu_ticks $bal) workload_sys_ticks=$(( $(sys_ticks $vm) - s0 ))" \
       "hint_faults=$(( $(stat_of numa_hint_faults) - h0 ))" \
       "migrated_mib=$(( ($(stat_of pgmigrate_success) - m0) * 4 / 1024 ))" \
       "accesses_per_s=$(( (a_end - ${a20:-$a_end}) * 100 / (t - ${t20:-$t} + 1) ))"
  [ -n "$bal" ] && kill $bal 2>/dev/null
  echo 0 > /proc/sys/kernel/numa_balancing
  kill $vm; wait $vm 2>/dev/null
}

for c in pinned free; do
  one vmaccel $c $limit
  one kernel $c $limit
  if [ $c = free ]; then one numad $c $numad_free; else one numad $c $limit; fi
done
true
