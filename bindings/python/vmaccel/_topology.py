"""vmaccel.Topology: the host's CPU, cache and NUMA topology."""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import List, Optional

from . import capi
from ._enums import Format, ObjectKind, TopologySource
from ._errors import StateError


@dataclass(frozen=True)
class Pu:
    index: int          # logical index
    os_index: int       # the kernel's CPU number
    core: int
    package: int
    numa_node: int
    l1: Optional[int]
    l2: Optional[int]
    l3: Optional[int]
    allowed: bool


@dataclass(frozen=True)
class NumaNode:
    index: int
    os_index: int
    memory_bytes: int
    pu_count: int


@dataclass(frozen=True)
class Cache:
    level: int
    index: int
    size_bytes: int
    line_size: int
    pu_count: int


def _opt_index(v: int) -> Optional[int]:
    return None if v == capi.VMACCEL_NO_INDEX else v


def _topology_options(synthetic: Optional[str], xml: Optional[str],
                      allowed_cpus: Optional[str]):
    if synthetic is not None and xml is not None:
        raise ValueError("give synthetic or xml, not both")
    o = capi.vmaccel_topology_options()
    if synthetic is not None:
        o.source, o.synthetic = TopologySource.SYNTHETIC, synthetic
    elif xml is not None:
        o.source, o.path = TopologySource.XML, str(xml)
    if allowed_cpus is not None:
        o.allowed_cpus = allowed_cpus
    return o


class Topology:
    """An immutable topology snapshot.

    ``Topology.load(...)`` makes an owned one (freed by ``close()`` or when
    collected); ``Manager.topology`` lends the manager's, which stays valid
    while that manager is open. Read-only: safe to use from any thread.
    """

    def __init__(self, handle, owner=None) -> None:
        self._h = handle
        self._owner = owner  # the Manager lending this topology, if any
        self._finalizer = None
        if owner is None:
            self._finalizer = weakref.finalize(self, capi.vmaccel_topology_free, handle)

    @classmethod
    def load(cls, *, synthetic: Optional[str] = None, xml: Optional[str] = None,
             allowed_cpus: Optional[str] = None) -> "Topology":
        """Loads the live host (no argument), an hwloc XML file or an hwloc
        synthetic description such as "pack:2 numa:2 core:4 pu:2"."""
        return cls(capi.vmaccel_topology_load(_topology_options(synthetic, xml, allowed_cpus)))

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self._h = None

    def __enter__(self) -> "Topology":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _call(self, fn, *args):
        """Runs fn(handle, *args); a borrowed topology holds its manager's
        guard so that Manager.close() cannot free it mid-call."""
        if self._owner is not None:
            with self._owner._use():
                return fn(self._h, *args)
        if self._h is None:
            raise StateError("the topology is closed")
        return fn(self._h, *args)

    def count(self, kind: ObjectKind) -> int:
        return self._call(capi.vmaccel_topology_count, kind)

    def pu(self, index: int) -> Pu:
        i = self._call(capi.vmaccel_topology_pu, index)
        return Pu(index, i.os_index, i.core, i.package, i.numa_node,
                  _opt_index(i.l1), _opt_index(i.l2), _opt_index(i.l3), bool(i.allowed))

    @property
    def pus(self) -> List[Pu]:
        return [self.pu(i) for i in range(self.count(ObjectKind.PU))]

    def numa_node(self, index: int) -> NumaNode:
        i = self._call(capi.vmaccel_topology_numa_node, index)
        return NumaNode(index, i.os_index, i.memory_bytes, i.pu_count)

    @property
    def numa_nodes(self) -> List[NumaNode]:
        return [self.numa_node(i) for i in range(self.count(ObjectKind.NUMA_NODE))]

    def distance(self, src: int, dst: int) -> int:
        return self._call(capi.vmaccel_topology_distance, src, dst)

    @property
    def distances(self) -> List[List[int]]:
        n = self.count(ObjectKind.NUMA_NODE)
        return [[self.distance(a, b) for b in range(n)] for a in range(n)]

    def cache(self, kind: ObjectKind, index: int) -> Cache:
        i = self._call(capi.vmaccel_topology_cache, kind, index)
        return Cache(i.level, index, i.size_bytes, i.line_size, i.pu_count)

    def caches(self, kind: ObjectKind) -> List[Cache]:
        return [self.cache(kind, i) for i in range(self.count(kind))]

    def object_cpus(self, kind: ObjectKind, index: int) -> List[int]:
        """OS CPU numbers inside object ``index`` of ``kind``."""
        _, n = self._call(capi.vmaccel_topology_object_cpus, kind, index, 0)
        cpus, _ = self._call(capi.vmaccel_topology_object_cpus, kind, index, n)
        return cpus

    @property
    def allowed_cpus(self) -> List[int]:
        _, n = self._call(capi.vmaccel_topology_allowed_cpus, 0)
        cpus, _ = self._call(capi.vmaccel_topology_allowed_cpus, n)
        return cpus

    def report_bytes(self, format: Format = Format.PROTOBUF) -> bytes:
        return self._call(capi.vmaccel_topology_report, format)

    def report(self):
        """The topology as a decoded vmaccel.v1.Topology message."""
        from . import vmaccel_pb2
        return vmaccel_pb2.Topology.FromString(self.report_bytes())
