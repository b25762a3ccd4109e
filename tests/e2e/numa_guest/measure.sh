#!/bin/sh
# measure PID [CELLS]: the share of a process's resident guest RAM that sits
# on the NUMA node where the vCPU threads touching it run, read straight
# from the kernel (/proc/PID/numa_maps, task stat field 39, /sys node
# cpulists) - independent of vm-accel's own sampler. Without CELLS the
# guest RAM is the largest anonymous mapping, touched by every vCPU; CELLS
# ("ADDR:FIRST-LAST,...", as misplaced_vm prints it, ADDR in hex) gives
# each guest node's mapping and the vCPUs that touch it.
pid=$1 cells=${2:-}
node_of_cpu() {
  for n in /sys/devices/system/node/node*; do
    for range in $(tr ',' ' ' < $n/cpulist); do
      lo=${range%-*}; hi=${range#*-}
      if [ "$1" -ge "$lo" ] && [ "$1" -le "$hi" ]; then echo ${n##*node}; return; fi
    done
  done
}
# The numa_maps line of the mapping a vCPU touches.
line_for() {
  if [ -z "$cells" ]; then
    awk '/anon=/{for(i=1;i<=NF;i++) if($i ~ /^anon=/){n=substr($i,6)+0; if(n>best+0){best=n; line=$0}}} END{print line}' /proc/$pid/numa_maps
    return
  fi
  for cell in $(echo "$cells" | tr ',' ' '); do
    addr=${cell%%:*} range=${cell#*:}
    lo=${range%-*} hi=${range#*-}
    if [ "$1" -ge "$lo" ] && [ "$1" -le "$hi" ]; then
      grep "^$addr " /proc/$pid/numa_maps; return
    fi
  done
}
local=0; total=0
for task in /proc/$pid/task/*; do
  name=$(cat $task/comm)
  case "$name" in "CPU "*) ;; *) continue ;; esac
  index=${name#CPU }; index=${index%%/*}
  ram=$(line_for "$index")
  cpu=$(awk '{sub(/.*\) /, ""); print $37}' $task/stat)
  node=$(node_of_cpu $cpu)
  here=$(echo "$ram" | tr ' ' '\n' | awk -F= -v n="N$node" '$1==n{print $2}')
  all=$(echo "$ram" | tr ' ' '\n' | awk -F= '$1 ~ /^N[0-9]+$/{s+=$2} END{print s+0}')
  local=$((local + ${here:-0})); total=$((total + all))
done
if [ "$total" -gt 0 ]; then echo $((local * 100 / total)); else echo 0; fi
