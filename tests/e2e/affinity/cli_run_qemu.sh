#!/usr/bin/env bash
# `vmaccel run --qemu` as a service runs it: a QEMU VM that exits is reported
# gone (VM_GONE) and the run goes on; a QEMU started later is attached
# (VM_ATTACHED) and pinned; SIGTERM ends the run with exit 0 and, with
# --restore-on-exit, the surviving VM's threads get their affinity back.
# Exit 77: no QEMU.
set -u
source "$(dirname "$0")/lib.sh"

# Waits up to 20 s for a JSON event line of type $1 about pid $2.
wait_event() {
    for _ in $(seq 200); do
        grep -qE "\"type\": *\"EVENT_TYPE_$1\".*pid $2[,)]" "$work/events" && return 0
        sleep 0.1
    done
    return 1
}

qemu_paused run-a 2 64; a=$last_pid
"$vmaccel" run --qemu --interval 200 --strategy load-balanced --restore-on-exit \
    --no-live --events json >"$work/events" 2>"$work/stderr" &
run=$!; pids+=("$run")
check 'wait_event VM_ATTACHED "$a"' "VM A (pid $a) was not attached"
check 'grep -q "run-a.* (pid $a" "$work/events"' "VM A is not named by its -name"

{ kill -9 "$a"; wait "$a"; } 2>/dev/null
check 'wait_event VM_GONE "$a"' "VM A's exit was not reported as VM_GONE"
check 'kill -0 "$run" 2>/dev/null' "vmaccel run died with VM A"

qemu_paused run-b 2 64; b=$last_pid
check 'wait_event VM_ATTACHED "$b"' "VM B (pid $b), started later, was not attached"
sleep 0.5
pinned=$(awk '/^Cpus_allowed_list:/{print $2}' /proc/"$b"/task/*/status | sort -u | wc -l)
check '[[ $pinned -ge 2 ]]' "VM B was not pinned (one affinity for all its threads)"

kill -TERM "$run"; wait "$run"; rc=$?
check '[[ $rc -eq 0 ]]' "vmaccel run exited $rc on SIGTERM"
check '! grep -qE "AddressSanitizer|runtime error:|LeakSanitizer|ThreadSanitizer" "$work/stderr"' \
    "sanitizer report: $(head -c 2000 "$work/stderr")"
# After the restore, every thread of B has the affinity it started with.
after=$(awk '/^Cpus_allowed_list:/{print $2}' /proc/"$b"/task/*/status | sort -u)
check '[[ $(wc -l <<<"$after") -eq 1 ]]' "VM B's threads not restored: $after (pinned: $pinned sets)"
cat "$work/events"
[[ $fail -eq 0 ]] && echo "PASS: run --qemu survived a VM exit and attached a new VM"
exit $fail
