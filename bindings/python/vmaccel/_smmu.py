"""vmaccel.Smmu: the SMMUv3 model (owned, or borrowed from a Manager)."""
from __future__ import annotations

import weakref
from typing import Optional

from . import capi
from ._errors import StateError


class Smmu:
    """``Smmu(iotlb_entries=...)`` makes a standalone model; ``Manager.smmu``
    lends the manager's (valid while the manager is open)."""

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

    @property
    def _handle(self):
        if self._h is None or (self._owner is not None and self._owner.closed):
            raise StateError("the SMMU model is closed (or its manager is)")
        return self._h
