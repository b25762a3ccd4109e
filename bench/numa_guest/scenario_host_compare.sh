#!/bin/sh
# Inside the four-node guest (2 CPUs, 512 MiB per node): six VM-like
# workloads of mixed sizes, one wider than a node (4 vCPUs in two guest
# NUMA nodes), every one with its memory away from its vCPUs; their threads
# start pinned there and are let go after a second, so every balancer may
# move threads and memory. Each balancer alone, on fresh workloads:
# vm-accel (`vmaccel run --interval 500`), the kernel's NUMA balancing,
# numad (8 minutes: it acts slowly by design). Prints
#   MEM node=<n> used_mib=<m>                       before any workload
#   HOST <balancer> t=<s> host=<%> [<pid>=<%> ...]  every ~2 s
#   EVENT <vm-accel's event, JSON>                  what it decided and did
#   HOSTSUM <balancer> key=value ...                at the end of its run
# VMACCEL_BENCH_QUICK: 15 s per balancer. VMACCEL_BENCH_ONLY: a comma list
# of the balancers to run (default all three).
quick=${VMACCEL_BENCH_QUICK:-}
up_cs() { awk '{printf "%d", $1 * 100}' /proc/uptime; }
stat_of() { awk -v k="$1" '$1 == k {print $2}' /proc/vmstat; }
ticks() { [ -n "$1" ] && awk '{sub(/.*\) /, ""); print $12 + $13}' /proc/$1/stat 2>/dev/null || echo 0; }
for n in /sys/devices/system/node/node*; do
  awk -v n=${n##*node} '/MemUsed/{printf "MEM node=%d used_mib=%d\n", n, $4 / 1024}' $n/meminfo
done

# name vcpus cpu-node mem-node MiB [guest nodes]
WORKLOADS="A 2 0 1 192
B 1 1 2 128
C 1 2 3 128
D 1 3 0 96
E 1 1 3 96
W 4 2 0 256 -object memory-backend-ram,id=g0,size=128M -object memory-backend-ram,id=g1,size=128M -numa node,cpus=0-1,memdev=g0 -numa node,cpus=2-3,memdev=g1"

start_all() {
  targets="" pids=""
  # A READY line left by the last balancer's run is not this one's.
  for name in A B C D E W; do rm -f /tmp/$name.out; done
  echo "$WORKLOADS" | while read -r name vcpus cpu mem mib extra; do
    misplaced_vm --mem-node $mem --cpu-node $cpu --mem-mb $mib --vcpus $vcpus \
      --unpin-after 1 --stats /tmp/$name.stats $extra > /tmp/$name.out &
  done
  for name in A B C D E W; do
    for k in $(seq 100); do grep -q READY /tmp/$name.out 2>/dev/null && break; sleep 0.2; done
    line=$(cat /tmp/$name.out)
    pid=$(echo "$line" | sed -n 's/^READY pid=\([0-9]*\).*/\1/p')
    cells=$(echo "$line" | sed -n 's/.*cells=\([^ ]*\).*/\1/p')
    pids="$pids $pid"
    targets="$targets $pid${cells:+=$cells}"
  done
  sleep 2 # let the threads go
}

accesses() { # sum of the workloads' access counters (%.0f: busybox awk's
  # %d stops at 2^31, which six workloads pass within minutes)
  cat /tmp/[A-W].stats 2>/dev/null | sed -n 's/accesses=\([0-9]*\).*/\1/p' | awk '{s += $1} END {printf "%.0f", s}'
}

one() { # balancer seconds
  echo 0 > /proc/sys/kernel/numa_balancing
  rm -f /tmp/*.stats
  start_all
  m0=$(stat_of pgmigrate_success) h0=$(stat_of numa_hint_faults) t0=$(up_cs) bal=
  case $1 in
    vmaccel)
      vmaccel run $(for p in $pids; do echo --pid $p; done) --interval 500 --no-live \
        --events json > /tmp/hc.jsonl 2>/tmp/hc.err &
      bal=$! ;;
    kernel) echo 1 > /proc/sys/kernel/numa_balancing ;;
    numad) numad -i 5 >/dev/null 2>&1; sleep 0.5; bal=$(pidof numad) ;;
  esac
  reached= t=0 a_mid=0 t_mid=0
  while [ $t -lt $(($2 * 100)) ]; do
    sleep 1
    rates=$(local_rate $targets)
    host=$(echo "$rates" | awk '$1 == "host" {print $2}')
    t=$(( $(up_cs) - t0 ))
    echo "HOST $1 t=$((t / 100)) host=$host $(echo "$rates" | awk '$1 != "host" {printf "%s=%s ", $1, $2}')"
    [ -z "$reached" ] && [ "$host" -ge 90 ] && reached=$t
    # The steady state's access rate: the last third of the run.
    [ $t_mid -eq 0 ] && [ $t -ge $(($2 * 200 / 3)) ] && a_mid=$(accesses) t_mid=$t
  done
  a_end=$(accesses)
  echo "HOSTSUM $1 reached90_cs=${reached:-never} final=$host" \
       "migrated_mib=$(( ($(stat_of pgmigrate_success) - m0) * 4 / 1024 ))" \
       "hint_faults=$(( $(stat_of numa_hint_faults) - h0 ))" \
       "balancer_cpu_ticks=$(ticks $bal)" \
       "steady_accesses_per_s=$(( (a_end - a_mid) * 100 / (t - t_mid + 1) ))" \
       "planned=$(grep -c REBALANCE_PLANNED /tmp/hc.jsonl 2>/dev/null || echo 0)" \
       "applied=$(grep -c REBALANCE_APPLIED /tmp/hc.jsonl 2>/dev/null || echo 0)" \
       "deferred=$(grep -c REBALANCE_DEFERRED /tmp/hc.jsonl 2>/dev/null || echo 0)"
  [ -n "$bal" ] && kill $bal 2>/dev/null
  [ "$1" = vmaccel ] && wait $bal 2>/dev/null
  # What it decided and did, for reading the curve above.
  grep REBALANCE_ /tmp/hc.jsonl 2>/dev/null | cut -c1-400 | sed 's/^/EVENT /' || true
  rm -f /tmp/hc.jsonl
  echo 0 > /proc/sys/kernel/numa_balancing
  kill $pids; wait $pids 2>/dev/null
}

runs() { # seconds for vmaccel, kernel, numad
  for b in vmaccel kernel numad; do
    case ,${VMACCEL_BENCH_ONLY:-vmaccel,kernel,numad}, in *,$b,*) ;; *) continue ;; esac
    case $b in vmaccel) one $b $1 ;; kernel) one $b $2 ;; numad) one $b $3 ;; esac
  done
}
if [ -n "$quick" ]; then runs 15 15 15; else runs 120 120 480; fi
true
