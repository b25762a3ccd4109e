# Sourced by the user-path tests: start_qemu NAME starts a small QEMU TCG VM
# (2 vCPUs, 64 MiB, no devices) with named vCPU threads, waits until both
# threads exist, and sets $qemu_pid; the caller's EXIT trap calls stop_qemu.
# Exits 77 (CTest SKIP) when qemu-system-x86_64 is not installed.
start_qemu() {
  command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no qemu-system-x86_64"; exit 77; }
  qemu-system-x86_64 -accel tcg -name "$1,debug-threads=on" -m 64 -smp 2 \
    -nographic -nodefaults -display none </dev/null >/dev/null 2>&1 &
  qemu_pid=$!
  local n
  for _ in $(seq 100); do
    n=$(cat /proc/"$qemu_pid"/task/*/comm 2>/dev/null | grep -c '^CPU [0-9]*/TCG$' || true)
    [[ $n -eq 2 ]] && return 0
    sleep 0.1
  done
  echo "FAIL: QEMU $qemu_pid has no two CPU n/TCG threads"; exit 1
}

stop_qemu() {
  # wait reports the SIGKILL (137): under the callers' set -e that would
  # end the EXIT trap there, and the test with it, after it had passed.
  [[ -n ${qemu_pid:-} ]] && { kill -9 "$qemu_pid" 2>/dev/null; wait "$qemu_pid" 2>/dev/null || true; }
  return 0
}

# expect_line SECONDS PATTERN CMD...: runs CMD, passes when a line of its
# output matches the extended regex PATTERN within SECONDS, then stops it
# and everything it started (its own session: `go run` leaves the program
# it built running when only `go` is killed).
expect_line() {
  local secs=$1 pattern=$2 out
  shift 2
  out=$(mktemp)
  setsid "$@" >"$out" 2>&1 &
  local pid=$!
  for _ in $(seq $((secs * 10))); do
    if grep -Eq "$pattern" "$out"; then
      kill -- -"$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
      cat "$out"; rm -f "$out"; return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -- -"$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  cat "$out"; rm -f "$out"
  echo "FAIL: no line matching '$pattern' within $secs s"
  return 1
}
