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
    # grep reads it all (no -q): under pipefail, apt-cache killed by
    # SIGPIPE would read as "no sources" and cost an apt-get update.
    apt-cache showsrc "$p" 2>/dev/null | grep '^Package:' >/dev/null || return 1
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
# Only the static libraries and headers vm-accel links: no shared
# libraries, tools, tests or documentation. hwloc, the slowest (its
# configure is a long serial run), builds beside the other three.
log() { echo "build-windows-deps: $*"; }
quiet() { # runs a step with its output in a log, shown only on failure
  local name=$1; shift
  "$@" >"$out/$name.log" 2>&1 || { tail -n 40 "$out/$name.log" >&2; exit 1; }
}
cmake_configure() { # NAME SRCDIR CMAKE_ARGS...
  local name=$1 dir=$2; shift 2
  quiet "$name-configure" cmake -S "$dir" -B "$out/obj/$name" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DVMACCEL_WINDOWS_DEPS="$prefix" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
    -DCMAKE_INSTALL_LIBDIR=lib -DBUILD_TESTING=OFF "$@"
}
autotools_dep() { # NAME SRCDIR SUBDIRS CONFIGURE_ARGS...
  local name=$1 dir=$2 subdirs=$3; shift 3
  local make=(make -j "$jobs")
  [[ -z $subdirs ]] || make+=("SUBDIRS=$subdirs")
  mkdir -p "$out/obj/$name"
  (cd "$out/obj/$name" &&
    quiet "$name-configure" "$dir/configure" --host=$host --prefix="$prefix" \
      --libdir="$prefix/lib" --enable-static --disable-shared \
      --disable-dependency-tracking "$@" &&
    quiet "$name-build" "${make[@]}" &&
    quiet "$name-install" "${make[@]}" install)
}

build_libuv() { # libuv 1.44 has no switch for its shared library: build the static target only
  local dir obj=$out/obj/libuv
  dir=$(srcdir libuv1)
  log "libuv ($(basename "$dir"))"
  cmake_configure libuv "$dir" -DLIBUV_BUILD_TESTS=OFF -DLIBUV_BUILD_BENCH=OFF
  quiet libuv-build cmake --build "$obj" -j "$jobs" --target uv_a
  mkdir -p "$prefix/include" "$prefix/lib/pkgconfig"
  cp -r "$dir/include/." "$prefix/include/"
  cp "$obj/libuv_a.a" "$prefix/lib/"
  cp "$obj/libuv-static.pc" "$prefix/lib/pkgconfig/"
}
build_json_c() { # the library target only (not its json_parse app)
  local dir
  dir=$(srcdir json-c)
  log "json-c ($(basename "$dir"))"
  cmake_configure json-c "$dir" -DBUILD_SHARED_LIBS=OFF -DBUILD_STATIC_LIBS=ON \
    -DDISABLE_EXTRA_LIBS=ON -DDISABLE_WERROR=ON
  quiet json-c-build cmake --build "$out/obj/json-c" -j "$jobs" --target json-c
  quiet json-c-install cmake --install "$out/obj/json-c"
}
build_protobuf_c() { # the runtime library only (protoc-c is the host's)
  log "protobuf-c ($(basename "$(srcdir protobuf-c)"))"
  autotools_dep protobuf-c "$(srcdir protobuf-c)" "" --disable-protoc
}
build_hwloc() { # include/ and hwloc/ only: no lstopo, tools, tests or docs
  log "hwloc ($(basename "$(srcdir hwloc)"))"
  # No plugins and no optional backends: the topology comes from Windows'
  # own API, XML from hwloc's built-in parser.
  autotools_dep hwloc "$(srcdir hwloc)" "include hwloc" --disable-plugins \
    --disable-libxml2 --disable-cairo --disable-opencl --disable-cuda --disable-nvml \
    --disable-rsmi --disable-levelzero --disable-gl --disable-pci --disable-libudev \
    --disable-doxygen
}

build_hwloc &
hwloc_job=$!
build_libuv
build_json_c
build_protobuf_c
wait "$hwloc_job" || { echo "build-windows-deps: hwloc failed" >&2; exit 1; }

echo "$key" > "$prefix/.built"
rm -rf "$src" "$out/obj"
log "done: $prefix"
