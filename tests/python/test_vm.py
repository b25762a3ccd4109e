"""VMs through Python: registering this process's threads, attaching a
fake VMM by pid (threads named like QEMU's), pinning, events."""
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import vmaccel

# Sleeping threads named like QEMU's vCPU threads.
FAKE_VMM = str(Path(__file__).resolve().parents[1] / "fixtures" / "fake_vmm.py")


@pytest.fixture
def live():
    with vmaccel.Manager() as m:
        yield m


@pytest.fixture
def fake_vmm():
    p = subprocess.Popen([sys.executable, FAKE_VMM], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    yield p
    p.kill()
    p.wait()


def test_register_emits_vm_attached(live):
    tid = threading.get_native_id()
    with live.register([tid], name="in-process") as vm:
        info = vm.info
        assert info.in_process and info.pid == os.getpid() and info.vcpu_count == 1
        assert info.name == "in-process" and info.vmm == vmaccel.VmmKind.EXPLICIT
        assert vm.vcpus[0].tid == tid and not vm.vcpus[0].gone
        assert set(vm.vcpu_allowed_cpus(0)) == os.sched_getaffinity(0)
        ev = live.next_event(2.0)
        assert ev is not None and ev.type == vmaccel.pb.EVENT_TYPE_VM_ATTACHED
        assert ev.vm_id == info.id and ev.sequence >= 1


def test_attach_finds_qemu_named_vcpu_threads(live, fake_vmm):
    with live.attach(fake_vmm.pid) as vm:
        info = vm.info
        assert info.pid == fake_vmm.pid and info.vcpu_count == 2 and not info.in_process
        assert info.vmm == vmaccel.VmmKind.QEMU
        assert [v.thread_name for v in vm.vcpus] == ["CPU 0/TCG", "CPU 1/TCG"]


def test_pin_and_restore_a_real_thread(live, fake_vmm):
    before = os.sched_getaffinity(fake_vmm.pid)
    with live.attach(fake_vmm.pid) as vm:
        vm.pin(vmaccel.Strategy.LOCAL_FIRST)
        for v in vm.vcpus:
            assert v.pinned and v.result == 0
            assert os.sched_getaffinity(v.tid) == {v.planned_cpu}
        vm.restore_affinity()
        for v in vm.vcpus:
            assert os.sched_getaffinity(v.tid) == before


def test_capture_saves_originals_before_pin_and_they_restore(live, fake_vmm):
    before = os.sched_getaffinity(fake_vmm.pid)
    with live.attach(fake_vmm.pid) as vm:
        state = vm.capture_affinity_state(vmaccel.Strategy.LOCAL_FIRST, vcpu_count=1)
        assert [v["tid"] for v in state["vcpus"]] == [vm.vcpus[0].tid]
        assert state["vcpus"][0]["pinned"] and not vm.vcpus[0].pinned
        assert os.sched_getaffinity(vm.vcpus[0].tid) == before  # nothing changed yet
        vm.pin(vmaccel.Strategy.LOCAL_FIRST, vcpu_count=1)
        assert os.sched_getaffinity(vm.vcpus[0].tid) == {vm.vcpus[0].planned_cpu}
    with vmaccel.Manager() as other, other.attach(fake_vmm.pid) as vm:
        vm.load_affinity_state(state)  # as another process would, from the saved copy
        vm.restore_affinity()
        assert os.sched_getaffinity(vm.vcpus[0].tid) == before


def test_dry_run_changes_nothing(live, fake_vmm):
    with live.attach(fake_vmm.pid) as vm:
        before = [os.sched_getaffinity(v.tid) for v in vm.vcpus]
        vm.pin(dry_run=True)
        assert all(v.planned_cpu is not None and not v.pinned for v in vm.vcpus)
        assert [os.sched_getaffinity(v.tid) for v in vm.vcpus] == before


def test_vm_gone_after_the_process_exits(live, fake_vmm):
    vm = live.attach(fake_vmm.pid)
    fake_vmm.kill()
    fake_vmm.wait()
    with pytest.raises(vmaccel.Gone):
        vm.refresh()
    with pytest.raises(vmaccel.Gone):
        vm.pin()


def test_attach_errors(live):
    with pytest.raises(vmaccel.Gone):
        live.attach(2 ** 22 + 12345)  # beyond pid_max's default
    with pytest.raises(vmaccel.NotFound):
        live.attach(os.getpid())  # no thread named like a vCPU


def test_events_iterator_and_asyncio(live):
    import asyncio
    tid = threading.get_native_id()
    a = live.register([tid])
    got = next(live.events(timeout=2.0))
    assert got.type == vmaccel.pb.EVENT_TYPE_VM_ATTACHED

    async def main():
        async def first():
            async for ev in live.aevents():
                return ev
        task = asyncio.create_task(first())
        await asyncio.sleep(0.05)
        b = live.register([tid])  # emitted while the task waits on the fd
        ev = await asyncio.wait_for(task, 5)
        assert ev.type == vmaccel.pb.EVENT_TYPE_VM_ATTACHED and ev.vm_id == b.id
        b.detach()

    asyncio.run(main())
    a.detach()


@pytest.fixture
def qemu_two_guest_nodes():
    """A real QEMU (TCG, paused) with two guest NUMA nodes of different
    sizes, each backed by its own memory backend."""
    import shutil
    if not shutil.which("qemu-system-x86_64"):
        pytest.skip("qemu-system-x86_64 not installed")
    q = subprocess.Popen(
        ["qemu-system-x86_64", "-accel", "tcg", "-name", "py-cells,debug-threads=on",
         "-m", "320M", "-smp", "4", "-display", "none", "-nodefaults", "-S",
         "-object", "memory-backend-ram,id=m0,size=128M",
         "-object", "memory-backend-ram,id=m1,size=192M",
         "-numa", "node,nodeid=0,cpus=0-1,memdev=m0",
         "-numa", "node,nodeid=1,cpus=2-3,memdev=m1"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    for _ in range(100):
        names = []
        for t in Path(f"/proc/{q.pid}/task").glob("*"):
            try:
                names.append((t / "comm").read_text().strip())
            except OSError:
                pass
        if sum(n.startswith("CPU ") for n in names) == 4:
            break
        time.sleep(0.05)
    yield q
    q.kill()
    q.wait()


def _maps(pid):
    out = {}
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
        out.setdefault(hi - lo, []).append(lo)
    return out


def test_a_qemus_guest_numa_nodes_are_read_at_attach(live, qemu_two_guest_nodes):
    with live.attach(qemu_two_guest_nodes.pid) as vm:
        assert vm.numa_cells() == (2, "QEMU -numa")
        regions = vm.memory_regions
        assert sorted(r.length for r in regions) == [128 << 20, 192 << 20]
        maps = _maps(qemu_two_guest_nodes.pid)
        for r in regions:
            assert r.start in maps[r.length]  # QEMU's own mapping of that backend
        report = live.report()
        (node0, node1) = [v for v in report.vms if v.pid == qemu_two_guest_nodes.pid][0].guest_nodes
        assert list(node0.vcpus) == [0, 1] and list(node1.vcpus) == [2, 3]
        assert node0.memory[0].length == 128 << 20 and node1.memory[0].length == 192 << 20


def test_set_numa_cells_checks_what_it_is_given(live):
    tid = threading.get_native_id()
    with live.register([tid]) as vm:
        vm.set_numa_cells([([0], [(1 << 30, 1 << 20)])])
        assert vm.numa_cells() == (1, "API")
        with pytest.raises(vmaccel.InvalidArgument):
            vm.set_numa_cells([([1], [(1 << 30, 1 << 20)])])    # no vCPU 1
        with pytest.raises(vmaccel.InvalidArgument):
            vm.set_numa_cells([([0], [(1, 4096)])])             # unaligned
        vm.set_numa_cells([])
        assert vm.numa_cells() == (0, "")


# A QEMU-like process whose vCPU threads carry no names, with a QMP socket
# that lists them (query-cpus-fast) as QEMU does.
FAKE_QMP_VMM = r"""
import json, os, socket, sys, threading, time
tids = []
ready = threading.Semaphore(0)
def vcpu():
    tids.append(threading.get_native_id()); ready.release(); time.sleep(600)
for i in range(2):
    threading.Thread(target=vcpu, daemon=True).start()
for i in range(2):
    ready.acquire()
path = sys.argv[1]
srv = socket.socket(socket.AF_UNIX); srv.bind(path); srv.listen(4)
print("ready", flush=True)
while True:
    c, _ = srv.accept(); f = c.makefile("rw")
    f.write(json.dumps({"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 0}},
                                "capabilities": []}}) + "\r\n"); f.flush()
    for line in f:
        req = json.loads(line); cmd = req["execute"]
        ret = {"qmp_capabilities": {},
               "query-cpus-fast": [{"cpu-index": i, "thread-id": t, "props": {"node-id": 0}}
                                   for i, t in enumerate(tids)],
               "query-memdev": []}.get(cmd)
        out = ({"return": ret} if ret is not None else
               {"error": {"class": "CommandNotFound", "desc": cmd}})
        out["id"] = req.get("id")
        f.write(json.dumps(out) + "\r\n"); f.flush()
    c.close()
"""


def test_attach_through_qmp_when_threads_have_no_names(live, tmp_path):
    sock = str(tmp_path / "qmp.sock")
    p = subprocess.Popen([sys.executable, "-c", FAKE_QMP_VMM, sock], stdout=subprocess.PIPE,
                         text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        with pytest.raises(vmaccel.NotFound, match="no vCPU thread"):
            live.attach(p.pid)
        with live.attach_qmp(sock) as vm:
            info = vm.info
            assert info.pid == p.pid and info.vcpu_count == 2
            assert info.discovery == vmaccel.VcpuDiscovery.QMP
            assert info.control == vmaccel.VmControl.OS
            assert all(vm.vcpu_limits(i).guest_node == 0 for i in range(2))
        with live.attach(p.pid, qmp_socket=sock) as vm:
            assert vm.info.discovery == vmaccel.VcpuDiscovery.QMP
    finally:
        p.kill()
        p.wait()


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs 2 CPUs")
def test_a_taskset_vcpu_is_left_to_the_operator(live, fake_vmm):
    with live.attach(fake_vmm.pid) as vm:
        t1 = vm.vcpus[1].tid
        cpu = min(os.sched_getaffinity(t1))
        os.sched_setaffinity(t1, {cpu})  # the operator's taskset -p -c
        vm.pin(vmaccel.Strategy.LOAD_BALANCED)
        lim = vm.vcpu_limits(1)
        assert lim.operator_pinned and lim.kept
        assert lim.pin_origin == vmaccel.Origin.AFFINITY and "taskset" in lim.pin_source
        assert os.sched_getaffinity(t1) == {cpu}
        assert os.sched_getaffinity(vm.vcpus[0].tid) != {cpu}  # its CPU is taken
        assert vm.vcpu_limits(0).cpus_source  # where the limit comes from
        vm.pin(vmaccel.Strategy.LOAD_BALANCED, override_pins=True)
        assert vm.vcpu_limits(1).overrode and not vm.vcpu_limits(1).kept
        vm.restore_affinity()
        assert os.sched_getaffinity(t1) == {cpu}


def test_numa_options_take_override_pins(live):
    live.configure_numa(override_pins=True)
    live.configure_numa(vmaccel.NumaOptions(override_pins=False, interval_ms=500))


def test_libvirt_failures_are_errors():
    # Without libvirt in the build: NotSupported; with it, a URI nothing
    # serves is a connection failure. Never a list.
    with pytest.raises((vmaccel.NotSupported, vmaccel.IOFailure)):
        vmaccel.libvirt_domains("qemu+unix:///system?socket=/nonexistent/sock")


# libvirt and libxml2 are loaded at the first libvirt call, not with
# libvmaccel (runtime/vmm/libvirt/load.c): a program that never uses
# libvirt never loads its fifty-odd libraries. Run in a fresh interpreter,
# whose /proc/self/maps shows what is loaded.
LIBVIRT_PROBE = """
import sys, vmaccel
def loaded():
    with open("/proc/self/maps") as f:
        return "/libvirt.so" in f.read()
with vmaccel.Manager() as m:
    assert m.topology.pus
print("before", loaded())
try:
    print("domains", vmaccel.libvirt_domains("test:///default"))
except vmaccel.NotSupported as e:
    print("notsupported", e)
print("after", loaded())
"""


def probe_libvirt(env=None):
    out = subprocess.run([sys.executable, "-c", LIBVIRT_PROBE], capture_output=True,
                         text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


def test_libvirt_is_loaded_at_its_first_use_only():
    lines = probe_libvirt()
    assert lines[0] == "before False"
    if lines[1].startswith("notsupported") and "built without libvirt" in lines[1]:
        pytest.skip(lines[1])
    # libvirt's in-process test driver: one running domain, no daemon.
    assert lines[1].startswith("domains ['"), lines
    assert lines[2] == "after True"


def test_libvirt_missing_at_run_time_is_not_supported(tmp_path):
    # A libvirt.so.0 without libvirt's functions, found first through
    # LD_LIBRARY_PATH: what a host with a broken or foreign libvirt gives.
    src = tmp_path / "empty.c"
    src.write_text("int vmaccel_not_libvirt;\n")
    try:
        subprocess.run(["cc", "-shared", "-fPIC", "-Wl,-soname,libvirt.so.0", "-o",
                        str(tmp_path / "libvirt.so.0"), str(src)], check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        pytest.skip(f"no C compiler to make a stand-in libvirt.so.0: {e}")
    env = dict(os.environ, LD_LIBRARY_PATH=str(tmp_path))
    lines = probe_libvirt(env)
    if "built without libvirt" in lines[1]:
        pytest.skip(lines[1])
    assert lines[1].startswith("notsupported"), lines
    assert "libvirt.so.0 has no virConnectClose" in lines[1]
    assert "install libvirt0" in lines[1]
