#!/usr/bin/env bash
# Checks the CASE hotplug lines of scenario_hotplug.sh in a guest's console
# output (stdin): a CPU hosting a vCPU went offline and back, `vmaccel run
# --events json` printed TOPOLOGY_CHANGED for each (JSON lines naming the
# CPU), re-planned the vCPU, and while the CPU was offline the vCPU thread
# neither ran on it nor was allowed on it (the kernel's own fallback would
# have allowed every CPU, the offline one included).
set -uo pipefail
out=$(tr -d '\r')
echo "$out" | grep -E '^CASE hotplug|  hp\| '

# in_list CPU LIST: whether CPU is in a cpulist such as 0-1,3.
in_list() {
  local cpu=$1 range lo hi
  for range in ${2//,/ }; do
    lo=${range%-*} hi=${range#*-}
    ((cpu >= lo && cpu <= hi)) && return 0
  done
  return 1
}
field() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1==k{print $2}'; }

fail() { echo "FAIL: hotplug: $*"; exit 1; }
pinned=$(echo "$out" | grep '^CASE hotplug PINNED')
offline=$(echo "$out" | grep '^CASE hotplug OFFLINE')
online=$(echo "$out" | grep '^CASE hotplug ONLINE')
events=$(echo "$out" | grep '^CASE hotplug EVENTS')
cpu=$(field "$pinned" cpu)
[[ $cpu =~ ^[0-9]+$ ]] || fail "no vCPU was pinned to one CPU by vmaccel run ($pinned)"
[[ -n $offline && -n $online && -n $events ]] || fail "the scenario did not finish"
echo "$out" | grep -q '^CASE hotplug TIMEOUT' && fail "timed out: $(echo "$out" | grep TIMEOUT)"

json_topo=$(echo "$out" | grep '  hp| {' | grep 'TOPOLOGY_CHANGED')
echo "$json_topo" | grep -q "\"CPU $cpu offline; online " ||
  fail "no TOPOLOGY_CHANGED JSON event for CPU $cpu going offline"
echo "$json_topo" | grep -q "\"CPU $cpu online; online " ||
  fail "no TOPOLOGY_CHANGED JSON event for CPU $cpu coming back"
topology=$(field "$events" topology) replanned=$(field "$events" replanned)
((topology >= 2)) || fail "$topology TOPOLOGY_CHANGED events, expected 2"
((replanned >= 1)) || fail "the vCPU on CPU $cpu was not re-planned"
((${topology} <= 4)) || fail "$topology TOPOLOGY_CHANGED events for one offline/online: spam"

allowed=$(field "$offline" allowed) last=$(field "$offline" last)
[[ -n $allowed && -n $last ]] || fail "no affinity read while CPU $cpu was offline"
in_list "$cpu" "$allowed" && fail "CPU $cpu offline, the vCPU thread still allowed on $allowed"
[[ $last == "$cpu" ]] && fail "the vCPU thread last ran on offline CPU $cpu"
[[ $(field "$online" online) == 0-3 ]] || fail "CPU $cpu did not come back: $online"
echo "ok: hotplug: CPU $cpu offline -> vCPU re-planned to $allowed (last ran on $last)," \
     "$topology TOPOLOGY_CHANGED events"
