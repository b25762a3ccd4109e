#!/bin/sh
# The demo inside the two-node guest: a misplaced VM-like workload, watched
# and fixed by `vmaccel run`, recorded for `vmaccel plot`. The kernel's own
# NUMA balancing is off so that what changes is vm-accel's doing.
echo 0 > /proc/sys/kernel/numa_balancing 2>/dev/null
misplaced_vm --mem-node 1 --cpu-node 0 --mem-mb 96 --vcpus 2 > /tmp/vm.out &
vm=$!
for i in $(seq 50); do grep -q READY /tmp/vm.out && break; sleep 0.2; done
sleep 2
echo "DEMO BEFORE $(measure $vm)"
# The workload pins its vCPU threads to node 0 itself, as an operator's
# taskset would; --override-pins lets vm-accel move them (without it, it
# would leave them there and bring the memory to them instead).
vmaccel run --pid $vm --override-pins --interval 500 --duration 10 --no-live --events text \
    --record /tmp/run.jsonl 2>&1 | sed 's/timestamp_ns: [0-9]* //'
echo "DEMO AFTER $(measure $vm)"
echo RECORD-BEGIN
cat /tmp/run.jsonl
echo RECORD-END
kill $vm
