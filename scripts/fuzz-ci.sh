#!/usr/bin/env bash
# CI's bounded fuzz run: scripts/fuzz-ci.sh [SECONDS] [BUILD_DIR]
#
# Builds every libFuzzer harness (tests/fuzz/fuzz_*.c; clang, libFuzzer +
# ASan + UBSan) once, then for each target in turn:
#   1. replays its seed corpus tests/fuzz/corpus/NAME (every seed must pass);
#   2. fuzzes for SECONDS (default 20; env FUZZ_SECONDS also sets it),
#      starting from the seeds, new inputs kept in a scratch directory.
# Any crash, hang (one input over FUZZ_TIMEOUT s, default 10), leak or
# sanitizer report fails the run; the reproducer is kept in
# BUILD_DIR/fuzz-ci-artifacts/NAME/ and its path printed. Exit status is
# non-zero if any target failed. Prints one line per target with its exec
# count. Installs the packages it needs first (scripts/install-deps.sh).
#
# Time on 2 cores: the clang build (~3 min from scratch) plus, per target,
# SECONDS and the corpus replay; ~6 min for seven targets at 20 s.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-${FUZZ_SECONDS:-20}}
build=${2:-$src/build/fuzz-ci}
per_input=${FUZZ_TIMEOUT:-10}
jobs=${JOBS:-2}

[[ $secs =~ ^[0-9]+$ ]] || { echo "fuzz-ci: SECONDS must be a number, not '$secs'" >&2; exit 2; }

if [[ ${FUZZ_SKIP_DEPS:-0} != 1 ]]; then
  "$src/scripts/install-deps.sh"
fi

targets=()
for f in "$src"/tests/fuzz/fuzz_*.c; do
  n=$(basename "$f" .c)
  targets+=("${n#fuzz_}")
done
[[ ${#targets[@]} -gt 0 ]] || { echo "fuzz-ci: no harness under tests/fuzz" >&2; exit 2; }

# The same configuration as tests/fuzz/run.sh, so a crash found here
# reproduces with `tests/fuzz/run.sh NAME ...` and the reverse.
start=$SECONDS
if [[ ! -f $build/CMakeCache.txt ]]; then
  CC=clang CXX=clang++ cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DVMACCEL_FUZZ=ON -DVMACCEL_SANITIZE=address,undefined -DVMACCEL_WERROR=OFF \
    -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link \
    >/dev/null
fi
ninja -C "$build" -j"$jobs" "${targets[@]/#/fuzz_}"
echo "fuzz-ci: built ${#targets[@]} targets in $((SECONDS - start)) s"

# A libFuzzer report of a sanitizer finding goes to stderr; keep the whole
# log per target and show its tail when the target fails.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
artifacts=$build/fuzz-ci-artifacts
logs=$build/fuzz-ci-logs
rm -rf "$artifacts" "$logs"
mkdir -p "$logs"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

failed=()
summary=()
for t in "${targets[@]}"; do
  bin=$build/tests/fuzz_$t
  seeds=$src/tests/fuzz/corpus/$t
  mkdir -p "$artifacts/$t" "$scratch/$t"
  common=(-rss_limit_mb=2048 -timeout="$per_input" -artifact_prefix="$artifacts/$t/")
  # tests/fuzz/NAME.options: extra libFuzzer flags for that target (as in
  # tests/fuzz/run.sh); given last, they win.
  if [[ -f $src/tests/fuzz/$t.options ]]; then
    read -r -a extra <"$src/tests/fuzz/$t.options" || true # no final newline
    common+=("${extra[@]}")
  fi
  nseeds=0
  if [[ -d $seeds ]]; then
    nseeds=$(find "$seeds" -type f | wc -l)
    # Replay: each seed once, no mutation. A wall-clock bound catches a
    # harness that hangs outside libFuzzer's per-input timer.
    if ! timeout $((per_input * (nseeds + 1) + 60)) "$bin" "${common[@]}" -runs=0 \
        "$seeds" >"$logs/$t.replay.log" 2>&1; then
      echo "fuzz-ci: $t: replaying its $nseeds seeds failed:" >&2
      tail -n 40 "$logs/$t.replay.log" >&2
      failed+=("$t (seed replay)")
      continue
    fi
  fi
  corpus=("$scratch/$t")
  [[ -d $seeds ]] && corpus+=("$seeds")
  if timeout $((secs + per_input + 120)) "$bin" "${common[@]}" -max_total_time="$secs" \
      -print_final_stats=1 "${corpus[@]}" >"$logs/$t.log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log" | tail -n 1)
    summary+=("$(printf '%-10s %3d seeds  %9s execs in %s s  clean' "$t" "$nseeds" "${execs:-?}" "$secs")")
  else
    echo "fuzz-ci: $t failed after fuzzing; reproducer(s):" >&2
    find "$artifacts/$t" -type f >&2
    tail -n 60 "$logs/$t.log" >&2
    failed+=("$t")
  fi
done

echo "fuzz-ci: summary (logs in $logs)"
for s in "${summary[@]}"; do echo "  $s"; done
echo "fuzz-ci: $((SECONDS - start)) s in all"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz-ci: FAILED: ${failed[*]}" >&2
  exit 1
fi
