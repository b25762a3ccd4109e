"""vmaccel: Python bindings for libvmaccel.

    import vmaccel
    with vmaccel.Manager(synthetic="pack:2 numa:2 core:4 pu:2") as m:
        m.setup_full()
        print(m.report().to_json())

The C API is wrapped by SWIG from bindings/vmaccel.i (module vmaccel.capi);
this package is the Pythonic layer on top of it.
"""
from __future__ import annotations

from google.protobuf import json_format as _json_format

from . import capi, vmaccel_pb2
from . import vmaccel_pb2 as pb
from ._enums import (Component, ComponentState, Format, HvStatus, Hypervisor,
                     IommuKind, ObjectKind, SmtPolicy, Strategy, TopologySource, EventType,
                     NumaFix, LocalitySource, AllocPolicy)
from ._errors import (Again, Busy, Error, Fault, Gone, InvalidArgument, IOFailure,
                      NotFound, NotSupported, OutOfMemory, OutOfRange, ParseError,
                      PermissionDenied, StateError, Timeout, error_class)
from ._events import EventStats
from ._manager import ComponentStatus, HypervisorInfo, IommuInfo, Manager
from ._numa import Locality, NumaBuffer, NumaOptions
from ._plan import Plan, VcpuPlacement, parse_strategy, strategy_name
from ._vm import (MemoryRegion, Origin, SchedPolicy, VcpuDiscovery, VcpuInfo, VcpuLimits, Vm,
                  VmControl, VmInfo, VmmKind, libvirt_domains)
from ._smmu import (Access, AtcInvalidation, AtsCompletion, AtsStatus, BatchFault,
                    GuestMemory, InvalScope, PprOutcome, PrgCode, PrgResponse, Smmu,
                    SmmuEndpoint, SmmuEvent, SmmuFault, SmmuMode, StallEnd, StreamStats,
                    TransactionStalled, Translation, TranslationFault)
from ._topology import Cache, NumaNode, Pu, Topology


def _to_json(message, indent: int = 2) -> str:
    """The message in the canonical protobuf JSON mapping."""
    return _json_format.MessageToJson(message, indent=indent)


# Every generated message gets .to_json(); the classes come from protoc and
# are not edited, so the method is attached here.
for _name, _desc in vmaccel_pb2.DESCRIPTOR.message_types_by_name.items():
    setattr(getattr(vmaccel_pb2, _name), "to_json", _to_json)


def version() -> str:
    """The loaded library's "MAJOR.MINOR.PATCH"."""
    return capi.vmaccel_version()


def version_number() -> int:
    """The loaded library's MAJOR*10000 + MINOR*100 + PATCH."""
    return capi.vmaccel_version_number()


def strerror(code: int) -> str:
    return capi.vmaccel_strerror(code)


def render_event(event, format: Format = Format.TEXT) -> str:
    """An event (a vmaccel.pb.Event, or its protobuf bytes) rendered by the
    library, as text (the format of `vmaccel run --events text`) or JSON."""
    if not isinstance(event, (bytes, bytearray, memoryview)):
        event = event.SerializeToString()
    return capi.vmaccel_event_render(event, format).decode("utf-8", "replace")


__version__ = "0.1.0"
__all__ = [
    "Manager", "Topology", "Smmu", "Pu", "NumaNode", "Cache", "ComponentStatus",
    "HypervisorInfo", "IommuInfo", "Component", "ComponentState", "Format",
    "HvStatus", "Hypervisor", "IommuKind", "ObjectKind", "Strategy",
    "TopologySource", "Error", "InvalidArgument", "OutOfMemory", "NotSupported",
    "NotFound", "PermissionDenied", "StateError", "IOFailure", "ParseError",
    "Timeout", "Gone", "Busy", "OutOfRange", "Again", "Fault", "error_class",
    "pb", "version", "strerror", "Access", "GuestMemory", "InvalScope",
    "SmmuEvent", "SmmuFault", "SmmuMode", "StreamStats", "Translation",
    "TranslationFault", "SmtPolicy", "Plan", "VcpuPlacement", "parse_strategy",
    "strategy_name", "Vm", "VmInfo", "VcpuInfo", "MemoryRegion", "VmmKind",
    "SchedPolicy", "EventType", "EventStats", "NumaFix", "LocalitySource",
    "AllocPolicy", "NumaOptions", "Locality", "NumaBuffer", "version_number",
    "render_event", "AtcInvalidation", "AtsCompletion", "AtsStatus", "BatchFault",
    "PprOutcome", "PrgCode", "PrgResponse", "SmmuEndpoint", "StallEnd",
    "TransactionStalled", "VcpuLimits", "Origin", "VmControl", "VcpuDiscovery",
    "libvirt_domains",
]
