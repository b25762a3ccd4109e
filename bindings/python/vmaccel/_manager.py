"""vmaccel.Manager: the acceleration manager (one per process and host)."""
from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from typing import Dict, Optional

from . import capi
from ._enums import Component, ComponentState, Format, HvStatus, Hypervisor, IommuKind
from ._errors import StateError
from ._events import EventsMixin
from ._numa import NumaMixin
from ._vm import VmsMixin
from ._smmu import Smmu
from ._topology import Topology, _topology_options


@dataclass(frozen=True)
class ComponentStatus:
    state: ComponentState
    reason: str


@dataclass(frozen=True)
class HypervisorInfo:
    kind: Hypervisor
    status: HvStatus
    api_version: int
    max_vcpus: int
    recommended_vcpus: int
    reason: str


@dataclass(frozen=True)
class IommuInfo:
    present: bool
    kind: IommuKind
    units: int
    groups: int
    dt_smmuv3_nodes: int
    reason: str


class Manager(VmsMixin, EventsMixin, NumaMixin):
    """Owns a ``vmaccel_manager``: use it as a context manager, or call
    ``close()``. Methods may be called from any thread (C calls release the
    GIL); ``close()`` waits for calls in flight on other threads.

    With no arguments the manager works on the live host. ``synthetic`` or
    ``xml`` load that topology instead; ``allowed_cpus`` plays a cpuset; the
    ``*_root`` arguments point the probes at fixture trees.
    """

    def __init__(self, *, synthetic: Optional[str] = None, xml: Optional[str] = None,
                 allowed_cpus: Optional[str] = None, sysfs_root: Optional[str] = None,
                 devfs_root: Optional[str] = None,
                 devicetree_root: Optional[str] = None) -> None:
        opts = capi.vmaccel_manager_options()
        topo = None
        if synthetic is not None or xml is not None or allowed_cpus is not None:
            topo = _topology_options(synthetic, xml, allowed_cpus)
            opts.topology = topo  # topo stays referenced until the call returns
        if sysfs_root is not None:
            opts.sysfs_root = str(sysfs_root)
        if devfs_root is not None:
            opts.devfs_root = str(devfs_root)
        if devicetree_root is not None:
            opts.devicetree_root = str(devicetree_root)
        # A plain Lock guards the in-flight count (entering a Condition costs
        # ~1 us in Python); the Condition on the same lock is only for close().
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._busy = 0  # calls in flight; close() waits for them
        self._h = capi.vmaccel_manager_new(opts)
        del topo

    # ---- lifecycle ----
    @property
    def closed(self) -> bool:
        return self._h is None

    def close(self) -> None:
        """Frees the manager and everything it owns, after the calls in
        flight on other threads have returned. Idempotent."""
        with self._idle:
            h, self._h = self._h, None
            while self._busy:
                self._idle.wait()
        if h is not None:
            capi.vmaccel_manager_free(h)

    def __enter__(self) -> "Manager":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    @contextlib.contextmanager
    def _use(self):
        """Yields the handle, keeping close() from freeing it meanwhile."""
        with self._lock:
            if self._h is None:
                raise StateError("the manager is closed")
            self._busy += 1
            h = self._h
        try:
            yield h
        finally:
            with self._lock:
                self._busy -= 1
                if not self._busy and self._h is None:
                    self._idle.notify_all()

    def _call(self, fn, *args):
        """fn(handle, *args) under the guard (the hot path, so no
        contextmanager: it would cost several microseconds per call)."""
        lock = self._lock
        with lock:
            h = self._h
            if h is None:
                raise StateError("the manager is closed")
            self._busy += 1
        try:
            return fn(h, *args)
        finally:
            with lock:
                self._busy -= 1
                if not self._busy and self._h is None:
                    self._idle.notify_all()

    # ---- components ----
    def setup_full(self) -> None:
        """Initialises every component the host supports; see components."""
        self._call(capi.vmaccel_manager_setup_full)

    def init_smmu(self) -> None:
        self._call(capi.vmaccel_manager_init_smmu)

    def init_vcpu_affinity(self) -> None:
        self._call(capi.vmaccel_manager_init_vcpu_affinity)

    def enable_numa(self, numa_nodes: int) -> None:
        """``numa_nodes`` must equal the topology's node count."""
        self._call(capi.vmaccel_manager_enable_numa, numa_nodes)

    def disable_numa(self) -> None:
        self._call(capi.vmaccel_manager_disable_numa)

    def component(self, component: Component) -> ComponentStatus:
        state, reason = self._call(capi.vmaccel_manager_component, component)
        return ComponentStatus(ComponentState(state), reason)

    @property
    def components(self) -> Dict[Component, ComponentStatus]:
        return {c: self.component(c) for c in Component}

    @property
    def is_numa_enabled(self) -> bool:
        return bool(self._call(capi.vmaccel_manager_numa_enabled))

    @property
    def is_smmu_initialized(self) -> bool:
        return bool(self._call(capi.vmaccel_manager_smmu_initialized))

    @property
    def is_vcpu_affinity_initialized(self) -> bool:
        return bool(self._call(capi.vmaccel_manager_vcpu_affinity_initialized))

    @property
    def topology(self) -> Topology:
        """The manager's topology (borrowed: valid while the manager is open)."""
        return Topology(self._call(capi.vmaccel_manager_topology), owner=self)

    @property
    def smmu(self) -> Smmu:
        """The SMMUv3 model; StateError before init_smmu()."""
        return Smmu(_handle=self._call(capi.vmaccel_manager_smmu), _owner=self)

    # ---- the runtime loop ----
    def start(self) -> None:
        """Starts the runtime loop thread (sampling, rebalancing, events).
        Idempotent."""
        self._call(capi.vmaccel_manager_start)

    def stop(self) -> None:
        """Stops the runtime loop and joins its thread. Idempotent."""
        self._call(capi.vmaccel_manager_stop)

    @property
    def is_running(self) -> bool:
        return bool(self._call(capi.vmaccel_manager_running))

    # ---- probes ----
    def hypervisor(self, kind: Hypervisor) -> HypervisorInfo:
        i = self._call(capi.vmaccel_manager_hypervisor, kind)
        return HypervisorInfo(Hypervisor(kind), HvStatus(i.status), i.api_version,
                              i.max_vcpus, i.recommended_vcpus, i.reason)

    @property
    def hypervisors(self) -> Dict[Hypervisor, HypervisorInfo]:
        return {k: self.hypervisor(k) for k in Hypervisor}

    @property
    def iommu(self) -> IommuInfo:
        i = self._call(capi.vmaccel_manager_iommu)
        return IommuInfo(bool(i.present), IommuKind(i.kind), i.units, i.groups,
                         i.dt_smmuv3_nodes, i.reason)

    # ---- reports ----
    def report_bytes(self, format: Format = Format.PROTOBUF) -> bytes:
        """The raw report in ``format`` (protobuf bytes, text or JSON)."""
        return self._call(capi.vmaccel_manager_report, format)

    def report(self):
        """The decoded vmaccel.v1.DiagnosticReport (has ``.to_json()``)."""
        from . import vmaccel_pb2
        return vmaccel_pb2.DiagnosticReport.FromString(self.report_bytes())
