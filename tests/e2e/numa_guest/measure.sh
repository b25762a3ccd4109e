#!/bin/sh
# measure PID: the share of a process's resident guest RAM (its largest
# anonymous mapping) that sits on the NUMA node where its vCPU threads run,
# read straight from the kernel (/proc/PID/numa_maps, task stat field 39,
# /sys node cpulists) - independent of vm-accel's own sampler.
pid=$1
ram=$(awk '/anon=/{for(i=1;i<=NF;i++) if($i ~ /^anon=/){n=substr($i,6)+0; if(n>best+0){best=n; line=$0}}} END{print line}' /proc/$pid/numa_maps)
node_of_cpu() {
  for n in /sys/devices/system/node/node*; do
    for range in $(tr ',' ' ' < $n/cpulist); do
      lo=${range%-*}; hi=${range#*-}
      if [ "$1" -ge "$lo" ] && [ "$1" -le "$hi" ]; then echo ${n##*node}; return; fi
    done
  done
}
local=0; total=0
for task in /proc/$pid/task/*; do
  name=$(cat $task/comm)
  case "$name" in "CPU "*) ;; *) continue ;; esac
  cpu=$(awk '{sub(/.*\) /, ""); print $37}' $task/stat)
  node=$(node_of_cpu $cpu)
  here=$(echo "$ram" | tr ' ' '\n' | awk -F= -v n="N$node" '$1==n{print $2}')
  all=$(echo "$ram" | tr ' ' '\n' | awk -F= '$1 ~ /^N[0-9]+$/{s+=$2} END{print s+0}')
  local=$((local + ${here:-0})); total=$((total + all))
done
if [ "$total" -gt 0 ]; then echo $((local * 100 / total)); else echo 0; fi
