import threading
import time

import pytest

import vmaccel
from conftest import SYNTHETIC


def test_setup_full_turns_every_component_on(manager):
    assert not manager.is_numa_enabled
    manager.setup_full()
    assert manager.is_numa_enabled and manager.is_smmu_initialized
    assert manager.is_vcpu_affinity_initialized
    assert {c: s.state for c, s in manager.components.items()} == {
        c: vmaccel.ComponentState.ON for c in vmaccel.Component}
    manager.disable_numa()
    assert not manager.is_numa_enabled
    assert manager.component(vmaccel.Component.NUMA).state == vmaccel.ComponentState.OFF


def test_individual_components(manager):
    with pytest.raises(vmaccel.StateError):
        manager.smmu  # no model before init_smmu
    manager.init_smmu()
    manager.init_smmu()  # idempotent
    assert manager.is_smmu_initialized and manager.smmu is not None
    manager.init_vcpu_affinity()
    assert manager.is_vcpu_affinity_initialized
    manager.enable_numa(4)
    assert manager.is_numa_enabled


def test_error_carries_code_and_detailed_message(manager):
    with pytest.raises(vmaccel.InvalidArgument) as info:
        manager.enable_numa(3)  # the host has 4 nodes
    e = info.value
    assert isinstance(e, vmaccel.Error) and isinstance(e, ValueError)
    assert e.code == vmaccel.capi.VMACCEL_EINVAL == -1
    assert e.name == "VMACCEL_EINVAL"
    assert "4 NUMA nodes" in e.message and "enable_numa(3)" in str(e)


def test_load_errors_map_to_subclasses():
    with pytest.raises(vmaccel.NotFound) as info:
        vmaccel.Manager(xml="/nonexistent/topology.xml")
    assert isinstance(info.value, LookupError)
    with pytest.raises(vmaccel.ParseError):
        vmaccel.Manager(synthetic="pack:banana")
    with pytest.raises(ValueError):
        vmaccel.Manager(synthetic=SYNTHETIC, xml="/x.xml")


def test_every_code_has_its_class():
    for code in range(-1, -15, -1):
        cls = vmaccel.error_class(code)
        assert cls is not vmaccel.Error and cls.code == code
        assert vmaccel.strerror(code).startswith(cls.name)


def test_closed_manager_and_borrowed_topology(manager):
    topo = manager.topology
    manager.close()
    manager.close()  # idempotent
    assert manager.closed
    with pytest.raises(vmaccel.StateError):
        manager.setup_full()
    with pytest.raises(vmaccel.StateError):
        topo.count(vmaccel.ObjectKind.PU)


def test_probes_under_missing_roots(manager):
    kvm = manager.hypervisor(vmaccel.Hypervisor.KVM)
    assert kvm.status == vmaccel.HvStatus.UNAVAILABLE and "kvm" in kvm.reason
    assert kvm.api_version == 0  # a plain int member, not an error code
    io = manager.iommu
    assert not io.present and io.kind == vmaccel.IommuKind.NONE and io.reason


def test_standalone_smmu():
    with vmaccel.Smmu(iotlb_entries=256) as s:
        s.mmio_read(0)  # IDR0: any value, the call must work
    with pytest.raises(vmaccel.StateError):
        s.mmio_read(0)


def test_managers_smmu_is_borrowed(manager):
    manager.init_smmu()
    s = manager.smmu
    s.mmio_read(0)
    manager.close()
    with pytest.raises(vmaccel.StateError):
        s.mmio_read(0)


def test_gil_is_released_during_c_calls():
    """hwloc builds a big synthetic topology in ~0.5 s inside one C call;
    with the GIL released (SWIG -threads) this thread keeps running."""
    big = "pack:16 numa:4 core:32 pu:8"
    t0 = time.perf_counter()
    vmaccel.Manager(synthetic=big).close()
    call_s = time.perf_counter() - t0
    done = threading.Event()
    worker = threading.Thread(target=lambda: (vmaccel.Manager(synthetic=big).close(), done.set()))
    last, max_gap = time.perf_counter(), 0.0
    worker.start()
    while not done.is_set():
        now = time.perf_counter()
        max_gap, last = max(max_gap, now - last), now
    worker.join()
    assert max_gap < call_s / 2, (max_gap, call_s)


def test_close_waits_for_calls_in_flight():
    """Threads keep calling while another closes: every call either works or
    raises StateError, and none touches a freed manager."""
    m = vmaccel.Manager(synthetic=SYNTHETIC)
    topo = m.topology
    errors = []
    start = threading.Barrier(5)

    def worker():
        start.wait()
        for _ in range(200):
            try:
                m.report_bytes()
                topo.object_cpus(vmaccel.ObjectKind.NUMA_NODE, 1)
            except vmaccel.StateError:
                return
            except Exception as e:  # anything else is a bug
                errors.append(e)
                return

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    start.wait()
    time.sleep(0.01)
    m.close()
    for t in threads:
        t.join()
    assert not errors and m.closed
