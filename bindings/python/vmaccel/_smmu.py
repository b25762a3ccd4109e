"""vmaccel.Smmu: the SMMUv3 model (owned, or borrowed from a Manager), and
GuestMemory, the flat guest memory its page-table walks read."""
from __future__ import annotations

import enum
import weakref
from dataclasses import dataclass
from typing import Optional

from . import capi
from ._errors import Fault, StateError

SmmuMode = enum.IntEnum("SmmuMode", {
    k[len("VMACCEL_SMMU_MODE_"):]: v for k, v in vars(capi).items()
    if k.startswith("VMACCEL_SMMU_MODE_")}, module="vmaccel")
InvalScope = enum.IntEnum("InvalScope", {
    k[len("VMACCEL_SMMU_INVAL_"):]: v for k, v in vars(capi).items()
    if k.startswith("VMACCEL_SMMU_INVAL_")}, module="vmaccel")
SmmuEvent = enum.IntEnum("SmmuEvent", {
    k[len("VMACCEL_SMMU_EVT_"):]: v for k, v in vars(capi).items()
    if k.startswith("VMACCEL_SMMU_EVT_")}, module="vmaccel")


class Access(enum.IntFlag):
    """Transaction attributes for Smmu.translate (also the perm bits)."""
    NONE = 0
    READ = capi.VMACCEL_SMMU_READ
    WRITE = capi.VMACCEL_SMMU_WRITE
    EXEC = capi.VMACCEL_SMMU_EXEC
    PRIV = capi.VMACCEL_SMMU_PRIV


@dataclass(frozen=True)
class Translation:
    pa: int
    size: int
    perm: Access


@dataclass(frozen=True)
class SmmuFault:
    event: int          # SmmuEvent value (spec event number)
    stage: int
    level: int
    fault_class: int
    input_addr: int
    ipa: int
    fetch_addr: int
    recorded: bool


class TranslationFault(Fault):
    """translate() faulted; ``fault`` is the spec's fault record."""

    def __init__(self, fault: SmmuFault) -> None:
        try:
            name = SmmuEvent(fault.event).name
        except ValueError:
            name = hex(fault.event)
        super().__init__(f"{name} at 0x{fault.input_addr:x} (stage {fault.stage}, "
                         f"level {fault.level})", capi.VMACCEL_EFAULT)
        self.fault = fault


TranslationFault.__module__ = "vmaccel"


@dataclass(frozen=True)
class StreamStats:
    sid: int
    hits: int
    misses: int
    walks: int
    faults: int
    iotlb_quota: int
    iotlb_used: int


class GuestMemory:
    """A flat guest physical memory [base, base+size), owned by the binding,
    that an Smmu reads page tables from (Smmu.use_memory)."""

    def __init__(self, base: int, size: int) -> None:
        g = capi.va_swig_guest_memory_new(base, size)
        if g is None:
            raise MemoryError(f"cannot make {size} bytes of guest memory at 0x{base:x}")
        self._g = g
        self.base, self.size = base, size
        self._finalizer = weakref.finalize(self, capi.va_swig_guest_memory_free, g)

    def write(self, addr: int, data) -> None:
        capi.va_swig_guest_memory_write(self._g, addr, data)

    def write_u64(self, addr: int, value: int) -> None:
        self.write(addr, value.to_bytes(8, "little"))

    def read(self, addr: int, length: int) -> bytes:
        return capi.va_swig_guest_memory_read(self._g, addr, length)


class Smmu:
    """``Smmu(iotlb_entries=...)`` makes a standalone model; ``Manager.smmu``
    lends the manager's (valid while the manager is open). Any thread."""

    def __init__(self, iotlb_entries: int = 0, *, _handle=None, _owner=None) -> None:
        self._owner = _owner
        self._finalizer = None
        self._memory: Optional[GuestMemory] = None
        if _handle is None:
            opts = capi.vmaccel_smmu_options()
            opts.iotlb_entries = iotlb_entries
            _handle = capi.vmaccel_smmu_new(opts)
            self._finalizer = weakref.finalize(self, capi.vmaccel_smmu_free, _handle)
        self._h = _handle

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self._h = None

    def __enter__(self) -> "Smmu":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _call(self, fn, *args):
        if self._owner is not None:
            with self._owner._use():
                return fn(self._h, *args)
        if self._h is None:
            raise StateError("the SMMU model is closed")
        return fn(self._h, *args)

    def use_memory(self, memory: Optional[GuestMemory]) -> None:
        """Page-table walks read ``memory`` (None: every walk aborts)."""
        self._call(capi.va_swig_smmu_use_guest_memory, memory._g if memory else None)
        self._memory = memory  # kept alive while the model may read it

    def attach(self, sid: int, mode: SmmuMode, **fields) -> None:
        """Attaches stream ``sid`` to a domain; ``fields`` are the
        vmaccel_smmu_domain fields (s1_ttb0=..., asid=..., s2_ttb=...)."""
        d = capi.vmaccel_smmu_domain()
        d.mode = mode
        for name, value in fields.items():
            if name.startswith("_") or name in ("this", "thisown", "version") or \
                    not hasattr(d, name):
                raise TypeError(f"vmaccel_smmu_domain has no field {name!r}")
            setattr(d, name, value)
        self._call(capi.vmaccel_smmu_attach, sid, d)

    def detach(self, sid: int) -> None:
        self._call(capi.vmaccel_smmu_detach, sid)

    def translate(self, sid: int, iova: int, access: Access = Access.READ,
                  ssid: Optional[int] = None) -> Translation:
        """Translates one transaction; raises TranslationFault with the
        fault record when the model faults it."""
        rc, r = self._call(capi.vmaccel_smmu_translate, sid,
                           capi.VMACCEL_SMMU_NO_SSID if ssid is None else ssid,
                           iova, int(access))
        if rc == capi.VMACCEL_EFAULT:
            f = r.fault
            raise TranslationFault(SmmuFault(f.event, f.stage, f.level, f.fault_class,
                                             f.input_addr, f.ipa, f.fetch_addr,
                                             bool(f.recorded)))
        return Translation(r.pa, r.size, Access(r.perm))

    def invalidate(self, scope: InvalScope, vmid: int = 0, asid: int = 0,
                   addr: int = 0, size: int = 0) -> None:
        self._call(capi.vmaccel_smmu_invalidate, scope, vmid, asid, addr, size)

    def stream_stats(self, sid: int) -> StreamStats:
        s = self._call(capi.vmaccel_smmu_stream_stats_get, sid)
        return StreamStats(s.sid, s.hits, s.misses, s.walks, s.faults,
                           s.iotlb_quota, s.iotlb_used)

    def set_partitioning(self, adaptive: bool, interval: int = 0) -> None:
        self._call(capi.vmaccel_smmu_set_partitioning, adaptive, interval)

    def repartition(self) -> None:
        self._call(capi.vmaccel_smmu_repartition)

    def mmio_read(self, offset: int, size: int = 4) -> int:
        return self._call(capi.vmaccel_smmu_mmio_read, offset, size)

    def mmio_write(self, offset: int, value: int, size: int = 4) -> None:
        self._call(capi.vmaccel_smmu_mmio_write, offset, size, value)
