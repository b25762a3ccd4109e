#!/usr/bin/env bash
# Two VMs competing for one node in the real two-node guest
# (scenario_compete.sh): both must end at least 90% local (the kernel's
# numbers), then stay put for the rest of the run (40 s and more, no
# REBALANCE_PLANNED); and no REBALANCE_APPLIED may say something
# the kernel contradicts - a vCPU it says moved to CPU c must be allowed
# on c alone at the end.
#   tests/e2e/numa_guest/check_compete.sh BUILD_DIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v qemu-system-x86_64 >/dev/null || { echo "no qemu-system-x86_64"; exit 77; }
out=$("$here/guest.sh" "$1" "$here/scenario_compete.sh" 300 2>&1 | tr -d '\r')
echo "$out" | grep -E '^(GUEST|COMPETE (BEFORE|FIXED|VCPU|EVENT|ERR))' | cut -c1-300
echo "$out" | grep -q 'GUEST-UP nodes=2' || { echo "FAIL: the guest did not boot with 2 nodes"; exit 1; }
fail=0
bad() { echo "FAIL: compete: $*"; fail=1; }

fixed=$(echo "$out" | sed -n 's/^COMPETE FIXED t=\([^ ]*\) planned=\([0-9]*\) planned_end=\([0-9]*\).*/\1 \2 \3/p')
read -r t planned planned_end <<<"$fixed"
last=$(echo "$out" | grep '^COMPETE T ' | tail -n1)
[[ -n $t && $t != never ]] || bad "the two VMs never were both >= 90% local (last: $last)"
[[ ${planned:-x} == "${planned_end:-y}" ]] || bad "$((planned_end - planned)) rebalance(s) planned after the fix"
lt=$(awk '{print $3}' <<<"$last")
[[ ${lt:-0} -ge $((t + 40)) ]] 2>/dev/null || bad "watched only ${lt:-?} s, ${t:-?} s of them before the fix"
for f in a b; do
  r=$(echo "$last" | tr ' ' '\n' | awk -F= -v k=$f '$1==k{print $2}')
  [[ ${r:-0} -ge 90 ]] || bad "VM $f ends ${r:-?}% local"
done
echo "$out" | grep -q '^COMPETE EVENT.*REBALANCE_FAILED' && bad "a rebalance failed"
# Each vCPU an APPLIED move names must be allowed on that CPU alone now.
applied=$(echo "$out" | grep '^COMPETE EVENT.*REBALANCE_APPLIED.*vCPUs moved')
[[ -n $applied ]] || bad "no vCPU move was applied"
while read -r line; do
  vm=$(sed -n 's/.*"vmId": *"\([0-9]*\)".*/\1/p' <<<"$line")
  for m in $(grep -o 'vCPU [0-9]* on CPU [0-9]*' <<<"$line" | sed 's/vCPU \([0-9]*\) on CPU \([0-9]*\)/\1:\2/'); do
    now=$(echo "$out" | sed -n "s/^COMPETE VCPU vm=$vm index=${m%:*} allowed=\\(.*\\)/\\1/p")
    [[ $now == "${m#*:}" ]] || bad "VM $vm vCPU ${m%:*}: APPLIED says CPU ${m#*:}, the kernel allows $now"
  done
done <<<"$applied"
echo "$out" | grep -c '^COMPETE EVENT.*REBALANCE_APPLIED.*memory on node' | grep -q '^[1-9]' ||
  bad "no memory migration was applied (the second VM cannot move)"
[[ $fail -eq 0 ]] && echo "ok: compete: both VMs >= 90% local after ${t} s, nothing planned for the next $((lt - t)) s"
exit $fail
