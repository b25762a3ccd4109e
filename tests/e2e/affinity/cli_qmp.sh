#!/usr/bin/env bash
# A QEMU started without -name ...,debug-threads=on (no thread names, as
# many scripts start it) and with a QMP socket: `vmaccel pin --pid` alone
# cannot tell its vCPU threads and says how to proceed; `--qmp SOCKET`
# finds them through query-cpus-fast (the same thread ids QEMU reports),
# pins each, and `--restore` gives them back. A socket that is not QEMU's
# is refused and nothing changes. `vmaccel run --qmp` attaches it too.
# Exit 77: no QEMU.
set -u
vmaccel=$1
qemu=$(command -v qemu-system-x86_64) || { echo "SKIP: no qemu-system-x86_64"; exit 77; }
work=$(mktemp -d)
export VMACCEL_STATE_DIR=$work/state
sock=$work/qmp.sock
fail=0
"$qemu" -accel tcg -smp 2 -m 128 -display none -S -nodefaults -no-user-config \
    -object memory-backend-ram,id=m0,size=64M -object memory-backend-ram,id=m1,size=64M \
    -numa node,nodeid=0,cpus=0,memdev=m0 -numa node,nodeid=1,cpus=1,memdev=m1 \
    -qmp "unix:$sock,server=on,wait=off" &
pid=$!
trap 'kill -9 $pid $fake 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
check() { if eval "$1"; then echo "ok: $2"; else echo "FAIL: $2"; fail=1; fi; }
allowed() { awk '/^Cpus_allowed_list:/{print $2}' "/proc/$pid/task/$1/status"; }
for _ in $(seq 100); do [[ -S $sock ]] && break; sleep 0.1; done

# What QEMU itself says its vCPU threads are (an independent QMP client).
qmp_tids() {
    python3 - "$sock" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()
for cmd in ("qmp_capabilities", "query-cpus-fast"):
    f.write(json.dumps({"execute": cmd}) + "\n"); f.flush()
    while True:
        m = json.loads(f.readline())
        if "return" in m: break
print(" ".join(str(c["thread-id"]) for c in sorted(m["return"], key=lambda c: c["cpu-index"])))
EOF
}
read -r t0 t1 < <(qmp_tids)
check '[[ -n ${t0:-} && -n ${t1:-} ]]' "QMP lists 2 vCPU threads ($t0 $t1)"
check '[[ $(cat /proc/$pid/task/$t0/comm) == qemu-system-x86 ]]' "they carry no names"

out=$("$vmaccel" pin --pid "$pid" 2>&1); rc=$?
check '[[ $rc -eq 1 ]] && grep -q "give its QMP socket (--qmp)" <<<"$out"' \
    "pin --pid alone fails and points to --qmp ($rc)"

before0=$(allowed "$t0") before1=$(allowed "$t1")
out=$("$vmaccel" pin --qmp "$sock" --strategy load-balanced 2>&1); rc=$?
echo "$out"
check '[[ $rc -eq 0 ]]' "pin --qmp exits 0"
for t in $t0 $t1; do
    cpu=$(awk -v t="$t" '$1=="vCPU" && $4==t {for(i=1;i<=NF;i++) if($i=="CPU" && $(i-1)=="->") print $(i+1)}' <<<"$out")
    check '[[ -n "$cpu" && "$(allowed $t)" == "$cpu" ]]' "QMP's thread $t pinned where printed ($cpu)"
done
check 'grep -q "guest NUMA node 1" <<<"$out"' "the guest NUMA node of vCPU 1 comes from QMP"
out=$("$vmaccel" pin --qmp "$sock" --strategy local-first 2>&1); rc=$?
check '[[ $rc -eq 0 ]] && ! grep -q "by the operator" <<<"$out"' \
    "a second vmaccel pin takes the first one's pins as vm-accel's (saved state)"
out=$("$vmaccel" pin --restore --qmp "$sock" 2>&1); rc=$?
check '[[ $rc -eq 0 && $(allowed $t0) == "$before0" && $(allowed $t1) == "$before1" ]]' \
    "--restore gives the original affinity back"

# The operator's taskset on one vCPU: left alone, its CPU counted as taken.
if [[ $(nproc) -ge 2 ]]; then
    taskset -p -c 1 "$t1" >/dev/null
    out=$("$vmaccel" pin --qmp "$sock" 2>&1); rc=$?
    check '[[ $rc -eq 0 && $(allowed $t1) == 1 && $(allowed $t0) == 0 ]]' \
        "a taskset vCPU stays on CPU 1, the other goes to CPU 0 ($(allowed $t0))"
    check 'grep -q "left where it is, placed by the operator: affinity 1 (taskset" <<<"$out"' \
        "pin says the taskset vCPU was left to the operator"
    "$vmaccel" pin --restore --qmp "$sock" >/dev/null 2>&1
    check '[[ $(allowed $t1) == 1 && $(allowed $t0) == "$before0" ]]' "restore leaves the taskset alone"
    taskset -p -c "$before1" "$t1" >/dev/null
fi

# --pid and --qmp together must name the same process.
out=$("$vmaccel" pin --pid $$ --qmp "$sock" 2>&1); rc=$?
check '[[ $rc -eq 1 ]] && grep -q "is served by process $pid, not by $$" <<<"$out"' \
    "a socket of another process is refused"

# A socket that is not QEMU's: refused, nothing changed.
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(4)
while True:
    c, _ = s.accept(); c.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n"); time.sleep(0.2); c.close()
' "$work/fake.sock" &
fake=$!
for _ in $(seq 50); do [[ -S $work/fake.sock ]] && break; sleep 0.1; done
out=$("$vmaccel" pin --pid "$pid" --qmp "$work/fake.sock" 2>&1); rc=$?
check '[[ $rc -eq 1 ]] && grep -q "did not greet like QEMU" <<<"$out"' "a socket that is not QEMU's is refused ($rc)"
check '[[ $(allowed $t0) == "$before0" ]]' "... and nothing changed"

out=$("$vmaccel" run --qmp "$sock" --strategy local-first --no-live --events text --duration 2 2>&1); rc=$?
check '[[ $rc -eq 0 ]] && grep -q "VCPUS_PINNED.*2 vCPU(s) pinned" <<<"$out"' "run --qmp attaches and pins it"
[[ $fail -eq 0 ]] && echo "PASSED: cli_qmp" || echo "FAILED: cli_qmp"
exit $fail
