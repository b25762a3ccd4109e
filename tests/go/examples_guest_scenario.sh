#!/bin/sh
# Inside the two-node guest (tests/e2e/numa_guest/guest.sh): a VM-like
# workload with its RAM on node 1 and its vCPUs on node 0, watched first by
# the C example (examples/c/rebalance_watch.c) and then, on a fresh
# workload, by the README's Go example (examples/go/watch, as go_watch). Each must print
# the rebalance the NUMA engine plans and applies. Kernel NUMA balancing is
# off, so only vm-accel acts.
echo 0 > /proc/sys/kernel/numa_balancing 2>/dev/null

start_vm() {
  misplaced_vm --mem-node 1 --cpu-node 0 --mem-mb 64 --vcpus 2 > /tmp/vm.out &
  vm=$!
  for i in $(seq 50); do grep -q READY /tmp/vm.out && break; sleep 0.2; done
  sleep 2 # the vCPU threads pin themselves to node 0 as they start
}

start_vm
echo "C-EXAMPLE BEGIN"
# The workload pins its vCPU threads to node 0 as an operator's taskset
# would: the C example may move them (--override-pins), the README's Go
# example respects them and brings the memory instead.
rebalance_watch --interval 500 --override-pins --seconds 10 $vm 2>&1
echo "C-EXAMPLE END rc=$?"
kill $vm; wait $vm 2>/dev/null

start_vm
echo "GO-EXAMPLE BEGIN"
go_watch $vm > /tmp/go.out 2>&1 &
w=$!
# A memory migration under TCG takes seconds, more on a busy host: wait
# for its APPLIED event (90 s at most).
for i in $(seq 180); do grep -q REBALANCE_APPLIED /tmp/go.out && break; sleep 0.5; done
sleep 1
kill $w; wait $w 2>/dev/null
cat /tmp/go.out
echo "GO-EXAMPLE END"
kill $vm; wait $vm 2>/dev/null
