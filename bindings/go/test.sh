#!/usr/bin/env bash
# Installs a CMake build of libvmaccel into BUILD/go-prefix, points
# pkg-config and the loader at it, and runs the Go tests with the race
# detector (the parity test also runs the build's `vmaccel` CLI).
#   bindings/go/test.sh BUILD_DIR [go test args...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: test.sh BUILD_DIR}" && pwd)
shift
export VMACCEL_CLI="$build/cli/vmaccel"
. "$here/env.sh"
go_env "$build" "$build/go-prefix"
cd "$here"
go test -race -count=1 "$@" ./...

# The Go examples (a separate module using this one through a replace):
# their own tests (vmwatch scraped with QEMU VMs, the README's watch
# program), then hostreport as a user runs it.
cd "$here/../../examples/go"
go test -race -count=1 ./...
out=$(go run ./hostreport -synthetic "pack:2 numa:2 core:4 pu:2")
echo "$out"
grep -q "^32 CPUs in 4 NUMA nodes$" <<<"$out"
grep -q "^numa  *on" <<<"$out"
echo "examples/go: hostreport ran"
