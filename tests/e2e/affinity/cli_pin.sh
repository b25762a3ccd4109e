#!/usr/bin/env bash
# `vmaccel pin` on a real QEMU: one command pins every "CPU n/TCG" thread
# to the CPU it prints; `vmaccel pin --restore` gives the original
# Cpus_allowed_list back. Bad arguments exit 2. Exit 77: no QEMU.
set -u
vmaccel=$1
qemu=$(command -v qemu-system-x86_64) || { echo "SKIP: no qemu-system-x86_64"; exit 77; }
work=$(mktemp -d)
export VMACCEL_STATE_DIR=$work/state
fail=0
"$qemu" -name e2e,debug-threads=on -accel tcg -smp 4 -m 128 -display none -S -nodefaults -no-user-config \
    -monitor none &
pid=$!
trap 'kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT

tcg_tids() {  # "n tid" lines for the CPU n/TCG threads
    for t in /proc/$pid/task/*; do
        c=$(cat "$t/comm" 2>/dev/null) || continue
        [[ $c =~ ^CPU\ ([0-9]+)/TCG$ ]] && echo "${BASH_REMATCH[1]} ${t##*/}"
    done | sort -n
}
allowed() { awk '/^Cpus_allowed_list:/{print $2}' "/proc/$pid/task/$1/status"; }
check() { if ! eval "$1"; then echo "FAIL: $2"; fail=1; fi; }

for _ in $(seq 100); do [[ $(tcg_tids | wc -l) -eq 4 ]] && break; sleep 0.1; done
check '[[ $(tcg_tids | wc -l) -eq 4 ]]' "QEMU has no 4 CPU n/TCG threads"
declare -A before
while read -r n tid; do before[$tid]=$(allowed "$tid"); done < <(tcg_tids)

out=$("$vmaccel" pin --pid "$pid" --strategy load-balanced --reserved 64 2>&1); rc=$?
echo "$out"
check '[[ $rc -eq 0 ]]' "vmaccel pin exited $rc"
# Each printed "vCPU n tid T ... -> CPU c" must match the kernel's view.
while read -r n tid; do
    cpu=$(awk -v t="$tid" '$1=="vCPU" && $4==t {for(i=1;i<=NF;i++) if($i=="CPU" && $(i-1)=="->") print $(i+1)}' <<<"$out")
    check '[[ -n "$cpu" && "$(allowed $tid)" == "$cpu" ]]' \
        "CPU $n/TCG (tid $tid): Cpus_allowed_list $(allowed "$tid"), printed '$cpu'"
done < <(tcg_tids)

out=$("$vmaccel" pin --restore --pid "$pid" 2>&1); rc=$?
echo "$out"
check '[[ $rc -eq 0 ]]' "vmaccel pin --restore exited $rc"
while read -r n tid; do
    check '[[ "$(allowed $tid)" == "${before[$tid]}" ]]' \
        "CPU $n/TCG after restore: $(allowed "$tid"), before ${before[$tid]}"
done < <(tcg_tids)

# Usage errors exit 2; a pid that is not a VMM exits 1; never a crash.
"$vmaccel" pin >/dev/null 2>&1; rc=$?; check '[[ $rc -eq 2 ]]' "pin without --pid: $rc"
"$vmaccel" pin --pid x >/dev/null 2>&1; rc=$?; check '[[ $rc -eq 2 ]]' "pin --pid x: $rc"
"$vmaccel" pin --pid $$ --priority 99 >/dev/null 2>&1; rc=$?
check '[[ $rc -eq 2 ]]' "--priority 99: $rc"
"$vmaccel" pin --pid $$ >/dev/null 2>&1; rc=$?; check '[[ $rc -eq 1 ]]' "pin a shell: $rc"
"$vmaccel" pin --help >/dev/null; rc=$?; check '[[ $rc -eq 0 ]]' "pin --help: $rc"
# The VMM exits: pinning it again fails cleanly.
kill -9 $pid; wait $pid 2>/dev/null
"$vmaccel" pin --pid "$pid" >/dev/null 2>&1; rc=$?; check '[[ $rc -eq 1 ]]' "pin a dead pid: $rc"
[[ $fail -eq 0 ]] && echo "PASSED: cli_pin" || echo "FAILED: cli_pin"
exit $fail
