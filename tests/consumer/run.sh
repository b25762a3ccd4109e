#!/usr/bin/env bash
# Installs the build tree into a scratch prefix, then builds and runs the
# consumer with find_package(vmaccel) and with pkg-config.
set -euo pipefail
build=$1 src=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name 'libvmaccel.so.0' | head -n1)")
test -f "$prefix/include/vmaccel/vmaccel.h"
test -f "$libdir/libvmaccel.a"
test -f "$libdir/pkgconfig/vmaccel.pc"

cmake -S "$src/tests/consumer" -B "$prefix/consumer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/consumer" >/dev/null
LD_LIBRARY_PATH="$libdir" "$prefix/consumer/consumer"

export PKG_CONFIG_PATH="$libdir/pkgconfig"
cc -o "$prefix/consumer-pc" "$src/tests/consumer/main.c" $(pkg-config --cflags --libs vmaccel)
LD_LIBRARY_PATH="$libdir" "$prefix/consumer-pc"
echo "consumer: find_package and pkg-config both work"
