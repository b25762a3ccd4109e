#!/usr/bin/env bash
# `vmaccel run` at the open-file limit (ulimit -n 40, soft and hard, so it
# cannot raise it): one clear message, the VMs attached before the limit
# stay watched (an exit among them is reported, the report file is still
# written), and the run ends cleanly. Exit 77: no QEMU.
set -u
source "$(dirname "$0")/lib.sh"

vms=()
for i in $(seq 40); do  # more than 40 descriptors can watch
    qemu_paused "fdlimit-$$-$i" 1 32
    vms+=("$last_pid")
done
args=()
for p in "${vms[@]}"; do args+=(--pid "$p"); done
for p in "${vms[@]}"; do  # until its vCPU thread exists
    for _ in $(seq 100); do grep -qs "CPU 0/TCG" /proc/"$p"/task/*/comm && break; sleep 0.1; done
done
(ulimit -n 40 && exec "$vmaccel" run "${args[@]}" --interval 200 --no-live --events json \
    --report-out "$work/report.pb") >"$work/events" 2>"$work/stderr" &
run=$!; pids+=("$run")
sleep 3
check 'kill -0 "$run" 2>/dev/null' "vmaccel run died at the limit: $(tail -3 "$work/stderr")"
said=$(grep -c "open-file limit reached" "$work/stderr")
check '[[ $said -eq 1 ]]' "the limit was said $said times, not once"
watched=()
for p in "${vms[@]}"; do grep -q "watching pid $p " "$work/stderr" && watched+=("$p"); done
check '[[ ${#watched[@]} -ge 4 && ${#watched[@]} -lt 40 ]]' \
    "${#watched[@]} of 40 VMs watched at a limit of 40 descriptors"

# A watched VM's exit is still noticed: the run keeps working.
if [[ ${#watched[@]} -gt 0 ]]; then
    { kill -9 "${watched[0]}"; wait "${watched[0]}"; } 2>/dev/null
    ok=1
    for _ in $(seq 50); do
        grep -qE "EVENT_TYPE_VM_GONE.*pid ${watched[0]}\)" "$work/events" && { ok=0; break; }
        sleep 0.2
    done
    check '[[ $ok -eq 0 ]]' "the exit of watched pid ${watched[0]} was not reported"
fi
rm -f "$work/report.pb"
sleep 1
check '[[ -s $work/report.pb ]]' "the report file is no longer written at the limit"
check '! grep -q "Too many open files" "$work/events"' \
    "the engine ran out of descriptors: $(grep -m1 "Too many" "$work/events")"

kill -TERM "$run"; wait "$run"; rc=$?
check '[[ $rc -eq 0 ]]' "vmaccel run exited $rc on SIGTERM"
check 'grep -q "left unattached at the open-file limit" "$work/stderr"' "no count at the end"
check '! grep -qE "AddressSanitizer|runtime error:|LeakSanitizer|ThreadSanitizer" "$work/stderr"' \
    "sanitizer report: $(grep -m3 -E "Sanitizer|runtime error" "$work/stderr")"
[[ $fail -eq 0 ]] && echo "PASS: ${#watched[@]} of 40 VMs watched at ulimit -n 40, said once, exit reported"
[[ $fail -eq 0 ]] || cat "$work/stderr"
exit $fail
