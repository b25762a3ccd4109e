#!/bin/sh
# Inside the two-node guest: while `vmaccel run --events json` watches a
# misplaced VM-like workload, the guest CPU hosting one of its vCPUs (after
# vm-accel moved them to node 1) goes offline and back through
# /sys/devices/system/cpu/cpuN/online. vm-accel must say TOPOLOGY_CHANGED
# both times and re-plan the vCPU off the offline CPU. Prints CASE hotplug
# lines for check_hotplug.sh. Runs alone or after scenario_rebalance.sh.
echo 0 > /proc/sys/kernel/numa_balancing 2>/dev/null

hp_log=/tmp/hotplug.log
vcpu_tasks() { for t in /proc/$1/task/*; do case "$(cat $t/comm)" in "CPU "*) echo $t ;; esac; done; }
allowed_of() { awk '/^Cpus_allowed_list/{print $2}' $1/status; }
last_cpu_of() { awk '{sub(/.*\) /, ""); print $37}' $1/stat; }
# wait_log PATTERN COUNT TENTHS: until PATTERN is in the log COUNT times.
wait_log() {
  for i in $(seq $3); do
    [ "$(grep -c "$1" $hp_log)" -ge "$2" ] && return 0
    sleep 0.1
  done
  echo "CASE hotplug TIMEOUT waiting for $2 x $1"
  return 1
}
# The vCPU thread vm-accel pinned to one CPU other than 0 (CPU 0 cannot
# go offline): prints "TASK CPU".
pinned_vcpu() {
  for t in $(vcpu_tasks $1); do
    a=$(allowed_of $t)
    case "$a" in *[!0-9]* | "" | 0) ;; *) echo "$t $a" ;; esac
  done | tail -n1
}

hotplug_case() {
  rm -f /tmp/hp_vm.out # a READY line left by the last case is not this one's
  misplaced_vm --mem-node 1 --cpu-node 0 --mem-mb 32 --vcpus 2 > /tmp/hp_vm.out &
  vm=$!
  for i in $(seq 50); do grep -q READY /tmp/hp_vm.out && break; sleep 0.2; done
  sleep 1 # the vCPU threads pin themselves to node 0 as they start
  start=$(date +%s)
  # The workload pinned its own threads (an operator's taskset): moving
  # them is what this case is about.
  vmaccel run --pid $vm --fix move-vcpus --override-pins --interval 500 --no-live --events json \
      --duration 40 > $hp_log 2>&1 &
  run=$!
  wait_log REBALANCE_APPLIED 1 150
  set -- $(pinned_vcpu $vm)
  task=$1 cpu=$2
  echo "CASE hotplug PINNED task=${task##*/} cpu=${cpu:-none}"
  if [ -n "$cpu" ]; then
    echo 0 > /sys/devices/system/cpu/cpu$cpu/online
    wait_log TOPOLOGY_CHANGED 1 50 && wait_log 'moved off unusable' 1 50
    echo "CASE hotplug OFFLINE cpu=$cpu allowed=$(allowed_of $task)" \
         "last=$(last_cpu_of $task) online=$(cat /sys/devices/system/cpu/online)"
    echo 1 > /sys/devices/system/cpu/cpu$cpu/online
    wait_log TOPOLOGY_CHANGED 2 50
    echo "CASE hotplug ONLINE cpu=$cpu allowed=$(allowed_of $task)" \
         "last=$(last_cpu_of $task) online=$(cat /sys/devices/system/cpu/online)"
  fi
  kill $run; wait $run 2>/dev/null
  echo "CASE hotplug EVENTS topology=$(grep -c TOPOLOGY_CHANGED $hp_log)" \
       "replanned=$(grep -c 'moved off unusable' $hp_log)" \
       "failed=$(grep -c REBALANCE_FAILED $hp_log) SECONDS $(( $(date +%s) - start ))"
  grep -E 'TOPOLOGY_CHANGED|REBALANCE' $hp_log | sed 's/^/  hp| /'
  kill $vm; wait $vm 2>/dev/null
}

hotplug_case
