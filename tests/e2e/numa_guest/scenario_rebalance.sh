#!/bin/sh
# Inside the two-node guest: a VM-like workload whose RAM is on node 1 while
# its vCPUs run on node 0; `vmaccel run` must find and fix it, once by
# moving the vCPUs (the cheaper fix) and once by migrating the memory.
# The workload pins its own vCPU threads to node 0, as an operator's
# taskset would: the cheaper case lets vm-accel move them (--override-pins);
# the migrate case leaves them where the "operator" put them.
# The kernel's own NUMA balancing is off, so only vm-accel acts.
echo 0 > /proc/sys/kernel/numa_balancing 2>/dev/null

one_case() { # $1 = name, $2 = --fix value, $3 = more vmaccel run options
  rm -f /tmp/vm.out # a READY line left by the last case is not this one's
  misplaced_vm --mem-node 1 --cpu-node 0 --mem-mb 96 --vcpus 2 > /tmp/vm.out &
  vm=$!
  for i in $(seq 50); do grep -q READY /tmp/vm.out && break; sleep 0.2; done
  sleep 2 # the vCPU threads pin themselves to node 0 as they start
  echo "CASE $1 BEFORE $(measure $vm)"
  start=$(date +%s)
  vmaccel run --pid $vm --fix $2 $3 --interval 500 --no-live --events text \
      --duration 12 > /tmp/run.log 2>&1
  echo "CASE $1 AFTER $(measure $vm) APPLIED $(grep -c REBALANCE_APPLIED /tmp/run.log)" \
       "FAILED $(grep -c REBALANCE_FAILED /tmp/run.log) SECONDS $(( $(date +%s) - start ))"
  sed -n 's/^/  | /p' /tmp/run.log | grep -v 'LOCALITY' | head -20
  kill $vm; wait $vm 2>/dev/null
}

one_case cheaper cheaper --override-pins
one_case migrate migrate-memory
