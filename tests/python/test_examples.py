"""The examples run against the installed package: the Python ones under
examples/python (against real QEMU VMs where they watch a VM), the README's
Python example, and the C host examples/c/rebalance_watch.c (built by CTest,
path in VMACCEL_EXAMPLE_C)."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples/python"


def test_host_report_example():
    out = subprocess.run([sys.executable, str(EXAMPLES / "host_report.py"),
                          "--synthetic", "pack:2 numa:2 core:4 pu:2", "--json"],
                         check=True, capture_output=True, text=True).stdout
    lines = out.splitlines()
    assert lines[0] == "32 CPUs in 4 NUMA nodes"
    assert any(l.split()[:2] == ["numa", "on"] for l in lines)
    report = json.loads(out[out.index("{"):])
    assert report["manager"]["numaEnabled"] is True


# Sleeping threads named like QEMU's vCPU threads.
FAKE_VMM = str(ROOT / "tests" / "fixtures" / "fake_vmm.py")


def test_pin_and_watch_example():
    vmm = subprocess.Popen([sys.executable, FAKE_VMM], stdout=subprocess.PIPE, text=True)
    try:
        assert vmm.stdout.readline().strip() == "ready"
        out = subprocess.run([sys.executable, str(EXAMPLES / "pin_and_watch.py"),
                              str(vmm.pid), "--seconds", "1"],
                             check=True, capture_output=True, text=True).stdout
    finally:
        vmm.kill()
        vmm.wait()
    lines = out.splitlines()
    assert lines[0].startswith("attached ") and "qemu, 2 vCPUs" in lines[0]
    assert lines[1].startswith("vCPU 0 (tid ") and " -> CPU " in lines[1]
    assert lines[2].startswith("vCPU 1 (tid ") and " -> CPU " in lines[2]
    assert any("EVENT_TYPE_VM_ATTACHED" in l for l in lines)


@pytest.fixture
def qemu():
    """Starts QEMU (TCG, 2 vCPUs, 64 MiB, no disk) named "py-guest" and
    waits until its vCPU threads exist; yields the Popen."""
    if not shutil.which("qemu-system-x86_64"):
        pytest.skip("qemu-system-x86_64 not installed")
    q = subprocess.Popen(["qemu-system-x86_64", "-accel", "tcg", "-name",
                          "py-guest,debug-threads=on", "-m", "64", "-smp", "2",
                          "-nographic", "-nodefaults", "-display", "none"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if len(vcpu_tids(q.pid)) == 2:
                break
            time.sleep(0.05)
        else:
            pytest.fail("QEMU did not start its 2 vCPU threads")
        yield q
    finally:
        q.kill()
        q.wait()


def vcpu_tids(pid):
    tids = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            if re.fullmatch(r"CPU \d+/TCG", (task / "comm").read_text().strip()):
                tids.append(int(task.name))
        except OSError:
            pass
    return sorted(tids)


def allowed(tid):
    return os.sched_getaffinity(tid)


def test_pin_and_watch_pins_a_qemu_vm_and_gives_it_back(qemu):
    tids = vcpu_tids(qemu.pid)
    before = {t: allowed(t) for t in tids}
    ex = subprocess.Popen([sys.executable, "-u", str(EXAMPLES / "pin_and_watch.py"),
                           str(qemu.pid), "--seconds", "2"],
                          stdout=subprocess.PIPE, text=True)
    try:
        head = [ex.stdout.readline() for _ in range(3)]
        assert head[0].startswith(f"attached py-guest (pid {qemu.pid}, qemu, 2 vCPUs, 64 MiB)")
        planned = {}
        for line in head[1:]:  # "vCPU 0 (tid 123) -> CPU 1, node 0"
            m = re.match(r"vCPU (\d) \(tid (\d+)\) -> CPU (\d+), node (\d+)", line)
            assert m, line
            planned[int(m[2])] = int(m[3])
        assert sorted(planned) == tids
        for tid, cpu in planned.items():  # pinned while it watches
            assert allowed(tid) == {cpu}
        rest = ex.stdout.read()
        assert ex.wait(timeout=30) == 0
    finally:
        ex.kill()
    assert re.search(r"event \d+: EVENT_TYPE_VM_ATTACHED vm 1: VM 1 \"py-guest\"", rest)
    assert {t: allowed(t) for t in tids} == before  # restored on the way out


def readme_block(section, lang):
    text = (ROOT / "README.md").read_text()
    m = re.search(rf"### {section}\n.*?```{lang}\n(.*?)```", text, re.S)
    assert m, f"README.md has no {lang} block under ### {section}"
    return m.group(1)


def test_readme_python_example_is_watch_py():
    """What the README shows is what the next test runs, byte for byte."""
    assert readme_block("From Python", "python") == (EXAMPLES / "watch.py").read_text()


def test_readme_python_example_watches_a_qemu_vm(qemu):
    ex = subprocess.Popen([sys.executable, "-u", str(EXAMPLES / "watch.py"), str(qemu.pid)],
                          stdout=subprocess.PIPE, text=True)
    try:
        line = ex.stdout.readline()
    finally:
        ex.send_signal(signal.SIGINT)
        try:
            ex.wait(timeout=10)
        except subprocess.TimeoutExpired:
            ex.kill()
    assert line == (f'EVENT_TYPE_VM_ATTACHED VM 1 "py-guest" (pid {qemu.pid}, '
                    f'2 vCPUs) attached\n')


def test_c_rebalance_watch_prints_events_from_its_callback(qemu):
    exe = os.environ.get("VMACCEL_EXAMPLE_C")
    if not exe:
        pytest.skip("VMACCEL_EXAMPLE_C (examples/c/rebalance_watch) not set; run through ctest")
    out = subprocess.run([exe, "--interval", "100", "--seconds", "1.5", str(qemu.pid)],
                         check=True, capture_output=True, text=True, timeout=30).stdout
    lines = out.splitlines()
    assert lines[0] == f'attached vm 1 "py-guest" (pid {qemu.pid}, 2 vCPUs, 64 MiB)'
    nodes = len(list(Path("/sys/devices/system/node").glob("node[0-9]*")))
    if nodes == 1:
        assert lines[1] == "1 NUMA node: watching locality only"
    # The first engine period measures the VM; the event comes through the
    # C callback with the rate decoded.
    assert re.search(r"^\[ *\d+\.\d{3}s\] LOCALITY_CHANGED vm 1 \(rate \d\.\d\d\): "
                     r"local rate \d\.\d\d \(page placement\)$", out, re.M), out
    assert re.search(r'^vm 1 "py-guest": local rate \d\.\d\d \(page placement\), '
                     r"\d+ vCPU move\(s\), \d+ memory migration\(s\), 0 failure\(s\)$", out, re.M), out
    assert lines[-1].startswith("rebalances: ") and lines[-1].endswith(" 0 failed")
    if nodes == 1:  # one node: nothing to move
        assert "local rate 1.00 (page placement), 0 vCPU move(s), 0 memory" in out
        assert lines[-1] == "rebalances: 0 planned, 0 applied, 0 failed"
