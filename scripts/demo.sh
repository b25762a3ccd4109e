#!/usr/bin/env bash
# The demo (README command one): vm-accel on this host and in a two-node
# guest. Outputs go to build/demo/.
#  1. on this host: what vm-accel detects, then a real QEMU (TCG) VM whose
#     vCPU threads `vmaccel run` pins (and gives back at exit);
#  2. in a two-node Linux guest under QEMU: a VM-like workload with its
#     memory on the wrong node, detected and fixed by `vmaccel run`, with
#     the local access rate before and after, read from the kernel;
#  3. the run drawn by `vmaccel plot` (SVG, and PNG when rsvg-convert is
#     installed).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${VMACCEL_BUILD:-$root/build/default}"
vmaccel="$build/cli/vmaccel"
out="$root/build/demo"
mkdir -p "$out"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1. This host"
"$vmaccel" probe | tee "$out/probe.txt"
"$vmaccel" report --setup-full --format json > "$out/report.json"

if command -v qemu-system-x86_64 >/dev/null; then
  say "A real QEMU VM (TCG, 2 vCPUs), pinned by vmaccel run"
  qemu-system-x86_64 -accel tcg -smp 2 -m 128 -display none -nodefaults \
    -name demo-vm,debug-threads=on & qpid=$!
  trap 'kill $qpid 2>/dev/null || true' EXIT
  for _ in $(seq 50); do grep -qs 'CPU 1/TCG' /proc/$qpid/task/*/comm && break; sleep 0.1; done
  allowed() { for t in /proc/$qpid/task/*; do
      case $(cat "$t/comm") in "CPU "*) printf '  %-10s %s\n' "$(cat "$t/comm")" \
        "$(awk '/Cpus_allowed_list/{print $2}' "$t/status")";; esac; done; }
  echo "before:"; allowed
  "$vmaccel" run --pid $qpid --strategy local-first --duration 3 --no-live \
     --events text --restore-on-exit 2>&1 | sed 's/timestamp_ns: [0-9]* //' | head -5 &
  sleep 2; echo "while vmaccel run holds them:"; allowed; wait $!
  echo "after --restore-on-exit:"; allowed
  kill $qpid; wait $qpid 2>/dev/null || true; trap - EXIT
fi

say "2. A two-node Linux guest (QEMU TCG): a VM with its memory on the wrong node"
echo "(boots a Debian kernel; the first run downloads it, later runs reuse build/default/guest-cache)"
"$root/tests/e2e/numa_guest/guest.sh" "$build" "$root/tests/e2e/numa_guest/scenario_demo.sh" 300 \
  | tr -d '\r' > "$out/guest.log" || true
grep -E '^(GUEST-UP|DEMO|event:|vmaccel run)' "$out/guest.log" || { cat "$out/guest.log"; exit 1; }
sed -n '/^RECORD-BEGIN/,/^RECORD-END/p' "$out/guest.log" | sed '1d;$d' > "$out/run.jsonl"

say "3. The picture"
"$vmaccel" plot "$out/run.jsonl" --out "$out/locality.svg" \
  --title "vm-accel in a two-node guest: local memory access of a misplaced VM"
command -v rsvg-convert >/dev/null && rsvg-convert "$out/locality.svg" -o "$out/locality.png"
before=$(awk '/^DEMO BEFORE/{print $3}' "$out/guest.log")
after=$(awk '/^DEMO AFTER/{print $3}' "$out/guest.log")
echo "local access rate: ${before:-?}% before, ${after:-?}% after (measured from the guest kernel's numa_maps)"
echo
echo "outputs in $out:"
ls -1 "$out" | sed 's/^/  /'
