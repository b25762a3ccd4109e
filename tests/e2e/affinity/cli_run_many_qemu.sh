#!/usr/bin/env bash
# `vmaccel run --qemu` on a dense host: more QEMU VMs than the old cap of
# 64. Every one of ours is attached (announced once, however many rescans),
# exits are reported (VM_GONE), late starters are attached, and the report
# file lists them all. Other QEMUs may be on this machine: only our own VMs
# (named many-$$-N) are counted. Exit 77: no QEMU.
set -u
source "$(dirname "$0")/lib.sh"
count=${2:-72}
late=6

start_vm() {  # a paused 1-vCPU QEMU VM named $1, its pid appended to vms
    qemu_paused "$1" 1 32
    vms+=("$last_pid")
}
# How many of the pids given have a JSON event of type $1.
count_events() {
    local type=$1; shift
    grep -E "\"type\": *\"EVENT_TYPE_$type\"" "$work/events" | grep -oE "pid [0-9]+[,)]" |
        tr -dc '0-9\n' | sort -u >"$work/seen"
    printf '%s\n' "$@" | sort -u | comm -12 - "$work/seen" | wc -l
}
# Waits up to $2 s until every pid in the rest has an event of type $1.
wait_all() {
    local type=$1 secs=$2; shift 2
    for _ in $(seq $((secs * 5))); do
        [[ $(count_events "$type" "$@") -eq $# ]] && return 0
        sleep 0.2
    done
    return 1
}

vms=()
for i in $(seq "$count"); do start_vm "many-$$-$i"; done
first=("${vms[@]}")
"$vmaccel" run --qemu --interval 300 --no-live --events json \
    --report-out "$work/report.pb" >"$work/events" 2>"$work/stderr" &
run=$!; pids+=("$run")
check 'wait_all VM_ATTACHED 120 "${first[@]}"' \
    "only $(count_events VM_ATTACHED "${first[@]}") of our $count VMs were attached"
sleep 2 # several rescans with every VM watched
for p in "${first[@]}"; do
    n=$(grep -c "watching pid $p (" "$work/stderr")
    [[ $n -eq 1 ]] || { echo "FAIL: pid $p announced $n times"; fail=1; break; }
done
check '! grep -q "VMs already" "$work/stderr"' "a cap on the VMs watched: $(grep -m1 already "$work/stderr")"

# Exits: five of ours.
gone=("${first[@]:0:5}")
{ kill -9 "${gone[@]}"; for p in "${gone[@]}"; do wait "$p"; done; } 2>/dev/null
check 'wait_all VM_GONE 30 "${gone[@]}"' \
    "$(count_events VM_GONE "${gone[@]}") of 5 exits reported as VM_GONE"

# Late starters.
vms=()
for i in $(seq "$late"); do start_vm "many-$$-late-$i"; done
check 'wait_all VM_ATTACHED 60 "${vms[@]}"' \
    "$(count_events VM_ATTACHED "${vms[@]}") of $late late QEMUs attached"
check 'kill -0 "$run" 2>/dev/null' "vmaccel run died"
alive=("${first[@]:5}" "${vms[@]}")

# The report file names every VM of ours still running.
sleep 1
if command -v protoc >/dev/null && [[ -s $work/report.pb ]]; then
    src=$(cd "$(dirname "$0")/../../.." && pwd)
    protoc --proto_path="$src/proto" --decode=vmaccel.v1.DiagnosticReport vmaccel.proto \
        <"$work/report.pb" >"$work/report.txt" 2>&1
    missing=0
    for p in "${alive[@]}"; do grep -q "pid: $p\$" "$work/report.txt" || missing=$((missing + 1)); done
    check '[[ $missing -eq 0 ]]' "$missing of our ${#alive[@]} running VMs missing from the report"
else
    check '[[ -s $work/report.pb ]]' "no report file written"
fi

kill -TERM "$run"; wait "$run"; rc=$?
check '[[ $rc -eq 0 ]]' "vmaccel run exited $rc on SIGTERM"
check '! grep -qE "AddressSanitizer|runtime error:|LeakSanitizer|ThreadSanitizer" "$work/stderr"' \
    "sanitizer report: $(grep -m3 -E "Sanitizer|runtime error" "$work/stderr")"
[[ $fail -eq 0 ]] && echo "PASS: $count QEMUs watched, 5 exits reported, $late late starters attached"
[[ $fail -eq 0 ]] || tail -20 "$work/stderr"
exit $fail
