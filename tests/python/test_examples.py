"""The Python examples under examples/python run against the installed package."""
import json
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples/python"


def test_host_report_example():
    out = subprocess.run([sys.executable, str(EXAMPLES / "host_report.py"),
                          "--synthetic", "pack:2 numa:2 core:4 pu:2", "--json"],
                         check=True, capture_output=True, text=True).stdout
    lines = out.splitlines()
    assert lines[0] == "32 CPUs in 4 NUMA nodes"
    assert any(l.split()[:2] == ["numa", "on"] for l in lines)
    report = json.loads(out[out.index("{"):])
    assert report["manager"]["numaEnabled"] is True


FAKE_VMM = r"""
import threading, time
def vcpu(i, ready):
    with open(f"/proc/self/task/{threading.get_native_id()}/comm", "w") as f:
        f.write(f"CPU {i}/TCG")
    ready.release()
    time.sleep(600)
ready = threading.Semaphore(0)
for i in range(2):
    threading.Thread(target=vcpu, args=(i, ready), daemon=True).start()
for i in range(2):
    ready.acquire()
print("ready", flush=True)
time.sleep(600)
"""


def test_pin_and_watch_example():
    vmm = subprocess.Popen([sys.executable, "-c", FAKE_VMM], stdout=subprocess.PIPE, text=True)
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
