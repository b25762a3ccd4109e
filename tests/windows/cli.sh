#!/usr/bin/env bash
# Under Wine: vmaccel.exe --version, probe, topology, plan, report and plot
# give the expected answers for a Windows host without WHPX.
# usage: cli.sh WINE_RUN BIN_DIR VERSION
set -euo pipefail
wine=$1 bin=$2 version=$3
cd "$bin"
fail() { echo "FAIL: $*" >&2; exit 1; }
run() { "$wine" ./vmaccel.exe "$@" | tr -d '\r'; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

[[ $(run --version) == "vmaccel $version" ]] || fail "--version"

probe=$(run probe)
echo "$probe"
grep -qx 'kvm    not applicable: KVM exists only on Linux' <<<"$probe" || fail "probe: kvm"
grep -qx 'hvf    not applicable: Hypervisor.framework exists only on macOS' <<<"$probe" ||
  fail "probe: hvf"
grep -q '^whpx   unavailable: WinHvPlatform.dll cannot be loaded (error 126): turn on the Windows feature "Windows Hypervisor Platform"$' <<<"$probe" ||
  fail "probe: whpx (Wine has no WinHvPlatform.dll)"
grep -q '^iommu  none: not probed: the Windows build' <<<"$probe" || fail "probe: iommu"

# The live topology is the host's (Wine reports the Linux host's CPUs).
run topology --format json |
  json "assert len(d['pus']) == $(nproc), d['pus']; assert len(d['allowedCpus']) == $(nproc)"
run topology --synthetic "pack:2 numa:2 core:4 pu:2" --format json |
  json "assert len(d['numaNodes']) == 4 and len(d['pus']) == 32, d"

plan=$(run plan --synthetic "pack:2 numa:2 core:4 pu:2" --vms 2x4 --strategy local-first)
echo "$plan"
grep -q '^plan: 2 VMs, 8 vCPUs on 32 PUs in 4 NUMA nodes, strategy local-first' <<<"$plan" ||
  fail "plan: summary"
[[ $(grep -c -- '-> CPU .* node 0$' <<<"$plan") == 4 && $(grep -c -- '-> CPU .* node 1$' <<<"$plan") == 4 ]] ||
  fail "plan: each VM on its own node"

run report --synthetic "pack:1 numa:2 core:2 pu:1" --format json |
  json "
hv = {h['kind']: h for h in d['hypervisors']}
assert 'WinHvPlatform.dll' in hv['HYPERVISOR_KIND_WHPX']['reason'], hv
assert len(d['topology']['numaNodes']) == 2, d['topology']"
if run plan --vms 0x4 2>/dev/null; then fail "plan accepted 0 VMs"; fi

# plot draws a record of `vmaccel run --record` (made on Linux); the last
# line is longer than the first buffer the line reader grows from.
rec=$(mktemp --suffix=.jsonl)
trap 'rm -f "$rec"' EXIT
for t in 0 1 2; do
  printf '{"t": %d, "vm": 1, "pid": 11, "local": 0.5, "ram": 1073741824}\n' "$t"
done >"$rec"
printf '{"t": 2.5, "vm": 1, "event": "VM_GONE", "message": "%0300d"}\n' 0 >>"$rec"
svg=$(run plot "$rec")
grep -q "stroke='#1f77b4' points='70.0,190.0 350.0,190.0 630.0,190.0 '" <<<"$svg" ||
  fail "plot: VM 1 at 50% local over t 0..2"
echo "vmaccel.exe under Wine: OK"
