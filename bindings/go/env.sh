# Sourced by the scripts that build Go code against a CMake build of
# libvmaccel (bindings/go/test.sh, the Go benchmarks in bench/bindings):
#   go_env BUILD_DIR PREFIX
# installs BUILD_DIR into PREFIX (fresh), points pkg-config and the loader
# at it and puts Go on PATH. The go build cache keys a SWIG package on its
# .swig file and flags only, not on the files it %includes, so the
# interface's and headers' hash goes into CGO_CFLAGS (part of the key): a
# change to either rebuilds the wrapper. The pkg-config flags go in too:
# the cache also keeps the -L path. Use a fixed PREFIX per build dir, so
# that cached packages never point at a deleted directory.
go_env() {
  local build=$1 prefix=$2 src libdir hash
  src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  rm -rf "$prefix"
  cmake --install "$build" --prefix "$prefix" >/dev/null
  libdir=$(dirname "$(find "$prefix" -name 'libvmaccel.so.0' | head -n1)")
  export PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export PATH="$PATH:/usr/local/go/bin"
  hash=$( (cat "$src/bindings/vmaccel.i" "$src"/capi/include/vmaccel/*.h
           pkg-config --cflags --libs vmaccel) | sha256sum | cut -c1-16)
  export CGO_CFLAGS="${CGO_CFLAGS:--O2 -g} -DVMACCEL_SWIG_INPUTS=$hash"
}
