#!/usr/bin/env bash
# `vmaccel pin` on a real QEMU: one command pins every "CPU n/TCG" thread
# to the CPU it prints, having saved the originals first; pinning again
# keeps them; `vmaccel pin --restore` gives the original Cpus_allowed_list
# back. --no-save saves nothing. Bad arguments exit 2. Exit 77: no QEMU.
set -u
source "$(dirname "$0")/lib.sh"
qemu_paused e2e 4 128
pid=$last_pid

tcg_tids() {  # "n tid" lines for the CPU n/TCG threads
    for t in /proc/$pid/task/*; do
        c=$(cat "$t/comm" 2>/dev/null) || continue
        [[ $c =~ ^CPU\ ([0-9]+)/TCG$ ]] && echo "${BASH_REMATCH[1]} ${t##*/}"
    done | sort -n
}
allowed() { awk '/^Cpus_allowed_list:/{print $2}' "/proc/$pid/task/$1/status"; }

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

# The originals were saved before the pin, 0600 in a 0700 directory it made.
state=$VMACCEL_STATE_DIR/pin-$pid.json
check '[[ "$(stat -c %a "$VMACCEL_STATE_DIR" 2>/dev/null)" == 700 ]]' "state dir mode"
check '[[ "$(stat -c %a "$state" 2>/dev/null)" == 600 ]]' "state file $state mode"
check 'grep -q "original affinity saved in $state" <<<"$out"' "pin did not say where it saved"
# Pinning again keeps the first originals: the restore below gives those back.
out=$("$vmaccel" pin --pid "$pid" --strategy local-first --smt pack 2>&1); rc=$?
check '[[ $rc -eq 0 ]]' "second vmaccel pin exited $rc"
check 'grep -q "keeping the originals an earlier pin saved" <<<"$out"' "second pin: $out"

out=$("$vmaccel" pin --restore --pid "$pid" 2>&1); rc=$?
echo "$out"
check '[[ $rc -eq 0 ]]' "vmaccel pin --restore exited $rc"
while read -r n tid; do
    check '[[ "$(allowed $tid)" == "${before[$tid]}" ]]' \
        "CPU $n/TCG after restore: $(allowed "$tid"), before ${before[$tid]}"
done < <(tcg_tids)

check '[[ ! -e "$state" ]]' "the state file is still there after --restore"

# --no-save pins and says that nothing can restore; no state file is made.
out=$("$vmaccel" pin --pid "$pid" --no-save 2>&1); rc=$?
check '[[ $rc -eq 0 ]]' "pin --no-save exited $rc"
check 'grep -q "nothing can restore them" <<<"$out"' "pin --no-save did not warn: $out"
check '[[ ! -e "$state" ]]' "pin --no-save wrote $state"
"$vmaccel" pin --restore --pid "$pid" --no-save >/dev/null 2>&1; rc=$?
check '[[ $rc -eq 2 ]]' "--restore --no-save: $rc"

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
