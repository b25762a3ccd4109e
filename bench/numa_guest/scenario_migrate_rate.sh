#!/bin/sh
# Inside the four-node guest: how fast memory migrates, vm-accel against
# the kernel's NUMA balancing, in one boot. Four VM-like workloads, vCPU
# threads pinned to node i and memory on node i+1, so only memory can move;
# each balancer alone, with transparent huge pages (what QEMU asks for its
# guest RAM) and without. Time until all four are 90% local (the kernel's
# numa_maps), pages migrated (/proc/vmstat pgmigrate_success, the kernel's
# own count for both), and vm-accel's REBALANCE_APPLIED lines.
# VMACCEL_BENCH_QUICK: 32 MiB workloads, 30 s per run.
mib=128 limit=180
[ -n "${VMACCEL_BENCH_QUICK:-}" ] && mib=32 limit=30
up_cs() { awk '{printf "%d", $1 * 100}' /proc/uptime; }
stat_of() { awk -v k="$1" '$1 == k {print $2}' /proc/vmstat; }

start_vms() {
  pids=""
  for i in 0 1 2 3; do
    misplaced_vm --mem-node $(( (i + 1) % 4 )) --cpu-node $i --mem-mb $mib --vcpus 2 \
      --thp $1 > /tmp/w$i.out &
    for k in $(seq 100); do grep -q READY /tmp/w$i.out && break; sleep 0.2; done
    pids="$pids $(sed -n 's/^READY pid=\([0-9]*\).*/\1/p' /tmp/w$i.out)"
  done
  sleep 2
}

all_local() {
  for p in $pids; do [ "$(measure $p)" -ge 90 ] || return 1; done
}

one() { # balancer thp
  echo 0 > /proc/sys/kernel/numa_balancing
  start_vms $2
  m0=$(stat_of pgmigrate_success) k0=$(stat_of numa_pages_migrated) t0=$(up_cs) bal=
  case $1 in
    vmaccel)
      vmaccel run $(for p in $pids; do echo --pid $p; done) --fix migrate-memory \
        --migrate-mbps 100000 --interval 500 --no-live --events json > /tmp/mr.jsonl 2>&1 &
      bal=$! ;;
    kernel) echo 1 > /proc/sys/kernel/numa_balancing ;;
  esac
  reached=no
  while [ $(( $(up_cs) - t0 )) -lt $((limit * 100)) ]; do
    if all_local; then reached=yes; break; fi
    sleep 0.5
  done
  t=$(( $(up_cs) - t0 ))
  echo "RATE $1 thp=$2 mib=$((4 * mib)) reached90=$reached seconds_cs=$t" \
       "pgmigrate_success=$(( $(stat_of pgmigrate_success) - m0 ))" \
       "numa_pages_migrated=$(( $(stat_of numa_pages_migrated) - k0 ))"
  if [ -n "$bal" ]; then
    kill -INT $bal; wait $bal
    grep REBALANCE_APPLIED /tmp/mr.jsonl | sed -n 's/.*"message": *"\([^"]*\)".*/RATE-APPLIED \1/p'
  fi
  echo 0 > /proc/sys/kernel/numa_balancing
  kill $pids; wait $pids 2>/dev/null
}

for thp in on off; do
  one vmaccel $thp
  one kernel $thp
done
true
