#!/bin/sh
# Inside the two-node guest (2 CPUs per node): two VM-like workloads with
# their vCPU threads on node 0 and their RAM on node 1, watched by one
# `vmaccel run`. Node 1 can take only one of them: the other must get its
# memory migrated instead. Prints, for check_compete.sh:
#   COMPETE BEFORE a=<%> b=<%>
#   COMPETE T <s> a=<%> b=<%>          about every second (s since the start),
#                                      from the kernel's numbers
#   COMPETE FIXED t=<s> planned=<n> planned_end=<n>   when both reached 90%
#   COMPETE VCPU vm=<id> index=<n> allowed=<cpulist>  at the end
#   COMPETE EVENT <json>               each REBALANCE_* event
echo 0 > /proc/sys/kernel/numa_balancing
start() {
  rm -f /tmp/$1.out # a READY line left by an earlier start is not this one's
  misplaced_vm --mem-node 1 --cpu-node 0 --mem-mb 128 --vcpus 2 > /tmp/$1.out &
  for i in $(seq 100); do grep -q READY /tmp/$1.out && break; sleep 0.2; done
  sed -n 's/^READY pid=\([0-9]*\).*/\1/p' /tmp/$1.out
}
a=$(start a)
b=$(start b)
sleep 2 # the vCPU threads pin themselves to node 0 as they start
echo "COMPETE BEFORE a=$(measure $a) b=$(measure $b)"
# Watched until 45 s after both are local (at most 150 s), then stopped.
# The workloads pinned their own threads, as an operator's taskset would:
# --override-pins lets vm-accel move them (the competition for node 1).
vmaccel run --pid $a --pid $b --override-pins --interval 500 --no-live --events json \
  --duration 150 \
  > /tmp/run.jsonl 2>/tmp/run.err &
run=$!
up() { awk '{printf "%d", $1}' /proc/uptime; }
t0=$(up) t=0 fixed=
while kill -0 $run 2>/dev/null; do
  sleep 1
  ra=$(measure $a) rb=$(measure $b) t=$(( $(up) - t0 ))
  echo "COMPETE T $t a=$ra b=$rb"
  if [ -z "$fixed" ] && [ "$ra" -ge 90 ] && [ "$rb" -ge 90 ]; then
    fixed=$t planned=$(grep -c REBALANCE_PLANNED /tmp/run.jsonl)
  fi
  [ -n "$fixed" ] && [ $t -ge $((fixed + 45)) ] && kill -INT $run
done
wait $run
echo "COMPETE FIXED t=${fixed:-never} planned=${planned:-0} planned_end=$(grep -c REBALANCE_PLANNED /tmp/run.jsonl)"
# Which VM id is which pid: the VM_ATTACHED events say.
for pid in $a $b; do
  id=$(grep VM_ATTACHED /tmp/run.jsonl | grep "(pid $pid," | sed -n 's/.*"vmId": *"\([0-9]*\)".*/\1/p')
  for task in /proc/$pid/task/*; do
    case "$(cat $task/comm)" in "CPU "*) ;; *) continue ;; esac
    index=$(cat $task/comm | sed 's/CPU \([0-9]*\).*/\1/')
    echo "COMPETE VCPU vm=$id index=$index allowed=$(awk '/Cpus_allowed_list/{print $2}' $task/status)"
  done
done
grep REBALANCE_ /tmp/run.jsonl | sed 's/^/COMPETE EVENT /'
sed -n 's/^/COMPETE ERR /p' /tmp/run.err | head -5
kill $a $b; wait $a $b 2>/dev/null
true
