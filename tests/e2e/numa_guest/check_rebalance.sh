#!/usr/bin/env bash
# Runs scenario_rebalance.sh, then scenario_hotplug.sh, in one boot of the
# two-node guest. Checks, from the kernel's numbers measured inside, that
# each rebalance case went from <20% to >=90% local with at least one
# applied rebalance and none failed; then check_hotplug.sh checks the CPU
# offline/online case.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v qemu-system-x86_64 >/dev/null || { echo "no qemu-system-x86_64"; exit 77; }
scenario=$(mktemp --suffix=.sh)
trap 'rm -f "$scenario"' EXIT
cat "$here/scenario_rebalance.sh" "$here/scenario_hotplug.sh" > "$scenario"
out=$("$here/guest.sh" "$1" "$scenario" 300 2>&1)
echo "$out" | tr -d '\r' | grep -E 'GUEST|CASE (cheaper|migrate)|  \|'
echo "$out" | grep -q 'GUEST-UP nodes=2' || { echo "FAIL: the guest did not boot with 2 nodes"; exit 1; }
fail=0
for c in cheaper migrate; do
  line=$(echo "$out" | tr -d '\r' | grep "CASE $c AFTER")
  before=$(echo "$out" | tr -d '\r' | awk -v c="$c" '$1=="CASE" && $2==c && $3=="BEFORE"{print $4}')
  after=$(echo "$line" | awk '{print $4}') applied=$(echo "$line" | awk '{print $6}')
  failed=$(echo "$line" | awk '{print $8}')
  if [[ -z $before || -z $after || $before -ge 20 || $after -lt 90 || ${applied:-0} -lt 1 || ${failed:-1} -ne 0 ]]; then
    echo "FAIL: $c: local ${before:-?}% -> ${after:-?}%, applied ${applied:-?}, failed ${failed:-?}"
    fail=1
  else
    echo "ok: $c: local $before% -> $after% ($applied rebalance applied)"
  fi
done
echo "$out" | "$here/check_hotplug.sh" || fail=1
exit $fail
