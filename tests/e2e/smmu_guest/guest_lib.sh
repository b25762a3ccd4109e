# Shared by guest.sh and capture.sh (sourced, not run): Debian's arm64 kernel
# and busybox-static through a private apt state, static aarch64 programs,
# and a busybox initramfs.
#
# The arm64 packages come from the machine's own Debian sources through
# apt-get with a private state directory (APT::Architecture=arm64, lists and
# archives under the cache), so the host's dpkg architectures and package
# lists are left alone: linux-image-arm64's current dependency
# (linux-image-<ver>-arm64; ARM_SMMU_V3 is built in) and busybox-static.
#
# guest_init BUILD_DIR sets: src (the source tree), cache (the guest cache,
# VMACCEL_GUEST_CACHE or BUILD_DIR/guest-cache, /arm64), cross (the cross
# compiler, VMACCEL_CROSS_CC or aarch64-linux-gnu-gcc); exits 77 (CTest's
# skip) when a tool is missing: qemu-system-aarch64 (qemu-system-arm),
# aarch64-linux-gnu-gcc with a static libc (gcc-aarch64-linux-gnu,
# libc6-dev-arm64-cross), apt-get, cpio.

guest_skip() { echo "$(basename "$0"): skipped: $*" >&2; exit 77; }

guest_init() {
  src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
  cache=${VMACCEL_GUEST_CACHE:-$1/guest-cache}/arm64
  cross=${VMACCEL_CROSS_CC:-aarch64-linux-gnu-gcc}
  command -v qemu-system-aarch64 >/dev/null || guest_skip "no qemu-system-aarch64 (Debian: qemu-system-arm)"
  command -v "$cross" >/dev/null || guest_skip "no $cross (Debian: gcc-aarch64-linux-gnu)"
  command -v apt-get >/dev/null && command -v dpkg >/dev/null || guest_skip "no apt-get/dpkg to fetch Debian's arm64 kernel"
  command -v cpio >/dev/null || guest_skip "no cpio"
  mkdir -p "$cache"
}

# guest_cc OUT SOURCES... [FLAGS]: a static aarch64 program.
guest_cc() {
  local out=$1
  shift
  "$cross" -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Wno-format-truncation -static \
    "$@" -o "$out.tmp" 2>"$out.log" ||
    { cat "$out.log" >&2
      grep -q 'cannot find -lc\|stdio.h: No such file' "$out.log" &&
        guest_skip "$cross cannot link a static program (Debian: libc6-dev-arm64-cross)"
      exit 1; }
  mv "$out.tmp" "$out"
}

_guest_apt_opts() {
  local st=$cache/apt
  apt_opts=(-o "Dir::State::Lists=$st/lists" -o "Dir::Cache=$st/cache"
    -o "Dir::State::status=$st/status" -o APT::Architecture=arm64
    -o APT::Architectures::=arm64 -o Debug::NoLocking=1 -o APT::Sandbox::User=root
    -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false
    -o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false
    -o Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false
    -o Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false)
}

# Unpacks PKG (an arm64 package) into $cache/PKG once; 1 if apt cannot
# download it (no lists yet, or lists older than the mirror).
_guest_unpack() {
  local pkg=$1
  [[ -n $pkg ]] || return 1
  [[ -d $cache/$pkg ]] && return 0
  rm -f "$cache"/"$pkg"_*.deb
  (cd "$cache" && apt-get -qq "${apt_opts[@]}" download "$pkg:arm64" >/dev/null 2>&1) || return 1
  rm -rf "$cache/$pkg.tmp"
  dpkg -x "$cache"/"$pkg"_*.deb "$cache/$pkg.tmp" && mv "$cache/$pkg.tmp" "$cache/$pkg" || return 1
  rm -f "$cache"/"$pkg"_*.deb
}

_guest_fetch_all() {
  pkg=$(apt-cache "${apt_opts[@]}" depends linux-image-arm64 2>/dev/null |
    awk '/Depends: linux-image-[0-9]/{print $2; exit}' || true)
  _guest_unpack "$pkg" && _guest_unpack busybox-static
}

# guest_fetch: sets vmlinuz and moddir (the kernel's modules). Tests that
# share the cache may start together (ctest -j): the first to take the
# lock fetches, the others wait for it.
guest_fetch() {
  local st=$cache/apt pkg
  exec 8>"$cache/.lock"
  flock 8
  mkdir -p "$st/lists/partial" "$st/cache/archives/partial"
  [[ -f $st/status ]] || : >"$st/status"
  _guest_apt_opts
  if ! _guest_fetch_all; then
    echo "$(basename "$0"): apt-get update (arm64 lists, private state in $st)" >&2
    apt-get -qq "${apt_opts[@]}" update >"$st/update.log" 2>&1 ||
      { cat "$st/update.log" >&2
        echo "$(basename "$0"): no arm64 package lists (are Debian's sources reachable?)" >&2
        exit 1; }
    _guest_fetch_all || { echo "$(basename "$0"): cannot download linux-image-arm64's kernel (${pkg:-none known}) and busybox-static for arm64" >&2; exit 1; }
  fi
  flock -u 8
  vmlinuz=$(ls "$cache/$pkg"/boot/vmlinuz-* | head -n1)
  moddir=$(ls -d "$cache/$pkg"/lib/modules/* | head -n1)
}

# Module file for a module name (names use '_', files may use '-').
_guest_ko_of() {
  find "$moddir/kernel" -name "$1.ko" -o -name "${1//_/-}.ko" | head -n1
}
# Prints the .ko files MOD needs, dependencies first (from .modinfo depends=).
_guest_ko_closure() {
  local ko dep
  ko=$(_guest_ko_of "$1")
  [[ -n $ko ]] || return 0 # built in
  for dep in $(tr '\0' '\n' <"$ko" | sed -n 's/^depends=//p' | tr ',' ' '); do
    _guest_ko_closure "$dep"
  done
  echo "$ko"
}

# guest_initramfs OUT INIT "APPLETS" "MODULES" [PROGRAM...]: a gzip'd newc
# cpio with busybox and its APPLETS in /bin, MODULES and their dependencies
# in /lib/modules (listed in load order in /lib/modules/load), each PROGRAM
# in /bin, and INIT as /init.
guest_initramfs() {
  local out=$1 init=$2 applets=$3 modules=$4 root app ko m
  shift 4
  root=$(mktemp -d)
  mkdir -p "$root"/{bin,proc,sys,dev,lib/modules}
  install -m755 "$cache/busybox-static/bin/busybox" "$root/bin/busybox"
  for app in $applets; do
    ln -sf busybox "$root/bin/$app"
  done
  for m in "$@"; do
    install -m755 "$m" "$root/bin/$(basename "$m")"
  done
  : >"$root/lib/modules/load"
  for ko in $(for m in $modules; do _guest_ko_closure "$m"; done | awk '!seen[$0]++'); do
    install -m644 "$ko" "$root/lib/modules/$(basename "$ko")"
    basename "$ko" >>"$root/lib/modules/load"
  done
  install -m755 "$init" "$root/init"
  (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
  rm -rf "$root"
}
