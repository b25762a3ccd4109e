"""IntEnums made from the C enum constants the SWIG module exposes.

Each enum is built from a VMACCEL_<PREFIX>_* family, so a value added to a
header appears here at the next build without an edit. Names ending in "_"
(e.g. VMACCEL_COMPONENT_COUNT_) are sizes, not values, and are skipped.
"""
from __future__ import annotations

import enum
from typing import Iterable

from . import capi


def _family(name: str, prefix: str, exclude: Iterable[str] = ()) -> type:
    skip = set(exclude)
    members = {k[len(prefix):]: v for k, v in vars(capi).items()
               if k.startswith(prefix) and isinstance(v, int)
               and not k.endswith("_") and k[len(prefix):] not in skip}
    return enum.IntEnum(name, members, module=__name__.rsplit(".", 1)[0])


Format = _family("Format", "VMACCEL_FORMAT_")
ObjectKind = _family("ObjectKind", "VMACCEL_OBJ_")
TopologySource = _family("TopologySource", "VMACCEL_TOPOLOGY_",
                         exclude=("OPTIONS_VERSION",))
Component = _family("Component", "VMACCEL_COMPONENT_",
                    exclude=("OFF", "ON", "SKIPPED"))
ComponentState = enum.IntEnum("ComponentState", {
    "OFF": capi.VMACCEL_COMPONENT_OFF, "ON": capi.VMACCEL_COMPONENT_ON,
    "SKIPPED": capi.VMACCEL_COMPONENT_SKIPPED}, module="vmaccel")
Hypervisor = _family("Hypervisor", "VMACCEL_HV_",
                     exclude=("AVAILABLE", "UNAVAILABLE", "NOT_APPLICABLE",
                              "INFO_VERSION"))
HvStatus = enum.IntEnum("HvStatus", {
    "AVAILABLE": capi.VMACCEL_HV_AVAILABLE,
    "UNAVAILABLE": capi.VMACCEL_HV_UNAVAILABLE,
    "NOT_APPLICABLE": capi.VMACCEL_HV_NOT_APPLICABLE}, module="vmaccel")
IommuKind = _family("IommuKind", "VMACCEL_IOMMU_", exclude=("INFO_VERSION",))

Strategy = _family("Strategy", "VMACCEL_STRATEGY_")
SmtPolicy = _family("SmtPolicy", "VMACCEL_SMT_")
EventType = _family("EventType", "VMACCEL_EVENT_",
                    exclude=("MASK_ALL", "MAX_WAIT_MS", "STATS_VERSION"))
NumaFix = _family("NumaFix", "VMACCEL_NUMA_FIX_")
LocalitySource = _family("LocalitySource", "VMACCEL_LOCALITY_", exclude=("INFO_VERSION",))
AllocPolicy = _family("AllocPolicy", "VMACCEL_ALLOC_")

__all__ = ["Format", "ObjectKind", "TopologySource", "Component",
           "ComponentState", "Hypervisor", "HvStatus", "IommuKind", "Strategy",
           "SmtPolicy", "EventType", "NumaFix", "LocalitySource", "AllocPolicy"]
