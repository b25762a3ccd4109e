"""vmaccel.Vm: a VM handed to the manager (attached by pid or registered
in-process), its vCPUs and guest RAM, and pinning them."""
from __future__ import annotations

import enum
import json as _json
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from . import capi
from ._enums import SmtPolicy, Strategy
from ._errors import InvalidArgument, StateError
from ._numa import Locality

VmmKind = enum.IntEnum("VmmKind", {
    k[len("VMACCEL_VMM_"):]: v for k, v in vars(capi).items()
    if k.startswith("VMACCEL_VMM_")}, module="vmaccel")
SchedPolicy = enum.IntEnum("SchedPolicy", {
    k[len("VMACCEL_SCHED_"):]: v for k, v in vars(capi).items()
    if k.startswith("VMACCEL_SCHED_")}, module="vmaccel")
Origin = enum.IntEnum("Origin", {
    k[len("VMACCEL_ORIGIN_"):]: v for k, v in vars(capi).items()
    if k.startswith("VMACCEL_ORIGIN_")}, module="vmaccel")
VmControl = enum.IntEnum("VmControl", {
    k[len("VMACCEL_CONTROL_"):]: v for k, v in vars(capi).items()
    if k.startswith("VMACCEL_CONTROL_")}, module="vmaccel")
VcpuDiscovery = enum.IntEnum("VcpuDiscovery", {
    k[len("VMACCEL_DISCOVERY_"):]: v for k, v in vars(capi).items()
    if k.startswith("VMACCEL_DISCOVERY_")}, module="vmaccel")


@dataclass(frozen=True)
class VmInfo:
    id: int
    pid: int
    in_process: bool
    gone: bool
    vmm: VmmKind
    vcpu_count: int
    memory_regions: int
    memory_bytes: int
    name: str
    discovery: VcpuDiscovery     # how its vCPU threads were found
    control: VmControl           # OS calls, or through libvirt
    domain: str                  # the libvirt domain, or ""
    control_note: str            # why control is what it is, when not obvious


@dataclass(frozen=True)
class VcpuLimits:
    """What limits a vCPU's thread and whether the operator placed it
    (vmaccel_vcpu_limits). CPU and node lists are cpulists ("0-3,8")."""
    cpus: str                    # its own cgroup's effective cpuset
    cpus_origin: Origin
    cpus_source: str             # "cgroup v1 cpuset /machine/.../vcpu0"
    mems: str                    # memory nodes it may use; "" = any
    mems_source: str
    operator_pinned: bool        # left where it is unless override_pins
    pinned_cpus: str
    pin_origin: Origin
    pin_source: str              # "libvirt <vcpupin vcpu='0' cpuset='1'/>"
    memory_pinned: bool          # the operator placed the VM's memory
    pinned_mems: str
    mem_pin_source: str
    kept: bool                   # the last pin left it to the operator
    overrode: bool               # ... or moved it despite its pin
    guest_node: Optional[int]    # guest NUMA node (QMP, libvirt cells)


@dataclass(frozen=True)
class VcpuInfo:
    index: int
    tid: int
    gone: bool
    last_cpu: Optional[int]
    planned_cpu: Optional[int]
    planned_node: int
    result: int          # 0 or the VMACCEL_E* code of the last pin/restore
    pinned: bool
    thread_name: str


@dataclass(frozen=True)
class MemoryRegion:
    start: int
    length: int
    name: str


def _vm_options(name: Optional[str], vcpu_tids: Optional[Sequence[int]],
                memory: Optional[Sequence[Tuple[int, int]]], qmp_socket: Optional[str] = None,
                libvirt_uri: Optional[str] = None):
    o = capi.vmaccel_vm_options()
    if name is not None:
        o.name = name
    if qmp_socket is not None:
        o.qmp_socket = qmp_socket
    if libvirt_uri is not None:
        o.libvirt_uri = libvirt_uri
    if vcpu_tids is not None:
        o.set_vcpu_tids(list(vcpu_tids))
    if memory is not None:
        o.set_memory([x for start, length in memory for x in (start, length)])
    return o


def _pin_options(strategy, smt, reserved_cpus, vcpu_count, dry_run, nice, sched,
                 rt_priority, override_pins=False):
    o = capi.vmaccel_pin_options()
    o.strategy, o.smt, o.vcpu_count, o.dry_run = strategy, smt, vcpu_count, int(dry_run)
    o.override_pins = int(override_pins)
    if reserved_cpus is not None:
        o.reserved_cpus = reserved_cpus
    if nice is not None:
        o.set_nice, o.nice = 1, nice
    if sched is not None:
        o.sched, o.rt_priority = sched, rt_priority
    return o


class Vm:
    """Made by Manager.attach() or Manager.register(); valid until
    ``detach()`` or until its manager is closed. Any thread."""

    def __init__(self, handle, manager) -> None:
        self._h = handle
        self._manager = manager

    def _call(self, fn, *args):
        with self._manager._use():
            if self._h is None:
                raise StateError("the VM is detached")
            return fn(self._h, *args)

    def detach(self) -> None:
        """Forgets the VM (pinned threads keep their affinity: call
        restore_affinity() first to undo it). Idempotent."""
        if self._manager.closed:
            self._h = None  # the manager detached it already
            return
        with self._manager._use():
            h, self._h = self._h, None
            if h is not None:
                capi.vmaccel_vm_detach(h)

    def __enter__(self) -> "Vm":
        return self

    def __exit__(self, *exc) -> None:
        self.detach()

    def refresh(self) -> None:
        """Re-checks the process and threads (Gone if the VM exited)."""
        self._call(capi.vmaccel_vm_refresh)

    @property
    def info(self) -> VmInfo:
        i = self._call(capi.vmaccel_vm_info_get)
        return VmInfo(i.id, i.pid, bool(i.in_process), bool(i.gone), VmmKind(i.vmm),
                      i.vcpu_count, i.memory_regions, i.memory_bytes, i.name,
                      VcpuDiscovery(i.discovery), VmControl(i.control), i.domain,
                      i.control_note)

    @property
    def id(self) -> int:
        return self.info.id

    def vcpu(self, index: int) -> VcpuInfo:
        v = self._call(capi.vmaccel_vm_vcpu, index)
        return VcpuInfo(v.index, v.tid, bool(v.gone),
                        None if v.last_cpu < 0 else v.last_cpu,
                        None if v.planned_cpu < 0 else v.planned_cpu,
                        v.planned_node, v.result, bool(v.pinned), v.thread_name)

    @property
    def vcpus(self) -> List[VcpuInfo]:
        return [self.vcpu(i) for i in range(self.info.vcpu_count)]

    def vcpu_limits(self, index: int) -> VcpuLimits:
        """What limits vCPU ``index`` and whether the operator placed it, as
        read by the last attach, pin or refresh()."""
        l = self._call(capi.vmaccel_vm_vcpu_limits, index)
        return VcpuLimits(l.cpus, Origin(l.cpus_origin), l.cpus_source, l.mems, l.mems_source,
                          bool(l.operator_pinned), l.pinned_cpus, Origin(l.pin_origin),
                          l.pin_source, bool(l.memory_pinned), l.pinned_mems,
                          l.mem_pin_source, bool(l.kept), bool(l.overrode),
                          None if l.guest_node < 0 else l.guest_node)

    def vcpu_allowed_cpus(self, index: int) -> List[int]:
        """The live affinity of vCPU ``index``'s thread."""
        _, n = self._call(capi.vmaccel_vm_vcpu_allowed_cpus, index, 0)
        cpus, _ = self._call(capi.vmaccel_vm_vcpu_allowed_cpus, index, n)
        return cpus

    @property
    def memory_regions(self) -> List[MemoryRegion]:
        out = []
        for i in range(self.info.memory_regions):
            r = self._call(capi.vmaccel_vm_memory_region, i)
            out.append(MemoryRegion(r.start, r.length, r.name))
        return out

    def numa_cells(self) -> Tuple[int, str]:
        """How many guest NUMA nodes the VM has - read from a QEMU's command
        line at attach, or set with set_numa_cells() - and where from."""
        count, source = self._call(capi.vmaccel_vm_numa_cells)
        return count, source

    def set_numa_cells(self, cells: Sequence[Tuple[Sequence[int], Sequence[Tuple[int, int]]]]) -> None:
        """Sets the guest NUMA nodes: one (vCPU indices, [(start, length), ...])
        per node; the NUMA engine places each node's vCPUs next to its
        memory. An empty list: none (the VM is one client)."""
        # The flat form cannot say "in two cells" or "in none": checked here.
        cell_of = [-1] * self.info.vcpu_count
        triples: List[int] = []
        for node, (vcpus, memory) in enumerate(cells):
            for v in vcpus:
                if not 0 <= v < len(cell_of) or cell_of[v] >= 0:
                    raise InvalidArgument(f"cell {node}: vCPU {v} is not a vCPU of the VM "
                                          "or is in two cells", capi.VMACCEL_EINVAL)
                cell_of[v] = node
            triples += [x for start, length in memory for x in (node, start, length)]
        if cells and -1 in cell_of:
            raise InvalidArgument(f"vCPU {cell_of.index(-1)} is in no cell", capi.VMACCEL_EINVAL)
        self._call(capi.va_swig_vm_set_numa_cells, cell_of if cells else [], triples)

    def pin(self, strategy: Strategy = Strategy.LOCAL_FIRST,
            smt: SmtPolicy = SmtPolicy.SPREAD, *, reserved_cpus: Optional[str] = None,
            vcpu_count: int = 0, dry_run: bool = False, nice: Optional[int] = None,
            sched: "SchedPolicy" = None, rt_priority: int = 0,
            override_pins: bool = False) -> None:
        """Plans this VM on the manager's topology, each vCPU within its own
        cgroup cpuset, and pins each vCPU thread (see vcpus for per-thread
        outcomes). vCPUs the operator placed stay unless ``override_pins``."""
        self._call(capi.vmaccel_vm_pin, _pin_options(
            strategy, smt, reserved_cpus, vcpu_count, dry_run, nice, sched, rt_priority,
            override_pins))

    def capture_affinity_state(self, strategy: Strategy = Strategy.LOCAL_FIRST,
                               smt: SmtPolicy = SmtPolicy.SPREAD, *,
                               reserved_cpus: Optional[str] = None, vcpu_count: int = 0,
                               dry_run: bool = False, nice: Optional[int] = None,
                               sched: "SchedPolicy" = None, rt_priority: int = 0) -> dict:
        """Reads the originals of the threads pin() with the same arguments
        would change, without changing any, and returns affinity_state():
        store it before calling pin(), so a crash mid-pin loses nothing."""
        self._call(capi.vmaccel_vm_affinity_state_capture, _pin_options(
            strategy, smt, reserved_cpus, vcpu_count, dry_run, nice, sched, rt_priority))
        return self.affinity_state()

    def configure_affinity(self, vcpu_count: int, strategy: Strategy) -> None:
        """The seed's configure_vcpu_affinity(n)."""
        self._call(capi.vmaccel_vm_configure_affinity, vcpu_count, strategy)

    def restore_affinity(self) -> None:
        self._call(capi.vmaccel_vm_restore_affinity)

    def locality(self) -> Locality:
        """The NUMA engine's latest view of this VM; NotFound until an
        engine period (loop or Manager.numa_tick()) has observed it."""
        return Locality._from_c(self._call(capi.vmaccel_vm_locality))

    def affinity_state(self) -> dict:
        """The saved original affinities (JSON-decoded)."""
        return _json.loads(self._call(capi.vmaccel_vm_affinity_state))

    def load_affinity_state(self, state) -> None:
        """Loads originals saved by affinity_state() (dict, str or bytes)."""
        if isinstance(state, dict):
            state = _json.dumps(state)
        if isinstance(state, str):
            state = state.encode()
        self._call(capi.vmaccel_vm_affinity_state_load, state)


class VmsMixin:
    """The VM half of vmaccel.Manager."""

    def attach(self, pid: int, *, name: Optional[str] = None,
               vcpu_tids: Optional[Sequence[int]] = None,
               memory: Optional[Sequence[Tuple[int, int]]] = None,
               qmp_socket: Optional[str] = None, libvirt_uri: Optional[str] = None) -> Vm:
        """Attaches the running VMM process ``pid`` (vCPU threads found by
        name unless given, or through ``qmp_socket``; guest RAM from
        /proc/PID/maps unless given). A libvirt domain's QEMU is acted on
        through libvirt (``libvirt_uri``: its URI; "" never)."""
        opts = _vm_options(name, vcpu_tids, memory, qmp_socket, libvirt_uri)
        return Vm(self._call(capi.vmaccel_vm_attach_pid, pid, opts), self)

    def attach_qmp(self, socket_path: str, *, name: Optional[str] = None) -> Vm:
        """Attaches the QEMU serving this QMP socket (vCPU threads from
        query-cpus-fast: no thread names needed)."""
        opts = _vm_options(name, None, None)
        return Vm(self._call(capi.vmaccel_vm_attach_qmp, socket_path, opts), self)

    def attach_libvirt(self, domain: str, uri: Optional[str] = None, *,
                       name: Optional[str] = None) -> Vm:
        """Attaches the running libvirt domain (a name or UUID) and acts on
        it through libvirt. NotSupported when built without libvirt."""
        opts = _vm_options(name, None, None)
        return Vm(self._call(capi.vmaccel_vm_attach_libvirt, uri, domain, opts), self)

    def register(self, vcpu_tids: Sequence[int], *, name: Optional[str] = None,
                 memory: Optional[Sequence[Tuple[int, int]]] = None) -> Vm:
        """Registers a VM run by this process (its vCPU thread ids)."""
        opts = _vm_options(name, vcpu_tids, memory)
        return Vm(self._call(capi.vmaccel_vm_register, opts), self)


def libvirt_domains(uri: Optional[str] = None) -> List[str]:
    """The UUIDs of the domains running at ``uri`` (None: libvirt's default).
    NotSupported when built without libvirt."""
    text = capi.vmaccel_libvirt_domains(uri)
    return [line for line in bytes(text).decode().split("\n") if line]
