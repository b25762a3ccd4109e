"""vmaccel.Smmu: the SMMUv3 model (owned, or borrowed from a Manager),
GuestMemory, the flat guest memory its page-table walks read, and
SmmuEndpoint, the queue of what the model sends towards PCIe endpoints (ATC
invalidations, PRG responses)."""
from __future__ import annotations

import enum
import weakref
from dataclasses import dataclass
from typing import Iterator, List, Optional, Sequence, Union

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


def _enum(name: str, prefix: str) -> type:
    return enum.IntEnum(name, {k[len(prefix):]: v for k, v in vars(capi).items()
                               if k.startswith(prefix)}, module="vmaccel")


StallEnd = _enum("StallEnd", "VMACCEL_SMMU_STALL_")
AtsStatus = _enum("AtsStatus", "VMACCEL_SMMU_ATS_")
PprOutcome = _enum("PprOutcome", "VMACCEL_SMMU_PPR_")
PrgCode = _enum("PrgCode", "VMACCEL_SMMU_PRG_")


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


class TransactionStalled(TranslationFault):
    """translate_stallable() stalled the transaction: the guest resolves
    the fault and answers (CMD_RESUME, CMD_STALL_TERM); Smmu.stall_wait
    (``stall_id``) tells whether to retry or abort."""

    def __init__(self, fault: SmmuFault, stall_id: int) -> None:
        super().__init__(fault)
        self.code = capi.VMACCEL_EAGAIN
        self.stall_id = stall_id


TransactionStalled.__module__ = "vmaccel"


class BatchFault(TranslationFault):
    """translate_many() stopped at a fault: ``translated`` holds the
    translations of the IOVAs before it (the fault is at that index)."""

    def __init__(self, fault: SmmuFault, translated: List["Translation"]) -> None:
        super().__init__(fault)
        self.translated = translated


BatchFault.__module__ = "vmaccel"


def _fault_of(r) -> SmmuFault:
    f = r.fault
    return SmmuFault(f.event, f.stage, f.level, f.fault_class, f.input_addr,
                     f.ipa, f.fetch_addr, bool(f.recorded))


@dataclass(frozen=True)
class AtsCompletion:
    """An ATS Translation Completion: for SUCCESS, ``perm`` without READ
    and WRITE means the translation is denied."""
    status: AtsStatus
    addr: int
    size: int
    perm: Access


@dataclass(frozen=True)
class AtcInvalidation:
    """An ATS Invalidate Request (CMD_ATC_INV) for endpoint ``sid``'s ATC;
    complete it with Smmu.atc_inv_done(id)."""
    id: int
    sid: int
    ssid: Optional[int]
    global_: bool
    addr: int
    log2size: int


@dataclass(frozen=True)
class PrgResponse:
    """A PRG Response (CMD_PRI_RESP, or automatic when the SMMU discarded
    the page request)."""
    sid: int
    ssid: Optional[int]
    prg_index: int
    code: PrgCode
    automatic: bool


def _ssid_in(ssid: Optional[int]) -> int:
    return capi.VMACCEL_SMMU_NO_SSID if ssid is None else ssid


def _ssid_out(ssid: int) -> Optional[int]:
    return None if ssid == capi.VMACCEL_SMMU_NO_SSID else ssid


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

    def read_u64(self, addr: int) -> int:
        return int.from_bytes(self.read(addr, 8), "little")


class SmmuEndpoint:
    """What an Smmu sends towards its PCIe endpoints, queued for the
    program to read (Smmu.use_endpoint): the model's C callbacks run under
    its lock, where no Python may run. An ATC invalidation stays pending
    until Smmu.atc_inv_done; a CMD_SYNC after it waits for that."""

    def __init__(self) -> None:
        e = capi.va_swig_endpoint_new()
        if e is None:
            raise MemoryError("cannot make an endpoint queue")
        self._e = e
        self._finalizer = weakref.finalize(self, capi.va_swig_endpoint_free, e)

    def messages(self) -> Iterator[Union[AtcInvalidation, PrgResponse]]:
        """The queued messages, oldest first, until the queue is empty."""
        while True:
            rc, m = capi.va_swig_endpoint_next(self._e)
            if rc == capi.VMACCEL_EAGAIN:
                return
            if m.kind == capi.VA_SWIG_ATC_INV:
                yield AtcInvalidation(m.id, m.sid, _ssid_out(m.ssid), bool(m._global),
                                      m.addr, m.log2size)
            else:
                yield PrgResponse(m.sid, _ssid_out(m.ssid), m.prg_index, PrgCode(m.code),
                                  bool(m.automatic))

    @property
    def dropped(self) -> int:
        """Messages lost to a full queue (an invalidation lost so fails)."""
        return capi.va_swig_endpoint_dropped(self._e)


class Smmu:
    """``Smmu(iotlb_entries=...)`` makes a standalone model; ``Manager.smmu``
    lends the manager's (valid while the manager is open). Any thread."""

    def __init__(self, iotlb_entries: int = 0, *, _handle=None, _owner=None) -> None:
        self._owner = _owner
        self._finalizer = None
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

    def _keep(self, name: str, obj) -> None:
        """Keeps what the model's C callbacks point into alive while the
        model may use it: the manager's model lives as long as the manager,
        not as long as this wrapper."""
        setattr(self._owner if self._owner is not None else self, "_smmu_" + name, obj)

    def use_memory(self, memory: Optional[GuestMemory]) -> None:
        """Page-table walks read ``memory`` (None: every walk aborts)."""
        self._call(capi.va_swig_smmu_use_guest_memory, memory._g if memory else None)
        self._keep("memory", memory)

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
        rc, r = self._call(capi.vmaccel_smmu_translate, sid, _ssid_in(ssid),
                           iova, int(access))
        if rc == capi.VMACCEL_EFAULT:
            raise TranslationFault(_fault_of(r))
        return Translation(r.pa, r.size, Access(r.perm))

    def translate_many(self, sid: int, iovas: Sequence[int], access: Access = Access.READ,
                       ssid: Optional[int] = None) -> List[Translation]:
        """Translates a scatter-gather list of one stream in one call;
        raises BatchFault (with the translations before it) at the first
        IOVA that faults."""
        rc, packed, r = self._call(capi.vmaccel_smmu_translate_many, sid, _ssid_in(ssid),
                                   list(iovas), int(access))
        done = [Translation(int.from_bytes(packed[i:i + 8], "little"),
                            int.from_bytes(packed[i + 8:i + 16], "little"),
                            Access(int.from_bytes(packed[i + 16:i + 20], "little")))
                for i in range(0, len(packed), 24)]
        if rc == capi.VMACCEL_EFAULT:
            raise BatchFault(_fault_of(r), done)
        return done

    def translate_stallable(self, sid: int, iova: int, access: Access = Access.READ,
                            ssid: Optional[int] = None) -> Translation:
        """As translate(), for a device that can hold a DMA: a fault the
        guest configured to stall raises TransactionStalled."""
        rc, r, stall_id = self._call(capi.vmaccel_smmu_translate_stallable, sid,
                                     _ssid_in(ssid), iova, int(access))
        if rc == capi.VMACCEL_EAGAIN:
            raise TransactionStalled(_fault_of(r), stall_id)
        if rc == capi.VMACCEL_EFAULT:
            raise TranslationFault(_fault_of(r))
        return Translation(r.pa, r.size, Access(r.perm))

    def stall_wait(self, stall_id: int, timeout_ms: int = -1) -> StallEnd:
        """How the stall ended (RETRY: translate again; ABORT), or PENDING
        when ``timeout_ms`` ran out first (negative: no limit). Releases
        the GIL while it waits."""
        rc, how = self._call(capi.vmaccel_smmu_stall_wait, stall_id, timeout_ms)
        return StallEnd.PENDING if rc == capi.VMACCEL_ETIMEDOUT else StallEnd(how)

    def ats_translate(self, sid: int, iova: int, access: Access = Access.READ,
                      ssid: Optional[int] = None) -> AtsCompletion:
        """An ATS Translation Request from endpoint ``sid``."""
        r = self._call(capi.vmaccel_smmu_ats_translate, sid, _ssid_in(ssid), iova,
                       int(access))
        return AtsCompletion(AtsStatus(r.status), r.addr, r.size, Access(r.perm))

    def ats_translated(self, sid: int, pa: int, access: Access = Access.READ) -> bool:
        """A Translated transaction: True when it passes (CR0.ATSCHK)."""
        return self._call(capi.vmaccel_smmu_ats_translated, sid, pa, int(access)) == 0

    def page_request(self, sid: int, addr: int, access: Access = Access.READ,
                     prg_index: int = 0, last: bool = True, stop: bool = False,
                     ssid: Optional[int] = None) -> PprOutcome:
        """A PRI Page Request from endpoint ``sid``."""
        flags = (capi.VMACCEL_SMMU_PRI_LAST if last else 0) | \
            (capi.VMACCEL_SMMU_PRI_STOP if stop else 0)
        return PprOutcome(self._call(capi.vmaccel_smmu_page_request, sid, _ssid_in(ssid),
                                     addr, int(access), prg_index, flags))

    def use_endpoint(self, endpoint: Optional[SmmuEndpoint]) -> None:
        """Queues what the model sends towards endpoints in ``endpoint``
        (None: no ATS endpoints; invalidations complete at once)."""
        self._call(capi.va_swig_smmu_use_endpoint, endpoint._e if endpoint else None)
        self._keep("endpoint", endpoint)

    def atc_inv_done(self, inv_id: int, ok: bool = True) -> None:
        """Completes an ATC invalidation (ok=False: the endpoint failed it,
        so the CMD_SYNC after it reports CERROR_ATC_INV_SYNC)."""
        self._call(capi.vmaccel_smmu_atc_inv_done, inv_id, 0 if ok else -1)

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
