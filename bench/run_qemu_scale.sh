#!/usr/bin/env bash
# `vmaccel run --qemu` watching N paused QEMU TCG VMs: CPU per period of
# the CLI's thread (which also makes the library calls the CLI makes:
# attach, queries, rescans, the view or report) and of the library's loop
# thread (the NUMA engine's periods), from /proc/PID/task/TID/stat
# utime+stime over a window; and resident memory per VM, the growth of
# VmRSS from before our VMs start to the end of the window, divided by the
# VMs attached in between. Other QEMUs on the machine are watched too and
# counted.
#
# usage: bench/run_qemu_scale.sh VMACCEL [N [WINDOW_S [RUN OPTIONS...]]]
#   N: QEMUs to start (default 200); WINDOW_S: measuring window (default 60)
#   RUN OPTIONS: extra options for vmaccel run (default: --no-live)
# VMACCEL_BENCH_QUICK=1: 10 QEMUs and a 3 s window, to check that it runs.
set -u
vmaccel=$(realpath "$1")
n=${2:-200}
window=${3:-60}
shift $(( $# < 3 ? $# : 3 ))
[[ -n ${VMACCEL_BENCH_QUICK:-} ]] && { n=10; window=3; }
extra=("$@")
[[ ${#extra[@]} -eq 0 ]] && extra=(--no-live)
qemu=$(command -v qemu-system-x86_64) || { echo "no qemu-system-x86_64"; exit 1; }
work=$(mktemp -d)
pids=()
trap 'kill -9 "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
hz=$(getconf CLK_TCK)

ticks() {  # utime+stime of task $2 of process $1 (fields after the comm)
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/task/$2/stat"
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
watched() {  # each VM watched holds a pidfd (works with --live too)
    find "/proc/$run/fd" -lname "anon_inode:\[pidfd\]" 2>/dev/null | wc -l
}

"$vmaccel" run --qemu --interval 1000 "${extra[@]}" >"$work/stdout" 2>"$work/stderr" &
run=$!; pids+=("$run")
sleep 3
rss0=$(rss_kib "$run"); n0=$(watched)

start=$(date +%s.%N)
ours=()
for i in $(seq "$n"); do
    "$qemu" -name "guest=scale-$$-$i,debug-threads=on" -accel tcg -smp 2 -m 64 -S \
        -display none -nodefaults -no-user-config -monitor none >/dev/null 2>&1 &
    ours+=("$!"); pids+=("$!")
done
for _ in $(seq 600); do
    [[ $(watched) -ge $((n0 + n)) ]] && break
    kill -0 "$run" || { echo "vmaccel run died"; cat "$work/stderr"; exit 1; }
    sleep 0.5
done
[[ $(watched) -ge $((n0 + n)) ]] || { echo "only $(watched) VMs watched"; exit 1; }
attached=$(date +%s.%N)
sleep 5 # a few periods with every VM watched

main=$run
loop=$(grep -l "vmaccel-loop" /proc/"$run"/task/*/comm | head -1 | awk -F/ '{ print $5 }')
m0=$(ticks "$run" "$main"); l0=$(ticks "$run" "$loop"); t0=$(date +%s.%N)
sleep "$window"
m1=$(ticks "$run" "$main"); l1=$(ticks "$run" "$loop"); t1=$(date +%s.%N)
rss1=$(rss_kib "$run"); n1=$(watched)
kill -TERM "$run"; wait "$run"

awk -v n="$n" -v n0="$n0" -v n1="$n1" -v hz="$hz" -v m="$((m1 - m0))" -v l="$((l1 - l0))" \
    -v t0="$t0" -v t1="$t1" -v rss0="$rss0" -v rss1="$rss1" -v s="$start" -v a="$attached" '
BEGIN {
    secs = t1 - t0; periods = secs  # --interval 1000
    printf "VMs watched: %d (%d of ours, %d others); all ours attached %.1f s after the first started\n", n1, n, n1 - n, a - s
    printf "window: %.1f s (%d periods of 1 s)\n", secs, periods
    printf "CLI thread:  %6.3f %% of a core, %6.2f ms per period\n", 100 * m / hz / secs, 1000 * m / hz / periods
    printf "loop thread: %6.3f %% of a core, %6.2f ms per period\n", 100 * l / hz / secs, 1000 * l / hz / periods
    printf "together:    %6.3f %% of a core (goal < 1 %%)\n", 100 * (m + l) / hz / secs
    printf "VmRSS: %d KiB with %d VMs, %d KiB with %d: %.1f KiB per VM\n", rss0, n0, rss1, n1, (rss1 - rss0) / (n1 - n0)
}'
