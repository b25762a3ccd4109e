#!/bin/sh
# Inside the four-node guest: how fast memory migrates, vm-accel against
# the kernel's NUMA balancing, in one boot. Four VM-like workloads, vCPU
# threads pinned to node i and memory on node i+1, so only memory can move;
# each balancer alone, with transparent huge pages (what QEMU asks for its
# guest RAM) and without; and vm-accel once more with the workloads'
# threads stopped (a diagnostic: no TLB shootdowns, see below), with
# --migrate-stop-vcpus (vm-accel stops the vCPU threads itself while
# windows move) and with --migrate-whole (one migrate_pages(2) per VM
# instead of windows). Then the kernel, vm-accel and --migrate-stop-vcpus
# once more, already running when the VMs' vCPUs move away from their
# memory (kernel-running, ...): a daemon's own start is left out, and the
# kernel has slowed its scanning in a local spell, as on a host. Time
# until all four are 90% local (the kernel's
# numa_maps), pages migrated (/proc/vmstat pgmigrate_success, the kernel's
# own count for both), when the count first and last grew (sampled every
# 50 ms) and vm-accel's REBALANCE_APPLIED lines.
# VMACCEL_BENCH_QUICK: 32 MiB workloads, 30 s per run (5 s of settling
# for the -running cases instead of 10), and unless VMACCEL_BENCH_ONLY says
# otherwise only the cases in quick_only (CI's check of the command
# stays near five minutes). VMACCEL_BENCH_ONLY:
# a comma list of the balancers to run (e.g. kernel,vmaccel-stop).
# VMACCEL_BENCH_VCPUS: vCPU threads per workload (default 2, which keeps
# every guest CPU busy; 1 leaves one CPU per node idle, where vm-accel's
# migration threads need not share a CPU with a spinning vCPU).
mib=128 limit=180 settle=10 vcpus=${VMACCEL_BENCH_VCPUS:-2}
quick_only=vmaccel,kernel,vmaccel-stop,kernel-running,vmaccel-stop-running
[ -n "${VMACCEL_BENCH_QUICK:-}" ] && mib=32 limit=30 settle=5 \
  VMACCEL_BENCH_ONLY=${VMACCEL_BENCH_ONLY:-$quick_only}
up_cs() { awk '{printf "%d", $1 * 100}' /proc/uptime; }
stat_of() { awk -v k="$1" '$1 == k {print $2}' /proc/vmstat; }

# start_vms thp shift: workload i's vCPUs on node i, its memory on node
# i + shift (1: misplaced; 0: local, until move_vcpus).
start_vms() {
  pids="" targets="" size=$mib
  [ $1 = off ] && size=$((mib / 4)) # 4 KiB pages move slowly here: less of them
  for i in 0 1 2 3; do
    rm -f /tmp/w$i.out # a READY line left by the last run is not this one's
    misplaced_vm --mem-node $(( (i + $2) % 4 )) --cpu-node $i --mem-mb $size --vcpus $vcpus \
      --thp $1 > /tmp/w$i.out &
    for k in $(seq 100); do grep -q READY /tmp/w$i.out && break; sleep 0.2; done
    pids="$pids $(sed -n 's/^READY pid=\([0-9]*\).*/\1/p' /tmp/w$i.out)"
  done
  targets=$pids
  sleep 2
}

# Workload i's vCPU threads now pinned to node i + 1's CPUs, as a host
# scheduler or an operator moves a VM: its memory is all remote at once.
move_vcpus() {
  i=0
  for p in $pids; do
    cpus=$(cat /sys/devices/system/node/node$(( (i + 1) % 4 ))/cpulist)
    for t in /proc/$p/task/*; do
      case $(cat $t/comm) in CPU*) taskset -p -c $cpus ${t##*/} > /dev/null ;; esac
    done
    i=$((i + 1))
  done
}

alive() { # pid: running, not exited (a zombie is exited)
  st=$(sed 's/.*) //' /proc/$1/stat 2>/dev/null | cut -d' ' -f1)
  [ -n "$st" ] && [ "$st" != Z ]
}

# SIGINT, then up to 30 s for vmaccel to exit. One run in CI did not end
# (the guest ran to its 30-minute limit) with no sign of where: a vmaccel
# still running then is reported with each thread's kernel wait channel,
# and killed, so the run ends and says why.
stop_vmaccel() {
  kill -INT $1
  for k in $(seq 60); do alive $1 || break; sleep 0.5; done
  if alive $1; then
    echo "RATE-STUCK vmaccel did not exit 30 s after SIGINT"
    for t in /proc/$1/task/*; do
      echo "RATE-STUCK thread $(cat $t/comm) state $(sed 's/.*) //' $t/stat | cut -d' ' -f1) wchan $(cat $t/wchan 2>/dev/null)"
    done
    kill -KILL $1
  fi
  wait $1
}

# Every 50 ms, uptime (cs) and pgmigrate_success: when the migration's
# first and last pages moved, finer than the main loop's polls.
sample_vmstat() {
  while :; do
    echo "$(up_cs) $(stat_of pgmigrate_success)"
    sleep 0.05
  done
}

# field(first|last): centiseconds from t0 to the sample that first saw
# the count grow, or that last saw it change.
migrated_at() {
  awk -v m0=$m0 -v t0=$t0 -v want=$1 'BEGIN {prev = m0}
    $2 > m0 && first == "" {first = $1 - t0}
    $2 != prev {last = $1 - t0; prev = $2}
    END {print want == "first" ? first + 0 : last + 0}' /tmp/vmstat.log
}

all_local() {
  local_rate $targets | awk '$1 != "host" && $2 < 90 {low = 1} END {exit low}'
}

# Starts balancer $1 (vmaccel... or kernel); sets bal to vm-accel's pid.
start_balancer() {
  bal=
  case $1 in
    vmaccel*)
      how=
      [ $1 = vmaccel-whole ] && how=--migrate-whole
      [ $1 = vmaccel-stop ] && how=--migrate-stop-vcpus
      vmaccel run $(for p in $pids; do echo --pid $p; done) --fix migrate-memory $how \
        --migrate-mbps 100000 --interval 500 --no-live --events json > /tmp/mr.jsonl 2>&1 &
      bal=$! ;;
    kernel) echo 1 > /proc/sys/kernel/numa_balancing ;;
  esac
}

# one balancer thp. A name ending in -running: the balancer starts first,
# with every workload local, and settles ($settle s); then the vCPUs move
# (move_vcpus) and the clock starts: what a daemon already running sees,
# without its own start in the time.
one() {
  echo 0 > /proc/sys/kernel/numa_balancing
  b=${1%-running}
  if [ $b != $1 ]; then
    start_vms $2 0
    start_balancer $b
    sleep $settle
  else
    start_vms $2 1
  fi
  m0=$(stat_of pgmigrate_success) k0=$(stat_of numa_pages_migrated) t0=$(up_cs)
  sample_vmstat > /tmp/vmstat.log &
  sampler=$!
  # vmaccel-stopped: the workloads' threads are stopped while vm-accel
  # migrates - no CPU runs their address space, so moving a page needs no
  # TLB shootdown (the kernel's fault-driven path needs none either).
  [ $1 = vmaccel-stopped ] && kill -STOP $pids
  if [ $b != $1 ]; then move_vcpus; else start_balancer $b; fi
  reached=no
  while [ $(( $(up_cs) - t0 )) -lt $((limit * 100)) ]; do
    if all_local; then reached=yes; break; fi
    sleep 0.5
  done
  t=$(( $(up_cs) - t0 ))
  sleep 0.2 # the sampler's last look
  kill $sampler; wait $sampler 2>/dev/null
  echo "RATE $1 thp=$2 mib=$((4 * size)) reached90=$reached seconds_cs=$t" \
       "first_cs=$(migrated_at first) active_cs=$(migrated_at last)" \
       "pgmigrate_success=$(( $(stat_of pgmigrate_success) - m0 ))" \
       "numa_pages_migrated=$(( $(stat_of numa_pages_migrated) - k0 ))"
  [ $1 = vmaccel-stopped ] && kill -CONT $pids
  if [ -n "$bal" ]; then
    stop_vmaccel $bal
    grep REBALANCE_APPLIED /tmp/mr.jsonl | sed -n 's/.*"message": *"\([^"]*\)".*/RATE-APPLIED \1/p'
    # What else it said: failures, and its last line (events, actions).
    grep REBALANCE_FAILED /tmp/mr.jsonl | sed -n 's/.*"message": *"\([^"]*\)".*/RATE-FAILED \1/p'
    grep -v '^{' /tmp/mr.jsonl | tail -n 1 | sed 's/^/RATE-END /'
  fi
  echo 0 > /proc/sys/kernel/numa_balancing
  kill $pids; wait $pids 2>/dev/null
}

for thp in on off; do
  for b in vmaccel kernel vmaccel-stop vmaccel-whole vmaccel-stopped \
           kernel-running vmaccel-running vmaccel-stop-running; do
    case ,${VMACCEL_BENCH_ONLY:-$b}, in *,$b,*) one $b $thp ;; esac
  done
done
true
