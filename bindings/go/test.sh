#!/usr/bin/env bash
# Installs a CMake build of libvmaccel into BUILD/go-prefix, points
# pkg-config and the loader at it, and runs the Go tests with the race
# detector (the parity test also runs the build's `vmaccel` CLI).
#   bindings/go/test.sh BUILD_DIR [go test args...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: test.sh BUILD_DIR}" && pwd)
shift
# A fixed prefix inside the build tree: the go build cache remembers the
# -L path pkg-config gave, so a fresh temporary prefix per run would leave
# cached packages pointing at a deleted directory.
prefix="$build/go-prefix"
rm -rf "$prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name 'libvmaccel.so.0' | head -n1)")
export PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export VMACCEL_CLI="$build/cli/vmaccel"
export PATH="$PATH:/usr/local/go/bin"
# The go build cache keys a SWIG package on its .swig file only, not on the
# files it %includes: fold the interface and the headers into CGO_CFLAGS
# (part of the cache key) so a change to either rebuilds the wrapper.
# The pkg-config flags go in too: the cache also keeps the -L path.
iface_hash=$( (cat "$here/../vmaccel.i" "$here"/../../capi/include/vmaccel/*.h
               pkg-config --cflags --libs vmaccel) | sha256sum | cut -c1-16)
export CGO_CFLAGS="${CGO_CFLAGS:--O2 -g} -DVMACCEL_SWIG_INPUTS=$iface_hash"
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
