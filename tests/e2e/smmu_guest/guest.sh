#!/usr/bin/env bash
# Boots Debian's arm64 kernel under qemu-system-aarch64 (TCG) with a busybox
# initramfs whose init runs vm-accel's real IOMMU probe (iommu_probe_main.c +
# runtime/hv/iommu.c, cross-compiled static for aarch64) and powers off; prints
# the serial console.
#
# usage: guest.sh BUILD_DIR [MACHINE [SECONDS]]
#   BUILD_DIR  a CMake build dir of vm-accel (only its guest cache is used)
#   MACHINE    the -M value (default virt,iommu=smmuv3; plain "virt" has no
#              IOMMU)
# env: VMACCEL_GUEST_CACHE (default BUILD_DIR/guest-cache) keeps the kernel,
#      busybox and a private arm64 apt state under arm64/.
# Exit 77 (CTest's skip) when a tool is missing: qemu-system-aarch64
# (qemu-system-arm), aarch64-linux-gnu-gcc with a static libc
# (gcc-aarch64-linux-gnu, libc6-dev-arm64-cross), apt-get, cpio.
#
# The arm64 packages come from the machine's own Debian sources through
# apt-get with a private state directory (APT::Architecture=arm64, lists and
# archives under the cache), so the host's dpkg architectures and package
# lists are left alone: linux-image-arm64's current dependency
# (linux-image-<ver>-arm64; ARM_SMMU_V3 is built in) and busybox-static.
# virtio_pci and the modules it depends on are loaded in the guest so that
# the virtio-rng-pci device gets a driver, hence a DMA configuration through
# the SMMU, hence an iommu group.
set -euo pipefail
build=$(cd "$1" && pwd) machine=${2:-virt,iommu=smmuv3} limit=${3:-180}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../.." && pwd)
cache=${VMACCEL_GUEST_CACHE:-$build/guest-cache}/arm64
cross=${VMACCEL_CROSS_CC:-aarch64-linux-gnu-gcc}

skip() { echo "guest.sh: skipped: $*" >&2; exit 77; }
command -v qemu-system-aarch64 >/dev/null || skip "no qemu-system-aarch64 (Debian: qemu-system-arm)"
command -v "$cross" >/dev/null || skip "no $cross (Debian: gcc-aarch64-linux-gnu)"
command -v apt-get >/dev/null && command -v dpkg >/dev/null || skip "no apt-get/dpkg to fetch Debian's arm64 kernel"
command -v cpio >/dev/null || skip "no cpio"
mkdir -p "$cache"

# --- the real probe, static for aarch64 -----------------------------------
probe=$cache/iommu_probe
"$cross" -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Wno-format-truncation -static \
  -I"$src/runtime" -I"$src/capi/include" \
  "$here/iommu_probe_main.c" "$src/runtime/hv/iommu.c" -o "$probe.tmp" 2>"$cache/cc.log" ||
  { cat "$cache/cc.log" >&2
    grep -q 'cannot find -lc\|stdio.h: No such file' "$cache/cc.log" &&
      skip "$cross cannot link a static program (Debian: libc6-dev-arm64-cross)"
    exit 1; }
mv "$probe.tmp" "$probe"

# --- Debian arm64 packages through a private apt state --------------------
apt_state=$cache/apt
mkdir -p "$apt_state/lists/partial" "$apt_state/cache/archives/partial"
[[ -f $apt_state/status ]] || : >"$apt_state/status"
apt_opts=(-o "Dir::State::Lists=$apt_state/lists" -o "Dir::Cache=$apt_state/cache"
  -o "Dir::State::status=$apt_state/status" -o APT::Architecture=arm64
  -o APT::Architectures::=arm64 -o Debug::NoLocking=1 -o APT::Sandbox::User=root
  -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false
  -o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false
  -o Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false
  -o Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false)
apt_update() {
  echo "guest.sh: apt-get update (arm64 lists, private state in $apt_state)" >&2
  apt-get -qq "${apt_opts[@]}" update >"$apt_state/update.log" 2>&1 ||
    { cat "$apt_state/update.log" >&2; return 1; }
}
kernel_pkg() {
  apt-cache "${apt_opts[@]}" depends linux-image-arm64 2>/dev/null |
    awk '/Depends: linux-image-[0-9]/{print $2; exit}' || true
}
# Unpacks PKG (an arm64 package) into $cache/PKG once; 1 if apt cannot
# download it (no lists yet, or lists older than the mirror).
unpack() {
  local pkg=$1
  [[ -n $pkg ]] || return 1
  [[ -d $cache/$pkg ]] && return 0
  rm -f "$cache"/"$pkg"_*.deb
  (cd "$cache" && apt-get -qq "${apt_opts[@]}" download "$pkg:arm64" >/dev/null 2>&1) || return 1
  rm -rf "$cache/$pkg.tmp"
  dpkg -x "$cache"/"$pkg"_*.deb "$cache/$pkg.tmp" && mv "$cache/$pkg.tmp" "$cache/$pkg" || return 1
  rm -f "$cache"/"$pkg"_*.deb
}
fetch_all() {
  pkg=$(kernel_pkg)
  unpack "$pkg" && unpack busybox-static
}
if ! fetch_all; then
  apt_update || { echo "guest.sh: no arm64 package lists (are Debian's sources reachable?)" >&2; exit 1; }
  fetch_all || { echo "guest.sh: cannot download linux-image-arm64's kernel (${pkg:-none known}) and busybox-static for arm64" >&2; exit 1; }
fi
vmlinuz=$(ls "$cache/$pkg"/boot/vmlinuz-* | head -n1)
moddir=$(ls -d "$cache/$pkg"/lib/modules/* | head -n1)

# Module file for a module name (names use '_', files may use '-').
ko_of() {
  find "$moddir/kernel" -name "$1.ko" -o -name "${1//_/-}.ko" | head -n1
}
# Prints the .ko files MOD needs, dependencies first (from .modinfo depends=).
ko_closure() {
  local ko dep
  ko=$(ko_of "$1")
  [[ -n $ko ]] || return 0 # built in
  for dep in $(tr '\0' '\n' <"$ko" | sed -n 's/^depends=//p' | tr ',' ' '); do
    ko_closure "$dep"
  done
  echo "$ko"
}

# --- initramfs -------------------------------------------------------------
root=$(mktemp -d)
initrd=$(mktemp --suffix=.cpio.gz)
trap 'rm -rf "$root" "$initrd"' EXIT
mkdir -p "$root"/{bin,proc,sys,dev,lib/modules}
install -m755 "$cache/busybox-static/bin/busybox" "$root/bin/busybox"
for app in sh mount cat echo ls readlink basename dirname find grep tr insmod poweroff; do
  ln -sf busybox "$root/bin/$app"
done
install -m755 "$probe" "$root/bin/iommu_probe"
: >"$root/lib/modules/load"
for ko in $(ko_closure virtio_pci | awk '!seen[$0]++'); do
  install -m644 "$ko" "$root/lib/modules/$(basename "$ko")"
  basename "$ko" >>"$root/lib/modules/load"
done
install -m755 "$here/init" "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd"

timeout --foreground "$limit" qemu-system-aarch64 -M "$machine" -accel tcg \
  -cpu cortex-a57 -smp 1 -m 256 \
  -kernel "$vmlinuz" -initrd "$initrd" \
  -append "console=ttyAMA0 quiet loglevel=3 panic=-1 rdinit=/init" \
  -device virtio-rng-pci -nic none \
  -nographic -no-reboot -serial mon:stdio </dev/null
