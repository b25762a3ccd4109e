#!/usr/bin/env bash
# Runs the Go binding's benchmarks matching REGEX against a CMake build of
# libvmaccel (installed into BUILD_DIR/go-prefix-bench, see
# bindings/go/env.sh), without the race detector.
#   bench/bindings/go_bench.sh BUILD_DIR REGEX [BENCHTIME]   (default 2s)
# VMACCEL_BENCH_QUICK=1: one iteration each, to check that it runs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:?usage: go_bench.sh BUILD_DIR REGEX [BENCHTIME]}" && pwd)
regex=${2:?usage: go_bench.sh BUILD_DIR REGEX [BENCHTIME]}
benchtime=${3:-2s}
[[ -n ${VMACCEL_BENCH_QUICK:-} ]] && benchtime=1x
. "$src/bindings/go/env.sh"
go_env "$build" "$build/go-prefix-bench"
cd "$src/bindings/go"
go test -run '^$' -bench "$regex" -benchtime "$benchtime" . | grep '^Benchmark'
