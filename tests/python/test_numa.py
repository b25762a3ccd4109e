"""The NUMA engine through Python (capi/include/vmaccel/numa.h): options and
their validation, one engine period on demand, a VM's locality, and
NUMA-placed memory. The engine observes a real in-process VM: this thread as
its vCPU and a vmaccel.NumaBuffer as its guest RAM, on the live host."""
import os
import threading

import pytest

import vmaccel

K = vmaccel.ObjectKind


@pytest.fixture
def live():
    with vmaccel.Manager() as m:
        yield m


@pytest.fixture
def on_node0(live):
    """Keeps this thread on node 0's CPUs (the ones we may use) meanwhile."""
    before = os.sched_getaffinity(0)
    cpus = set(live.topology.object_cpus(K.NUMA_NODE, 0)) & before
    assert cpus, "node 0 has no CPU this process may use"
    os.sched_setaffinity(0, cpus)
    yield
    os.sched_setaffinity(0, before)


def mapped(address):
    """Whether address lies in one of this process's mappings."""
    with open("/proc/self/maps") as f:
        for line in f:
            lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
            if lo <= address < hi:
                return True
    return False


@pytest.mark.parametrize("field, value, words", [
    ("threshold", 1.5, "threshold 1.5"),
    ("threshold", -0.1, "threshold -0.1"),
    ("hysteresis", 2.0, "hysteresis 2"),
    ("sample_error", 0.6, "sample_error 0.6"),
    ("interval_ms", 3600001, "at most one hour"),
    ("fix", 7, "unknown fix 7"),
])
def test_bad_options_raise_invalid_argument(manager, field, value, words):
    with pytest.raises(vmaccel.InvalidArgument) as info:
        manager.configure_numa(**{field: value})
    assert words in info.value.message
    assert isinstance(info.value, ValueError) and info.value.code == -1


def test_good_options_are_accepted(manager):
    manager.configure_numa()  # every default
    manager.configure_numa(vmaccel.NumaOptions(interval_ms=250, threshold=0.9,
                                               fix=vmaccel.NumaFix.MOVE_VCPUS,
                                               dry_run=True))
    manager.configure_numa(threshold=1.0, sample_error=0.5, interval_ms=3600000,
                           fix=vmaccel.NumaFix.MIGRATE_MEMORY)
    manager.configure_numa(migrate_whole=True, override_pins=True, migrate_stop_vcpus=True)
    with pytest.raises(TypeError):
        manager.configure_numa(no_such_option=1)
    with pytest.raises(TypeError):
        manager.configure_numa(vmaccel.NumaOptions(), threshold=0.5)


def test_tick_needs_numa_on(manager):
    with pytest.raises(vmaccel.StateError):
        manager.numa_tick()
    manager.enable_numa(manager.topology.count(K.NUMA_NODE))
    manager.numa_tick()  # no VM: nothing to observe, but a period runs
    manager.disable_numa()
    with pytest.raises(vmaccel.StateError):
        manager.numa_tick()


def test_locality_of_an_in_process_vm(live, on_node0):
    live.enable_numa(live.topology.count(K.NUMA_NODE))
    live.configure_numa(dry_run=True)  # observe and decide; change nothing
    with live.numa_alloc(4 << 20, vmaccel.AllocPolicy.ONNODE, 0) as ram:
        ram.view[:] = b"\x5a" * len(ram)  # every page resident
        with live.register([threading.get_native_id()], name="py-vmm",
                           memory=[ram.region]) as vm:
            with pytest.raises(vmaccel.NotFound) as info:
                vm.locality()  # the engine has not seen it yet
            assert "not observed" in info.value.message
            live.numa_tick()
            loc = vm.locality()
            assert loc.source == vmaccel.LocalitySource.PAGE_PLACEMENT and loc.measured
            assert loc.local_rate == pytest.approx(1.0) and loc.home_node == 0
            assert loc.samples == 1
            assert (loc.vcpu_moves, loc.memory_migrations, loc.pages_migrated,
                    loc.failures) == (0, 0, 0, 0)
            live.numa_tick()
            assert vm.locality().samples == 2

            events = list(live.events(timeout=0.5))
            changed = [e for e in events
                       if e.type == vmaccel.pb.EVENT_TYPE_LOCALITY_CHANGED]
            assert changed and changed[0].vm_id == vm.id
            assert "local rate 1.00" in changed[0].message
            [entry] = [l for l in live.report().locality if l.vm_id == vm.id]
            assert entry.source == "page_placement"
            assert entry.local_rate == pytest.approx(1.0)


def test_a_vm_without_memory_is_observed_but_not_measured(live):
    live.enable_numa(live.topology.count(K.NUMA_NODE))
    with live.register([threading.get_native_id()]) as vm:
        live.numa_tick()
        loc = vm.locality()
        assert loc.source == vmaccel.LocalitySource.NONE and not loc.measured
        assert loc.samples == 1


def test_numa_buffer_memory_and_lifetime(live):
    buf = live.numa_alloc(3 << 20)
    assert len(buf) == buf.size == 3 << 20 and buf.policy == vmaccel.AllocPolicy.LOCAL
    assert buf.region == (buf.address, 3 << 20) and buf.address % 4096 == 0
    view = buf.view
    assert view.readonly is False and view.nbytes == 3 << 20
    assert view[0] == 0 and view[-1] == 0 and bytes(view[1 << 20:(1 << 20) + 8]) == bytes(8)
    view[5:9] = b"numa"
    assert bytes(buf.view[5:9]) == b"numa"
    tail = view[-4:]
    del view
    buf.close()
    assert buf.closed and mapped(buf.address)  # `tail` still holds the memory
    tail[:] = b"live"
    assert bytes(tail) == b"live"
    with pytest.raises(ValueError):
        buf.view
    del tail
    assert not mapped(buf.address)  # the last view went: freed


def test_numa_alloc_policies_and_errors(live):
    nodes = live.topology.count(K.NUMA_NODE)
    with live.numa_alloc(8192, vmaccel.AllocPolicy.INTERLEAVE) as a, \
            live.numa_alloc(8192, vmaccel.AllocPolicy.ONNODE, nodes - 1) as b:
        assert a.view[8191] == 0 and b.view[0] == 0
    with pytest.raises(vmaccel.InvalidArgument):
        live.numa_alloc(0)
    with pytest.raises(vmaccel.InvalidArgument) as info:
        live.numa_alloc(4096, vmaccel.AllocPolicy.ONNODE, nodes)
    assert f"the topology has {nodes} nodes" in info.value.message
