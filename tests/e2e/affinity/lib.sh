# Sourced by the e2e scripts of this directory, after `set -u`, with the
# vmaccel binary as $1. Exits 77 (CTest SKIP) without QEMU. Gives:
#   vmaccel, qemu, work (a directory removed at exit), VMACCEL_STATE_DIR,
#   pids (killed at exit: append every process started), fail and
#   check 'CONDITION' 'MESSAGE' (prints FAIL: MESSAGE and sets fail=1),
#   qemu_paused NAME SMP MIB: a paused QEMU TCG VM with named vCPU
#   threads, its pid in last_pid (a child of the caller's shell).
vmaccel=$1
qemu=$(command -v qemu-system-x86_64) || { echo "SKIP: no qemu-system-x86_64"; exit 77; }
work=$(mktemp -d)
export VMACCEL_STATE_DIR=$work/state
fail=0
pids=()
trap 'kill -9 "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
check() { if ! eval "$1"; then echo "FAIL: $2"; fail=1; fi; }
qemu_paused() {
    "$qemu" -name "$1",debug-threads=on -accel tcg -smp "$2" -m "$3" -display none -S \
        -nodefaults -no-user-config -monitor none >/dev/null 2>&1 &
    last_pid=$!
    pids+=("$last_pid")
}
