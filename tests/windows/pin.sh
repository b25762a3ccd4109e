#!/usr/bin/env bash
# Under Wine: a Windows program with QEMU-style named vCPU threads
# ("CPU 0/WHPX", set with SetThreadDescription) is pinned by
# `vmaccel.exe pin`; the program reads its threads' affinity and priority
# back with GetThreadGroupAffinity/GetThreadPriority. The originals are
# saved in a state directory pin makes, --restore gives them back and
# removes the file, and a process that has exited is VMACCEL_EGONE with the
# Linux build's message.
# usage: pin.sh WINE_RUN BIN_DIR
set -euo pipefail
wine=$1 bin=$2
cd "$bin"
state=$(mktemp -d)
export VMACCEL_STATE_DIR=$state/vmaccel   # missing: pin makes it
fail() { echo "FAIL: $*" >&2; exit 1; }

coproc helper { "$wine" ./named_threads.exe 2; }
in=${helper[1]} out=${helper[0]}
trap '{ echo quit >&"$in"; } 2>/dev/null || true; rm -rf "$state"' EXIT
line() { local l; read -r -t 60 -u "$out" l || fail "helper stopped answering"; echo "${l%$'\r'}"; }
ask() { echo "$1" >&"$in"; local l; while l=$(line) && [[ $l != done ]]; do echo "$l"; done; }

pid=$(line); pid=${pid#pid }
line >/dev/null; line >/dev/null   # the two vCPU thread ids
original=$(ask affinity)

pinned=$("$wine" ./vmaccel.exe pin --pid "$pid" --priority 5 | tr -d '\r')
echo "$pinned"
[[ -d $state/vmaccel && -f $state/vmaccel/pin-$pid.json ]] ||
  fail "pin did not save the originals in a new $state/vmaccel"
cpu0=$(sed -n 's/^ *vCPU 0 .*CPU \([0-9]*\).*/\1/p' <<<"$pinned" | head -n1)
cpu1=$(sed -n 's/^ *vCPU 1 .*CPU \([0-9]*\).*/\1/p' <<<"$pinned" | head -n1)
[[ -n $cpu0 && -n $cpu1 ]] || fail "pin did not report both vCPUs"
affinity=$(ask affinity)
echo "$affinity"
want0=$(printf '0:%x' $((1 << cpu0))) want1=$(printf '0:%x' $((1 << cpu1)))
grep -qx "vcpu 0 affinity $want0" <<<"$affinity" || fail "vCPU 0: want $want0"
grep -qx "vcpu 1 affinity $want1" <<<"$affinity" || fail "vCPU 1: want $want1"
# nice 5 is THREAD_PRIORITY_BELOW_NORMAL (-1)
[[ $(ask priority) == $'vcpu 0 priority -1\nvcpu 1 priority -1' ]] || fail "priority not set"

"$wine" ./vmaccel.exe pin --restore --pid "$pid" | tr -d '\r'
[[ ! -e $state/vmaccel/pin-$pid.json ]] || fail "--restore left the saved state behind"
[[ $(ask affinity) == "$original" ]] || fail "restore did not give the affinity back"
[[ $(ask priority) == $'vcpu 0 priority 0\nvcpu 1 priority 0' ]] || fail "priority not restored"

echo quit >&"$in"
wait "$helper_PID" || true
if err=$("$wine" ./vmaccel.exe pin --pid "$pid" 2>&1); then fail "pinned an exited process"; fi
echo "$err"
grep -q 'VMACCEL_EGONE' <<<"$err" && grep -q "($pid): No such process" <<<"$err" ||
  fail "an exited process is not VMACCEL_EGONE / No such process"
echo "pin under Wine: OK"
