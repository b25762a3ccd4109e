#!/usr/bin/env bash
# Event latency, decision -> subscriber, for every consumer in one session:
# the C callback and the C pull queue (rebalance_latency.c, built here with
# the project's flags against BUILD's library), Python's blocking iterator
# and asyncio (event_latency.py in BUILD/python-venv), and a Go channel
# (BenchmarkRebalanceLatency), with this machine's floors for the C and Go paths
# (no vm-accel code: rebalance_latency.c, BenchmarkPollerFloor). Also the older VM_ATTACHED measure
# (bench_event_latency, event_latency.py --attach, BenchmarkEventLatency).
#   bench/bindings/run_event_latency.sh BUILD_DIR [decisions]   (default 2000)
# VMACCEL_BENCH_QUICK=1: 20 decisions, to check that it runs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:?usage: run_event_latency.sh BUILD_DIR [decisions]}" && pwd)
n=${2:-2000}
[[ -n ${VMACCEL_BENCH_QUICK:-} ]] && n=20 # bench/check_commands.sh: does it run?
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cc -std=c11 -O2 -Wall -Wextra -Wshadow -Wstrict-prototypes -Werror \
   -I"$src/capi/include" -I"$build/generated" \
   "$here/rebalance_latency.c" "$build/generated/vmaccel.pb-c.c" \
   -L"$build" -Wl,-rpath,"$build" -lvmaccel -lprotobuf-c -lpthread -o "$tmp/rebalance_latency"

. "$src/bindings/go/env.sh"
go_env "$build" "$build/go-prefix-bench"

echo "== rebalance decision -> subscriber ($n decisions each; $(date -u +%FT%TZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
"$tmp/rebalance_latency" "$n"
"$build/python-venv/bin/python" "$here/event_latency.py" --rebalance "$n"
(cd "$src/bindings/go" && go test -run '^$' -bench 'RebalanceLatency|PollerFloor' -benchtime "${n}x" . | grep '^Benchmark')
echo "== VM_ATTACHED from another thread -> subscriber ($n events each)"
"$build/bench/bench_event_latency" "$n"
"$build/python-venv/bin/python" "$here/event_latency.py" --attach "$n"
(cd "$src/bindings/go" && go test -run '^$' -bench 'EventLatency' -benchtime "${n}x" . | grep '^Benchmark')
