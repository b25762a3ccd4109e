#!/usr/bin/env bash
# The C host example and the README's Go example in a real two-node Linux
# guest (tests/e2e/numa_guest/guest.sh): each watches a misplaced VM-like
# workload and must print the rebalance events of the fix - the C one from
# its vmaccel_subscribe callback, the Go one from Manager.Events.
#   tests/go/examples_guest.sh BUILD_DIR
# Exit 77 (skipped) without QEMU or Go.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:?usage: examples_guest.sh BUILD_DIR}" && pwd)
export PATH="$PATH:/usr/local/go/bin"
command -v qemu-system-x86_64 >/dev/null || { echo "no qemu-system-x86_64"; exit 77; }
command -v go >/dev/null || { echo "no go toolchain"; exit 77; }
[[ -x $build/tests/rebalance_watch ]] || { echo "FAIL: $build/tests/rebalance_watch not built"; exit 1; }

# The Go example against this build's library (its own prefix: test.sh
# may be using BUILD/go-prefix at the same time).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix="$build/go-prefix-guest"
rm -rf "$prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null || exit 1
libdir=$(dirname "$(find "$prefix" -name 'libvmaccel.so.0' | head -n1)")
export PKG_CONFIG_PATH="$libdir/pkgconfig" LD_LIBRARY_PATH="$libdir"
hash=$( (cat "$src/bindings/vmaccel.i" "$src"/capi/include/vmaccel/*.h; pkg-config --cflags --libs vmaccel) |
        sha256sum | cut -c1-16)
export CGO_CFLAGS="-O2 -g -DVMACCEL_SWIG_INPUTS=$hash"
(cd "$src/examples/go" && go build -o "$tmp/go_watch" ./watch) || { echo "FAIL: go build ./watch"; exit 1; }

out=$(VMACCEL_GUEST_EXTRA="$build/tests/rebalance_watch $tmp/go_watch" \
      "$src/tests/e2e/numa_guest/guest.sh" "$build" "$here/examples_guest_scenario.sh" 300 2>&1 | tr -d '\r')
section() { sed -n "/^$1-EXAMPLE BEGIN/,/^$1-EXAMPLE END/p" <<<"$out"; }
c=$(section C) go=$(section GO)
echo "$out" | grep -E '^GUEST'
echo "$c"
echo "$go"
grep -q 'GUEST-UP nodes=2' <<<"$out" || { echo "FAIL: the guest did not boot with 2 nodes"; exit 1; }
fail=0
check() { # $1 = what, $2 = text, $3 = extended regex that must match a line
  if grep -Eq "$3" <<<"$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi
}
check "C: attached the workload" "$c" '^attached vm 1 "misplaced_vm" \(pid [0-9]+, 2 vCPUs, [0-9]+ MiB\)$'
check "C: callback saw REBALANCE_PLANNED" "$c" '^\[ *[0-9.]+s\] REBALANCE_PLANNED vm 1 \(rate 0\.[0-4][0-9]\): '
check "C: callback saw REBALANCE_APPLIED" "$c" '^\[ *[0-9.]+s\] REBALANCE_APPLIED vm 1 '
check "C: VM local after the fix" "$c" '^vm 1 "misplaced_vm": local rate (0\.9[0-9]|1\.00) \(.*\), [0-9]+ vCPU move\(s\), [0-9]+ memory migration\(s\), 0 failure\(s\)$'
check "C: summary counts an applied rebalance, none failed" "$c" '^rebalances: [1-9][0-9]* planned, [1-9][0-9]* applied, 0 failed$'
check "C: exited cleanly" "$c" '^C-EXAMPLE END rc=0$'
check "Go: saw VM_ATTACHED" "$go" '^EVENT_TYPE_VM_ATTACHED VM 1 "misplaced_vm"'
check "Go: saw REBALANCE_PLANNED" "$go" '^EVENT_TYPE_REBALANCE_PLANNED '
check "Go: saw REBALANCE_APPLIED" "$go" '^EVENT_TYPE_REBALANCE_APPLIED '
exit $fail
