#!/usr/bin/env bash
# Fuzzes one harness for a bounded time: tests/fuzz/run.sh TARGET SECONDS [BUILD_DIR]
# Builds tests/fuzz/fuzz_TARGET.c with clang (libFuzzer + ASan + UBSan) in
# BUILD_DIR (default build/fuzz), starts from tests/fuzz/corpus/TARGET and
# keeps new inputs in a scratch directory. Exit status: libFuzzer's (non-zero
# when it found a crash, leak or UBSan report; the reproducer is in $PWD).
set -euo pipefail
target=${1:?usage: run.sh TARGET SECONDS [BUILD_DIR]}
secs=${2:?usage: run.sh TARGET SECONDS [BUILD_DIR]}
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${3:-$src/build/fuzz}
if [[ ! -f $build/CMakeCache.txt ]]; then
  CC=clang CXX=clang++ cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DVMACCEL_FUZZ=ON -DVMACCEL_SANITIZE=address,undefined -DVMACCEL_WERROR=OFF \
    -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link
fi
ninja -C "$build" -j2 "fuzz_$target"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
seeds=$src/tests/fuzz/corpus/$target
[[ -d $seeds ]] || seeds=
# tests/fuzz/TARGET.options: extra libFuzzer flags for that target.
opts=$src/tests/fuzz/$target.options
extra=()
[[ -f $opts ]] && read -r -a extra < "$opts"
"$build/tests/fuzz_$target" -max_total_time="$secs" -print_final_stats=1 \
  -rss_limit_mb=2048 "${extra[@]}" "$scratch" $seeds
