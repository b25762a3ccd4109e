#!/usr/bin/env bash
# Builds libuv, hwloc, protobuf-c and json-c for 64-bit Windows (mingw-w64)
# from Debian's own source packages, as static libraries, into
#   build/windows-deps/prefix        (the `windows` CMake preset looks there)
# Debian ships none of the four as a mingw package (apt-cache search mingw
# lists zlib and the GnuPG libraries only), so they are cross-built here.
#
# Sources come from `apt-get source`; a deb-src entry mirroring the
# machine's deb entries is added to apt's sources first if none exists.
# The result is cached: a second run with the same script and toolchain
# returns at once. Delete build/windows-deps to rebuild.
#
# Usage: scripts/build-windows-deps.sh [OUTDIR]   (root or sudo for apt)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo/build/windows-deps}
prefix=$out/prefix
toolchain=$repo/cmake/toolchains/mingw-w64-x86_64.cmake
host=x86_64-w64-mingw32
jobs=${JOBS:-$(nproc)}
packages=(libuv1 json-c protobuf-c hwloc)

key=$(cat "$0" "$toolchain" | sha256sum | cut -c1-16)
if [[ -f $prefix/.built && $(cat "$prefix/.built") == "$key" ]]; then
  echo "build-windows-deps: cached in $prefix"
  exit 0
fi

sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)

# ---- sources ----
have_sources() {
  local p
  for p in "${packages[@]}"; do
    apt-cache showsrc "$p" 2>/dev/null | grep -q '^Package:' || return 1
  done
}
add_deb_src() {
  local list=/etc/apt/sources.list.d/vmaccel-deb-src.sources
  local debian=/etc/apt/sources.list.d/debian.sources
  echo "build-windows-deps: adding deb-src entries ($list)"
  if [[ -f $debian ]]; then
    sed -e 's/^Types:.*/Types: deb-src/' "$debian" | "${sudo[@]}" tee "$list" >/dev/null
  elif [[ -f /etc/apt/sources.list ]]; then
    list=/etc/apt/sources.list.d/vmaccel-deb-src.list
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list | "${sudo[@]}" tee "$list" >/dev/null
  else
    echo "build-windows-deps: no apt sources to mirror as deb-src" >&2
    exit 1
  fi
  "${sudo[@]}" apt-get update -qq
}
have_sources || add_deb_src

src=$out/src
rm -rf "$src" "$prefix"
mkdir -p "$src" "$prefix"
for p in "${packages[@]}"; do
  (cd "$src" && apt-get source -qq --only-source "$p" >/dev/null 2>"$src/$p.apt.log") || {
    cat "$src/$p.apt.log" >&2
    exit 1
  }
done
srcdir() { find "$src" -mindepth 1 -maxdepth 1 -type d -name "$1-*" | head -n1; }

# ---- builds ----
log() { echo "build-windows-deps: $*"; }
quiet() { # runs a step with its output in a log, shown only on failure
  local name=$1; shift
  "$@" >"$out/$name.log" 2>&1 || { tail -n 40 "$out/$name.log" >&2; exit 1; }
}
cmake_dep() { # NAME SRCDIR CMAKE_ARGS...
  local name=$1 dir=$2; shift 2
  quiet "$name-configure" cmake -S "$dir" -B "$out/obj/$name" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DVMACCEL_WINDOWS_DEPS="$prefix" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
    -DCMAKE_INSTALL_LIBDIR=lib -DBUILD_TESTING=OFF "$@"
  quiet "$name-build" cmake --build "$out/obj/$name" -j "$jobs"
  quiet "$name-install" cmake --install "$out/obj/$name"
}
autotools_dep() { # NAME SRCDIR CONFIGURE_ARGS...
  local name=$1 dir=$2; shift 2
  mkdir -p "$out/obj/$name"
  (cd "$out/obj/$name" &&
    quiet "$name-configure" "$dir/configure" --host=$host --prefix="$prefix" \
      --libdir="$prefix/lib" --enable-static --disable-shared "$@" &&
    quiet "$name-build" make -j "$jobs" &&
    quiet "$name-install" make install)
}

log "libuv ($(basename "$(srcdir libuv1)"))"
cmake_dep libuv "$(srcdir libuv1)" -DLIBUV_BUILD_TESTS=OFF -DLIBUV_BUILD_BENCH=OFF
log "json-c ($(basename "$(srcdir json-c)"))"
cmake_dep json-c "$(srcdir json-c)" -DBUILD_SHARED_LIBS=OFF -DBUILD_STATIC_LIBS=ON \
  -DDISABLE_EXTRA_LIBS=ON -DDISABLE_WERROR=ON
log "protobuf-c ($(basename "$(srcdir protobuf-c)"))"
autotools_dep protobuf-c "$(srcdir protobuf-c)" --disable-protoc
log "hwloc ($(basename "$(srcdir hwloc)"))"
# No plugins and no optional backends: the topology comes from Windows'
# own API, XML from hwloc's built-in parser.
autotools_dep hwloc "$(srcdir hwloc)" --disable-plugins --disable-libxml2 \
  --disable-cairo --disable-opencl --disable-cuda --disable-nvml --disable-rsmi \
  --disable-levelzero --disable-gl --disable-pci --disable-libudev --disable-doxygen

echo "$key" > "$prefix/.built"
rm -rf "$src" "$out/obj"
log "done: $prefix"
