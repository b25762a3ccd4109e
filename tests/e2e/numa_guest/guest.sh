#!/usr/bin/env bash
# Boots a two-node (or N-node) Linux guest under QEMU with vm-accel and a misplaced
# VM-like workload inside, runs a scenario script there and prints what the
# guest printed on its serial console.
#
# usage: guest.sh BUILD_DIR SCENARIO [SECONDS]
#   BUILD_DIR  a CMake build of vm-accel (cli/vmaccel, tests/misplaced_vm)
#   SCENARIO   a shell script run as the guest's workload (busybox sh)
# env: VMACCEL_GUEST_CACHE (default BUILD_DIR/guest-cache) keeps the
#      downloaded kernel; VMACCEL_GUEST_ACCEL (default tcg) e.g. kvm;
#      VMACCEL_GUEST_EXTRA: more programs to put in the guest's /bin;
#      VMACCEL_BENCH_QUICK, when set, is passed on to the scenario (through
#      the kernel command line, which hands it to init's environment);
#      VMACCEL_BENCH_ONLY (a comma list, e.g. vmaccel,kernel), likewise:
#      the balancers a comparison runs; VMACCEL_BENCH_VCPUS likewise: vCPU
#      threads per workload where a scenario takes it (migrate_rate);
#      VMACCEL_GUEST_NODES: NUMA nodes of 2 CPUs and 512 MiB (default 2);
#      VMACCEL_GUEST_KERNEL: a vmlinuz to boot instead of Debian's (any
#      x86_64 kernel with NUMA emulation and the 8250 console built in,
#      e.g. bookworm-backports' to compare kernel versions);
#      VMACCEL_GUEST_BOOT_LIMIT (default 150): seconds a boot may take to
#      reach init before it is stopped and tried once more (GUEST-RETRY).
#
# The kernel is Debian's (apt-get download of the version linux-image-amd64
# depends on), unpacked once into the cache. The initramfs is made here:
# busybox-static, the two programs and the shared libraries ldd names.
set -euo pipefail
build=$(cd "$1" && pwd) scenario=$2 limit=${3:-240}
here=$(cd "$(dirname "$0")" && pwd)
cache=${VMACCEL_GUEST_CACHE:-$build/guest-cache}
mkdir -p "$cache"

kernel_image() {
  local pkg ver
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  if [[ -z $pkg && $(id -u) -eq 0 ]]; then # a machine without package lists yet
    apt-get update -qq >/dev/null 2>&1 || true
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  fi
  if [[ -z $pkg ]]; then
    echo "guest.sh: apt knows no linux-image-amd64 (run apt-get update)" >&2; return 1
  fi
  # Tests sharing this cache may boot at the same moment (ctest -j): the
  # first to take the lock unpacks the kernel, the others wait for it.
  exec 9>"$cache/.lock"
  flock 9
  if [[ ! -d $cache/$pkg ]]; then
    rm -rf "$cache/$pkg.tmp" "$cache/$pkg"_*.deb
    (cd "$cache" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
      { echo "guest.sh: apt-get download $pkg failed" >&2; return 1; }
    dpkg -x "$cache/$pkg"_*.deb "$cache/$pkg.tmp" && mv "$cache/$pkg.tmp" "$cache/$pkg"
    rm -f "$cache/$pkg"_*.deb
  fi
  flock -u 9
  ls "$cache/$pkg"/boot/vmlinuz-* | head -n1
}

# Copies a program and every library it loads (ldd) into the root.
install_with_libs() {
  local root=$1 bin=$2 dest=$3
  install -D -m755 "$bin" "$root$dest"
  ldd "$bin" | awk '/=> \//{print $3} /^\t\/.*ld-linux/{print $1}' | while read -r lib; do
    install -D -m755 "$(readlink -f "$lib")" "$root$lib"
  done
}

make_initramfs() {
  local root out=$1
  root=$(mktemp -d)
  mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,etc}
  cp /bin/busybox "$root/bin/busybox"
  for app in sh mount umount sleep cat echo ls grep awk sed kill ps poweroff seq head tail wc tr cut sort uniq date dmesg mkdir taskset; do
    ln -sf busybox "$root/bin/$app"
  done
  install_with_libs "$root" "$build/cli/vmaccel" /bin/vmaccel
  install_with_libs "$root" "$build/tests/misplaced_vm" /bin/misplaced_vm
  [[ -x $build/tests/local_rate ]] && install_with_libs "$root" "$build/tests/local_rate" /bin/local_rate
  local lib
  lib=$(find "$build" -maxdepth 1 -name 'libvmaccel.so.*' | head -n1)
  install -D -m644 "$lib" "$root/lib/$(basename "$lib")"
  ln -sf "$(basename "$lib")" "$root/lib/libvmaccel.so.0"
  for extra in ${VMACCEL_GUEST_EXTRA:-}; do
    install_with_libs "$root" "$extra" "/bin/$(basename "$extra")"
  done
  mkdir -p "$root/var/log" "$root/var/run"
  install -m755 "$here/measure.sh" "$root/bin/measure"
  install -m755 "$scenario" "$root/scenario"
  install -m755 "$here/init" "$root/init"
  (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
  rm -rf "$root"
}

vmlinuz=${VMACCEL_GUEST_KERNEL:-$(kernel_image)}
initrd=$(mktemp --suffix=.cpio.gz)
trap 'rm -f "$initrd"' EXIT
make_initramfs "$initrd"
# The guest's NUMA layout: N nodes (VMACCEL_GUEST_NODES, default 2) of 2
# CPUs and 512 MiB each, distance 21 between any two.
nodes=${VMACCEL_GUEST_NODES:-2}
numa=()
for ((n = 0; n < nodes; n++)); do
  numa+=(-object "memory-backend-ram,id=m$n,size=512M"
         -numa "node,nodeid=$n,cpus=$((2 * n))-$((2 * n + 1)),memdev=m$n")
done
for ((a = 0; a < nodes; a++)); do
  for ((b = a + 1; b < nodes; b++)); do numa+=(-numa "dist,src=$a,dst=$b,val=21"); done
done
qemu=(qemu-system-x86_64 -accel "${VMACCEL_GUEST_ACCEL:-tcg}"
  -m $((512 * nodes)) -smp $((2 * nodes)) -cpu max "${numa[@]}"
  -kernel "$vmlinuz" -initrd "$initrd"
  -append "console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init LD_LIBRARY_PATH=/lib${VMACCEL_BENCH_QUICK:+ VMACCEL_BENCH_QUICK=1}${VMACCEL_BENCH_ONLY:+ VMACCEL_BENCH_ONLY=$VMACCEL_BENCH_ONLY}${VMACCEL_BENCH_VCPUS:+ VMACCEL_BENCH_VCPUS=$VMACCEL_BENCH_VCPUS}"
  -nographic -no-reboot -serial mon:stdio)

# A TCG boot reaches init in about 12 s on a quiet machine and within a
# minute on a busy one. Once in CI, beside other tests on two cores, a
# guest printed no line of init's for 300 s. So a boot that has not printed
# GUEST-UP (init's first line) after VMACCEL_GUEST_BOOT_LIMIT seconds
# (default 150) is stopped and started once more, with a GUEST-RETRY line
# saying so; the scenario then still gets its whole SECONDS.
boot_limit=${VMACCEL_GUEST_BOOT_LIMIT:-150}
console=$(mktemp)
trap 'rm -f "$initrd" "$console"' EXIT

# One boot, its console copied to stdout as it comes. Returns QEMU's exit
# status, or 75 when init did not start within the boot limit.
boot_once() {
  local qemu_pid tail_pid waited=0 rc=0
  : >"$console"
  timeout --foreground "$limit" "${qemu[@]}" </dev/null >"$console" 2>&1 &
  qemu_pid=$!
  tail -n +1 -f --pid="$qemu_pid" "$console" &
  tail_pid=$!
  until grep -q 'GUEST-UP' "$console"; do
    kill -0 "$qemu_pid" 2>/dev/null || break
    if ((waited >= boot_limit)); then
      kill "$qemu_pid" 2>/dev/null || true
      wait "$qemu_pid" 2>/dev/null || true
      wait "$tail_pid" 2>/dev/null || true
      return 75
    fi
    sleep 1
    waited=$((waited + 1))
  done
  wait "$qemu_pid" || rc=$?
  wait "$tail_pid" 2>/dev/null || true
  return "$rc"
}

# The stuck boot's last console lines, on lines the checks print (they keep
# only GUEST... lines of the console).
say_stuck() { # $1 = GUEST-RETRY or GUEST-STUCK, $2 = what happens next
  echo "$1: no GUEST-UP within ${boot_limit} s; $2; the console's last lines:"
  tail -n 15 "$console" | tr -d '\r' | sed "s/^/$1 console: /"
}

rc=0
boot_once || rc=$?
if ((rc == 75)); then
  say_stuck GUEST-RETRY "booting once more"
  rc=0
  boot_once || rc=$?
  ((rc != 75)) || say_stuck GUEST-STUCK "giving up"
fi
exit "$rc"
