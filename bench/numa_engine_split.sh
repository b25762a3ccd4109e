#!/usr/bin/env bash
# Splits a steady-state NUMA engine period (bench_numa_engine) between the
# library and the simulated platform, by instructions (callgrind counts
# them exactly, whatever else runs): the sim's seam operations (formatting
# /proc text, looking up pages) stand in for the kernel's side of the
# syscalls, so they are not the library's cost. Prints the library's share
# and, applied to the measured CPU time, the library's ms per period.
#   bench/numa_engine_split.sh BUILD_DIR [VMS VCPUS MIB]   (default 2000 2 256)
set -euo pipefail
build=$(cd "${1:?usage: numa_engine_split.sh BUILD_DIR [VMS VCPUS MIB]}" && pwd)
shift
args=("$@")
[[ $# -eq 0 ]] && args=(2000 2 256)
command -v valgrind >/dev/null || { echo "numa_engine_split: valgrind is not installed" >&2; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
measured=$("$build/bench/bench_numa_engine" "${args[@]}")
echo "$measured"
valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect=steady_period \
  "$build/bench/bench_numa_engine" "${args[@]}" >/dev/null 2>&1
# The platform table's operations of sim.c, sim_cpus.c and sim_numa.c.
ops='sim_pidfd_open|sim_pidfd_alive|sim_pidfd_close|sim_list_threads|sim_read_proc|sim_cpuset_of|sim_get_affinity|sim_set_affinity|sim_get_nice|sim_set_nice|sim_get_sched|sim_set_sched|va_sim_move_pages|va_sim_read_node|va_sim_now_ns|va_sim_online_cpus|va_sim_allowed_cpus|va_sim_migrate_pages|va_sim_cpu_times'
# Lines read "1,234 (12.3%)  file:function [object]".
callgrind_annotate --inclusive=yes --threshold=100 "$out" 2>/dev/null | awk -v ops="^(${ops})\$" '
  /^ *[0-9,]+ +\( *[0-9.]+%\)/ {
    n = $1; gsub(/,/, "", n); rest = $0
    sub(/^ *[0-9,]+ +\( *[0-9.]+%\) +/, "", rest); sub(/ .*/, "", rest)
    name = rest; sub(/.*:/, "", name)
    if (name == "steady_period") total = n
    if (name ~ ops) sim += n
  }
  END { printf "split    steady periods: %.0f instructions, %.1f%% in the sim, %.1f%% in the library\n",
               total, 100 * sim / total, 100 * (total - sim) / total
        printf "split-share %.4f\n", (total - sim) / total }' | tee "$out.split"
share=$(awk '/^split-share/{print $2}' "$out.split")
ms=$(sed -n 's/.*steady median \([0-9.]*\) ms.*/\1/p' <<<"$measured" | head -n1)
awk -v s="$share" -v ms="$ms" 'BEGIN { printf "library  %.2f ms of CPU per steady period (%.2f ms measured x %.1f%%)\n", s * ms, ms, 100 * s }'
rm -f "$out.split"
