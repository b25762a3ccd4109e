"""vmaccel.Error and one subclass per VMACCEL_E* code.

The SWIG layer (bindings/vmaccel.i) turns every negative return code into
one of these through _from_code(), with the detailed message that
vmaccel_error_last() gave on the thread that made the call.
"""
from __future__ import annotations

from typing import Dict, Type


class Error(Exception):
    """A libvmaccel call failed. ``code`` is the negative VMACCEL_E* value,
    ``name`` its symbolic name and ``message`` the library's detailed text."""

    code: int = 0
    name: str = "VMACCEL_ERROR"

    def __init__(self, message: str = "", code: int | None = None) -> None:
        if code is not None:
            self.code = code
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return f"{self.name}: {self.message}" if self.message else self.name


def _sub(name: str, code: int, *bases: type, doc: str) -> Type[Error]:
    return type(name, (Error, *bases), {"code": code, "__doc__": doc,
                                        "name": doc.split(":", 1)[0],
                                        "__module__": "vmaccel"})


InvalidArgument = _sub("InvalidArgument", -1, ValueError,
                       doc="VMACCEL_EINVAL: bad argument, or a freed/foreign handle.")
OutOfMemory = _sub("OutOfMemory", -2, MemoryError,
                   doc="VMACCEL_ENOMEM: out of memory or a fixed capacity reached.")
NotSupported = _sub("NotSupported", -3, doc="VMACCEL_ENOTSUP: not supported on this host or not built.")
NotFound = _sub("NotFound", -4, LookupError,
                doc="VMACCEL_ENOENT: no such object (file, VM, thread, node).")
PermissionDenied = _sub("PermissionDenied", -5, doc="VMACCEL_EPERM: the OS refused: missing privilege.")
StateError = _sub("StateError", -6, doc="VMACCEL_ESTATE: the call does not fit the object's state.")
IOFailure = _sub("IOFailure", -7, doc="VMACCEL_EIO: an OS call failed for another reason.")
ParseError = _sub("ParseError", -8, ValueError,
                  doc="VMACCEL_EPARSE: malformed input (XML, synthetic, JSON, ...).")
Timeout = _sub("Timeout", -9, doc="VMACCEL_ETIMEDOUT: a wait ran out.")
Gone = _sub("Gone", -10, doc="VMACCEL_EGONE: the VM, process or thread no longer exists.")
Busy = _sub("Busy", -11, doc="VMACCEL_EBUSY: resource in use, try again.")
OutOfRange = _sub("OutOfRange", -12, ValueError,
                  doc="VMACCEL_ERANGE: a value out of the accepted range.")
Again = _sub("Again", -13, doc="VMACCEL_EAGAIN: nothing available now (e.g. empty queue).")
Fault = _sub("Fault", -14, doc="VMACCEL_EFAULT: a translation or access faulted.")

_BY_CODE: Dict[int, Type[Error]] = {
    c.code: c for c in (InvalidArgument, OutOfMemory, NotSupported, NotFound,
                        PermissionDenied, StateError, IOFailure, ParseError,
                        Timeout, Gone, Busy, OutOfRange, Again, Fault)
}


def error_class(code: int) -> Type[Error]:
    """The Error subclass for a VMACCEL_E* code (Error for unknown codes)."""
    return _BY_CODE.get(code, Error)


def _from_code(code: int, message: bytes) -> Error:
    """Called from the SWIG wrapper with the failing call's code and message."""
    return error_class(code)(message.decode("utf-8", "replace"), code)
