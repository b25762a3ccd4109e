#!/usr/bin/env bash
# vm-accel on libvirt-managed VMs, on the real thing: libvirtd and virtlogd
# (started here when they do not run: machines without systemd), TCG
# domains, and the operator's `virsh vcpupin` on one vCPU. Checks that
#  - `vmaccel pin` leaves the pinned vCPU where the operator put it and
#    places the other on another CPU, through libvirt: `virsh vcpupin`
#    and `virsh vcpuinfo` agree with /proc; `--restore` gives it back;
#  - `--override-pins` moves the pinned vCPU through libvirt too, and
#    `virsh vcpupin` shows it;
#  - `vmaccel run --libvirt URI` does the same for every running domain and
#    attaches one started later; a domain destroyed under it is VM_GONE;
#  - a QEMU without thread names is found through libvirt's monitor;
#  - libvirtd going away: `vmaccel pin` fails saying so, changes nothing,
#    and a running `vmaccel run --libvirt` carries on once it is back.
# usage: libvirt.sh VMACCEL. Exit 77 (skip): not root, or no libvirt/QEMU.
set -u
vmaccel=$1
[[ $(id -u) -eq 0 ]] || { echo "SKIP: libvirt's system daemon needs root"; exit 77; }
for b in libvirtd virtlogd virsh qemu-system-x86_64; do
    command -v "$b" >/dev/null || { echo "SKIP: no $b"; exit 77; }
done
ncpu=$(nproc)
[[ $ncpu -ge 2 ]] || { echo "SKIP: needs 2 CPUs"; exit 77; }
uri=qemu:///system
work=$(mktemp -d)
export VMACCEL_STATE_DIR=$work/state
fail=0 started_libvirtd=0 started_virtlogd=0
doms=()
V() { virsh -q -c "$uri" "$@"; }
check() { if eval "$1"; then echo "ok: $2"; else echo "FAIL: $2"; fail=1; fi; }

cleanup() {
    for d in "${doms[@]}"; do V destroy "$d" >/dev/null 2>&1; done
    [[ -n ${runpid:-} ]] && kill "$runpid" 2>/dev/null
    if [[ $started_libvirtd -eq 1 ]]; then
        kill "$(cat /run/libvirtd.pid 2>/dev/null)" 2>/dev/null
    fi
    if [[ $started_virtlogd -eq 1 ]]; then
        kill "$(cat /run/virtlogd.pid 2>/dev/null)" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# ---- libvirt's daemons, as on a machine without systemd ----
getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
id libvirt-qemu >/dev/null 2>&1 ||
    useradd --system -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
mkdir -p /var/log/libvirt
start_libvirtd() {
    libvirtd -d || return 1
    for _ in $(seq 100); do V list >/dev/null 2>&1 && return 0; sleep 0.1; done
    return 1
}
if ! pgrep -x virtlogd >/dev/null; then virtlogd -d && started_virtlogd=1; fi
if ! V list >/dev/null 2>&1; then
    start_libvirtd || { echo "FAIL: libvirtd did not start"; exit 1; }
    started_libvirtd=1
fi

domain_xml() { # NAME [extra elements]
    cat <<EOF
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$1</name>
  <memory unit='MiB'>64</memory>
  <vcpu placement='static'>2</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <emulator>$(command -v qemu-system-x86_64)</emulator>
    <video><model type='none'/></video>
    <memballoon model='none'/>
  </devices>
  ${2:-}
</domain>
EOF
}
start_domain() { # NAME [extra] -> the QEMU's pid in $started (no subshell:
    domain_xml "$@" > "$work/$1.xml"   # doms must remember it for cleanup)
    started=
    V create "$work/$1.xml" >/dev/null || return 1
    doms+=("$1")
    started=$(cat "/run/libvirt/qemu/$1.pid")
}
# Waits up to 3 minutes for a command to succeed: a loaded machine makes
# libvirt slow to start domains (40 s seen with 2 cores busy).
wait_for() { local i; for i in $(seq 900); do eval "$1" && return 0; sleep 0.2; done; return 1; }
vcpu_tid() { # PID N: the thread of vCPU N (libvirt names them "CPU N/TCG")
    local t
    for t in /proc/$1/task/*; do
        [[ $(cat "$t/comm" 2>/dev/null) == "CPU $2/TCG" ]] && { echo "${t##*/}"; return; }
    done
}
allowed() { awk '/^Cpus_allowed_list:/{print $2}' "/proc/$1/task/$2/status"; }
vcpupin() { V vcpupin "$1" --vcpu "$2" | awk '{print $2}'; }
# virsh vcpuinfo's "CPU Affinity: -y" for vCPU N, as a cpulist.
vcpuinfo() {
    V vcpuinfo "$1" | awk -v n="$2" '$1=="VCPU:"{v=$2} $1=="CPU" && $2=="Affinity:" && v==n {
        s=""; for (i=1;i<=length($3);i++) if (substr($3,i,1)=="y") s=s (s==""?"":",") (i-1); print s}'
}
same_list() { # cpulists equal, however written (0-1 vs 0,1)
    [[ $(python3 -c 'import sys
def cpus(s):
    out = set()
    for part in filter(None, s.split(",")):
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return sorted(out)
print(cpus(sys.argv[1]) == cpus(sys.argv[2]))' "$1" "$2") == True ]]
}
agree() { # DOM PID: virsh vcpuinfo agrees with /proc for both vCPUs
    local n
    for n in 0 1; do
        same_list "$(vcpuinfo "$1" $n)" "$(allowed "$2" "$(vcpu_tid "$2" $n)")" || return 1
    done
}

dom=vmaccel-e2e-$$
start_domain "$dom" || { echo "FAIL: cannot start a TCG domain"; exit 1; }
pid=$started
wait_for '[[ -n $(vcpu_tid "$pid" 1) ]]'
t0=$(vcpu_tid "$pid" 0) t1=$(vcpu_tid "$pid" 1)
check '[[ -n $t0 && -n $t1 ]]' "domain $dom runs with CPU 0/TCG and CPU 1/TCG"
V vcpupin "$dom" 0 1 >/dev/null # the operator's pin
check '[[ $(allowed $pid $t0) == 1 ]]' "virsh vcpupin put vCPU 0 on CPU 1"

# ---- vmaccel pin: the pinned vCPU stays, the other goes elsewhere ----
out=$("$vmaccel" pin --pid "$pid" 2>&1); rc=$?
echo "$out"
check '[[ $rc -eq 0 ]]' "vmaccel pin exits 0"
check 'grep -q "through libvirt (domain $dom)" <<<"$out"' "pin acts through libvirt"
check 'grep -q "left where it is, placed by the operator: libvirt <vcpupin vcpu=.0. cpuset=.1./>" <<<"$out"' \
    "pin says vCPU 0 is left to the operator's <vcpupin>"
check '[[ $(allowed $pid $t0) == 1 ]]' "vCPU 0 still on CPU 1 (/proc)"
check '[[ $(allowed $pid $t1) == 0 ]]' "vCPU 1 placed on CPU 0, the CPU left free (/proc: $(allowed $pid $t1))"
check '[[ $(vcpupin $dom 1) == 0 ]]' "virsh vcpupin shows vCPU 1 on 0 ($(vcpupin $dom 1))"
check 'agree $dom $pid' "virsh vcpuinfo agrees with /proc"
out=$("$vmaccel" pin --pid "$pid" --dry-run 2>&1)
check '! grep -q "placed by the operator: libvirt <vcpupin vcpu=.1." <<<"$out"' \
    "a second vmaccel tells its own pin of vCPU 1 from the operator's"
out=$("$vmaccel" pin --restore --pid "$pid" 2>&1); rc=$?
check '[[ $rc -eq 0 && $(allowed $pid $t1) == 0-$((ncpu-1)) ]]' "--restore gives vCPU 1 its CPUs back"
check 'same_list "$(vcpupin $dom 1)" "0-$((ncpu-1))" && [[ $(vcpupin $dom 0) == 1 ]]' \
    "virsh vcpupin after restore: vCPU 0 on 1 (operator's), vCPU 1 on all"

# ---- --override-pins moves the operator's vCPU, through libvirt ----
out=$("$vmaccel" pin --pid "$pid" --override-pins 2>&1); rc=$?
echo "$out"
check '[[ $rc -eq 0 ]]' "vmaccel pin --override-pins exits 0"
check 'grep -q "moved (--override-pins)" <<<"$out"' "pin says it overrode the pin"
p0=$(allowed "$pid" "$t0") p1=$(allowed "$pid" "$t1")
check '[[ $p0 =~ ^[0-9]+$ && $p1 =~ ^[0-9]+$ && $p0 != $p1 ]]' "both vCPUs on CPUs of their own ($p0, $p1)"
check '[[ $(vcpupin $dom 0) == "$p0" ]]' "virsh vcpupin shows vCPU 0 where vm-accel moved it"
check 'agree $dom $pid' "virsh vcpuinfo agrees with /proc after the override"
"$vmaccel" pin --restore --pid "$pid" >/dev/null 2>&1
check '[[ $(vcpupin $dom 0) == 1 && $(allowed $pid $t0) == 1 ]]' "restore puts the operator's pin back"

# ---- libvirtd away: a clear error, nothing changed ----
if [[ $started_libvirtd -eq 1 ]]; then
    kill "$(cat /run/libvirtd.pid)"; wait_for '! V list >/dev/null 2>&1'
    before=$(allowed "$pid" "$t1")
    out=$("$vmaccel" pin --pid "$pid" --libvirt="$uri" 2>&1); rc=$?
    check '[[ $rc -eq 1 ]] && grep -q "cannot connect to libvirt at $uri" <<<"$out"' \
        "with libvirtd stopped, pin --libvirt fails saying so ($rc)"
    check '[[ $(allowed $pid $t1) == "$before" ]]' "... and changes nothing"
    start_libvirtd || { echo "FAIL: libvirtd did not come back"; exit 1; }
fi

# ---- vmaccel run --libvirt: every domain, new ones, gone ones ----
"$vmaccel" run --libvirt "$uri" --strategy local-first --interval 300 --no-live \
    --events json > "$work/run.log" 2> "$work/run.err" &
runpid=$!
wait_for 'grep -q VCPUS_PINNED "$work/run.log"'
check 'grep -q "\"message\": *\"VM [0-9]* \\\\\"$dom\\\\\".*left to the operator.s pin: vCPU 0 stays on CPU 1" "$work/run.log"' \
    "run --libvirt pins $dom, leaving vCPU 0 to the operator (VCPUS_PINNED)"
check '[[ $(allowed $pid $t0) == 1 && $(allowed $pid $t1) == 0 ]]' "run placed vCPU 1 on CPU 0, vCPU 0 stays"
check 'agree $dom $pid' "virsh vcpuinfo agrees with /proc under vmaccel run"
# A domain whose QEMU has no thread names, started while run watches.
noname=vmaccel-e2e-noname-$$
start_domain "$noname" "<qemu:commandline><qemu:arg value='-name'/><qemu:arg value='guest=$noname,debug-threads=off'/></qemu:commandline>"
pid2=$started
check '[[ -n $pid2 && -z $(vcpu_tid "$pid2" 0) ]]' "$noname runs without thread names"
wait_for 'grep -q "$noname.*pinned" "$work/run.log"'
check 'grep -q "\\\\\"$noname\\\\\": 2 vCPU(s) pinned (through libvirt)" "$work/run.log"' \
    "run --libvirt attached $noname, started later, through libvirt's monitor"
if [[ $started_libvirtd -eq 1 ]]; then
    kill "$(cat /run/libvirtd.pid)"
    wait_for 'grep -q "cannot list libvirt.s domains" "$work/run.err"'; lost=$?
    start_libvirtd
    wait_for 'grep -q "libvirt answers again" "$work/run.err"'; back=$?
    check '[[ $lost -eq 0 && $back -eq 0 ]] && kill -0 $runpid' \
        "run --libvirt says the connection dropped, carries on, and says when it is back"
fi
V destroy "$noname" >/dev/null
wait_for 'grep -q "VM_GONE.*$noname" "$work/run.log"'
check 'grep -q "VM_GONE.*$noname" "$work/run.log"' "a domain destroyed under run is VM_GONE"
kill -INT "$runpid"; wait "$runpid"; rc=$?; runpid=
check '[[ $rc -eq 0 ]]' "run --libvirt stops cleanly ($rc)"
grep -q "Sanitizer\|runtime error" "$work/run.err" && { echo "FAIL: sanitizer report"; cat "$work/run.err"; fail=1; }

[[ $fail -eq 0 ]] && echo "PASSED: libvirt" || { echo "FAILED: libvirt"; cat "$work/run.err"; }
exit $fail
