#!/usr/bin/env bash
# The README's Go path, as a user follows it: install a release build of
# libvmaccel into a prefix (the README's `cmake --install`), point
# pkg-config and the loader at it, then `go run ./watch PID` in
# examples/go against a real QEMU VM. Passes when the program prints the
# VM_ATTACHED event of that VM.
#   tests/user_paths/readme_go.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$(cd "$1" && pwd) build=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/qemu_vm.sh"
export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "SKIP: no go"; exit 77; }
work=$(mktemp -d)
trap 'stop_qemu; rm -rf "$work"' EXIT

prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig LD_LIBRARY_PATH=$prefix/lib
pkg-config --exists vmaccel || { echo "FAIL: pkg-config finds no vmaccel in $prefix"; exit 1; }
# A fresh build cache: the go command keys the SWIG package on its .swig
# file and flags, not on the headers it includes, so a cache shared with
# earlier builds could hide a header the user's install does not have.
export GOCACHE=$work/gocache GOFLAGS=-mod=readonly

start_qemu readme-go-path
cd "$src/examples/go"
expect_line 120 "^EVENT_TYPE_VM_ATTACHED VM 1 \"readme-go-path\" \\(pid $qemu_pid, 2 vCPUs\\) attached$" \
  go run ./watch "$qemu_pid"
echo "PASSED: the README's Go path"
