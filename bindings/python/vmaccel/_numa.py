"""The NUMA engine through Python (capi/include/vmaccel/numa.h): its
options, one period on demand, a VM's locality as the engine sees it, and
NUMA-placed memory for in-process VMMs."""
from __future__ import annotations

import ctypes
import weakref
from dataclasses import dataclass, fields
from typing import Optional, Tuple

from . import capi
from ._enums import AllocPolicy, LocalitySource, NumaFix


@dataclass(frozen=True)
class NumaOptions:
    """vmaccel_numa_options. As in C, a zero field means the library's
    default: interval_ms 1000, threshold 0.8, hysteresis 0.05,
    trigger_samples 3, cooldown_samples 5, migrate_mb_per_s 256,
    sample_error 0.02."""
    interval_ms: int = 0
    threshold: float = 0.0
    hysteresis: float = 0.0
    trigger_samples: int = 0
    cooldown_samples: int = 0
    migrate_mb_per_s: int = 0
    sample_error: float = 0.0
    fix: NumaFix = NumaFix.CHEAPER
    dry_run: bool = False
    migrate_workers: int = 0     # threads migrating side by side; 0: half the PUs
    migrate_whole: bool = False  # a VM's whole memory in one migrate_pages(2)
    override_pins: bool = False  # also move what the operator placed
    migrate_stop_vcpus: bool = False  # pause the vCPUs while each window moves

    def _to_c(self):
        o = capi.vmaccel_numa_options()
        for f in fields(self):
            v = getattr(self, f.name)
            setattr(o, f.name, int(v) if isinstance(v, bool) else v)
        return o


@dataclass(frozen=True)
class Locality:
    """vmaccel_locality_info: the engine's latest view of one VM."""
    source: LocalitySource
    local_rate: float        # 0..1; meaningful when source is not NONE
    home_node: int           # logical node holding most of the VM's RAM
    samples: int             # engine periods that observed the VM
    vcpu_moves: int          # fixes applied by moving vCPUs
    memory_migrations: int   # fixes applied by migrating memory
    pages_migrated: int
    failures: int            # fixes that failed

    @property
    def measured(self) -> bool:
        return self.source != LocalitySource.NONE

    @classmethod
    def _from_c(cls, i) -> "Locality":
        return cls(LocalitySource(i.source), i.local_rate, i.home_node, i.samples,
                   i.vcpu_moves, i.memory_migrations, i.pages_migrated, i.failures)


class NumaBuffer:
    """Zeroed memory placed by a NUMA policy (vmaccel_numa_alloc), e.g. the
    guest RAM of a VMM run by this process. ``view`` is a writable
    memoryview of it, ``address`` its address for the OS (KVM memory slots,
    Manager.register(memory=[buf.region])).

    The memory is released when the buffer is closed *and* no memoryview of
    it is left: a view keeps it alive, so it can never dangle."""

    def __init__(self, manager, size: int, policy: AllocPolicy = AllocPolicy.LOCAL,
                 node: int = 0) -> None:
        ptr = manager._call(capi.vmaccel_numa_alloc, size, policy, node)
        self.size = size
        self.policy = AllocPolicy(policy)
        self.node = node
        self.address = int(ptr)
        # The ctypes array is the exporter of every memoryview handed out;
        # the C memory goes when the array goes (after the last view).
        self._array = (ctypes.c_ubyte * size).from_address(self.address)
        weakref.finalize(self._array, capi.vmaccel_numa_free, ptr, size)

    @property
    def view(self) -> memoryview:
        if self._array is None:
            raise ValueError("the NUMA buffer is closed")
        return memoryview(self._array).cast("B")

    @property
    def region(self) -> Tuple[int, int]:
        """(address, size), the shape Manager.register(memory=...) takes."""
        return self.address, self.size

    @property
    def closed(self) -> bool:
        return self._array is None

    def close(self) -> None:
        """Drops the buffer's hold on the memory (freed now unless a
        memoryview of it is still alive). Idempotent."""
        self._array = None

    def __len__(self) -> int:
        return self.size

    def __enter__(self) -> "NumaBuffer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class NumaMixin:
    """The NUMA-engine half of vmaccel.Manager (needs _call)."""

    def configure_numa(self, options: Optional[NumaOptions] = None, **fields_) -> None:
        """Sets the engine's options, from a NumaOptions or keyword fields
        (``m.configure_numa(interval_ms=500, fix=NumaFix.MOVE_VCPUS)``);
        unset fields keep the library's defaults. Takes effect at the next
        period. InvalidArgument for out-of-range values."""
        if options is not None and fields_:
            raise TypeError("pass a NumaOptions or keyword fields, not both")
        opts = options if options is not None else NumaOptions(**fields_)
        self._call(capi.vmaccel_manager_configure_numa, opts._to_c())

    def numa_tick(self) -> None:
        """Runs one engine period now on this thread (sampling, deciding,
        acting), with or without the loop running. StateError while NUMA
        balancing is off."""
        self._call(capi.vmaccel_manager_numa_tick)

    def numa_alloc(self, size: int, policy: AllocPolicy = AllocPolicy.LOCAL,
                   node: int = 0) -> NumaBuffer:
        """Zeroed memory of ``size`` bytes placed by ``policy`` (``node`` is
        the logical node for AllocPolicy.ONNODE)."""
        return NumaBuffer(self, size, policy, node)
