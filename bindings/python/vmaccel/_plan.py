"""vmaccel.Plan: vCPU placement on a topology, without touching the OS."""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from . import capi, vmaccel_pb2
from ._enums import Format, SmtPolicy, Strategy
from ._errors import StateError
from ._topology import Topology


@dataclass(frozen=True)
class VcpuPlacement:
    vcpu: int
    cpu: int        # OS CPU number
    numa_node: int  # logical NUMA node index


class Plan:
    """A placement plan on ``topology`` (kept alive by the plan). Add VMs,
    compute, then read where each vCPU goes. One thread at a time."""

    def __init__(self, topology: Topology, strategy: Strategy = Strategy.LOCAL_FIRST,
                 smt: SmtPolicy = SmtPolicy.SPREAD,
                 reserved_cpus: Optional[str] = None) -> None:
        opts = capi.vmaccel_plan_options()
        opts.strategy, opts.smt = strategy, smt
        if reserved_cpus is not None:
            opts.reserved_cpus = reserved_cpus
        self._topology = topology
        h = topology._call(capi.vmaccel_plan_new, opts)
        self._h = h
        self._finalizer = weakref.finalize(self, capi.vmaccel_plan_free, h)

    def close(self) -> None:
        self._finalizer()
        self._h = None

    def __enter__(self) -> "Plan":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _call(self, fn, *args):
        if self._h is None:
            raise StateError("the plan is closed")
        # The plan reads its topology: hold the topology's (manager's) guard.
        return self._topology._call(lambda _t: fn(self._h, *args))

    def add_vm(self, vcpus: int, memory_per_node: Optional[Sequence[int]] = None) -> int:
        """Adds a VM; ``memory_per_node`` is bytes per logical NUMA node.
        Returns the VM's index in the plan."""
        return self._call(capi.vmaccel_plan_add_vm, vcpus, memory_per_node)

    def compute(self) -> None:
        self._call(capi.vmaccel_plan_compute)

    def vcpu(self, vm: int, vcpu: int) -> Tuple[int, int]:
        """(OS CPU, logical NUMA node) of one vCPU."""
        cpu, node = self._call(capi.vmaccel_plan_vcpu, vm, vcpu)
        return cpu, node

    def placement(self, vm: int, vcpus: int) -> List[VcpuPlacement]:
        return [VcpuPlacement(i, *self.vcpu(vm, i)) for i in range(vcpus)]

    def score(self, vm: Optional[int] = None) -> float:
        """The plan's score, or one VM's (see affinity.h)."""
        return self._call(capi.vmaccel_plan_score,
                          capi.VMACCEL_NO_INDEX if vm is None else vm)

    def report_bytes(self, format: Format = Format.PROTOBUF) -> bytes:
        return self._call(capi.vmaccel_plan_report, format)

    def report(self) -> vmaccel_pb2.DiagnosticReport:
        """Topology and one Placement per VM, decoded."""
        return vmaccel_pb2.DiagnosticReport.FromString(self.report_bytes())


def strategy_name(s: Strategy) -> str:
    return capi.vmaccel_strategy_name(s)


def parse_strategy(name: str) -> Strategy:
    return Strategy(capi.vmaccel_strategy_parse(name))
