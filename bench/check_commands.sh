#!/usr/bin/env bash
# Runs every command block of bench/RESULTS.md - its fenced ```sh blocks -
# in quick mode, so the recorded commands keep working: each block runs
# from the repository root in its own `bash -euo pipefail`, with
# VMACCEL_BENCH_QUICK=1 (benchmarks that take long honour it with fewer
# iterations or shorter guest runs). It checks that they run, not their
# numbers. Exit 1 when any block fails; each failure names its line.
#   bench/check_commands.sh [FILE.md]   (default bench/RESULTS.md)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
doc=${1:-$root/bench/RESULTS.md}
[[ -f $doc ]] || { echo "check_commands: no file $doc" >&2; exit 2; }
export VMACCEL_BENCH_QUICK=1
blocks=$(mktemp -d)
trap 'rm -rf "$blocks"' EXIT

# One file per block, named by the line its fence opens on.
awk -v dir="$blocks" '
  /^```sh[[:space:]]*$/ { if (!inside) { inside = 1; file = sprintf("%s/%06d", dir, NR); printf "" > file; next } }
  /^```/ && inside { inside = 0; close(file); next }
  inside { print >> file }
' "$doc"

total=0 failed=0
cd "$root"
for block in "$blocks"/*; do
  [[ -e $block ]] || break
  line=$((10#$(basename "$block")))
  total=$((total + 1))
  echo "== $(basename "$doc"):$line"
  sed 's/^/   $ /' "$block"
  start=$SECONDS
  if bash -euo pipefail "$block" >"$blocks/out" 2>&1; then
    echo "   ok ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1))
    echo "   FAILED (exit $?, $((SECONDS - start)) s); its last output:"
    tail -n 30 "$blocks/out" | sed 's/^/   | /'
  fi
done
echo "check_commands: $total command blocks, $failed failed"
[[ $total -gt 0 && $failed -eq 0 ]]
