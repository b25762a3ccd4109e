#!/usr/bin/env bash
# Installs a CMake build of libvmaccel into a scratch prefix, points
# pkg-config and the loader at it, and runs the Go tests with the race
# detector (the parity test also runs the build's `vmaccel` CLI).
#   bindings/go/test.sh BUILD_DIR [go test args...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: test.sh BUILD_DIR}" && pwd)
shift
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name 'libvmaccel.so.0' | head -n1)")
export PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export VMACCEL_CLI="$build/cli/vmaccel"
export PATH="$PATH:/usr/local/go/bin"
# The go build cache keys a SWIG package on its .swig file only, not on the
# files it %includes: fold the interface and the headers into CGO_CFLAGS
# (part of the cache key) so a change to either rebuilds the wrapper.
iface_hash=$(cat "$here/../vmaccel.i" "$here"/../../capi/include/vmaccel/*.h | sha256sum | cut -c1-16)
export CGO_CFLAGS="${CGO_CFLAGS:--O2 -g} -DVMACCEL_SWIG_INPUTS=$iface_hash"
cd "$here"
go test -race -count=1 "$@" ./...
