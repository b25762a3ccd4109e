"""The one SWIG interface covers the whole public C API, and the generated
protobuf classes match proto/vmaccel.proto."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

import vmaccel
from vmaccel import capi

ROOT = Path(__file__).resolve().parents[2]
HEADERS = sorted((ROOT / "capi/include/vmaccel").glob("*.h"))
IFACE = (ROOT / "bindings/vmaccel.i").read_text()


def _headers_text():
    text = "\n".join(h.read_text() for h in HEADERS)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


# Left out on purpose: C callbacks run on the loop thread, where no Python or
# Go code may run (DESIGN.md); the bindings read the pull queue instead. The
# SMMU's endpoint callbacks run under the model's lock: the bindings install
# C callbacks that queue the messages (va_swig_smmu_use_endpoint).
NOT_WRAPPED = {"vmaccel_subscribe", "vmaccel_unsubscribe", "vmaccel_smmu_set_endpoint_ops"}


def test_every_public_function_is_wrapped():
    names = set(re.findall(r"VMACCEL_API[^;(]*?\b(vmaccel_\w+)\s*\(", _headers_text()))
    assert len(names) > 20
    missing = sorted(n for n in names - NOT_WRAPPED if not hasattr(capi, n))
    assert not missing, f"not wrapped by bindings/vmaccel.i: {missing}"
    assert not any(hasattr(capi, n) for n in NOT_WRAPPED)


def test_every_header_is_included_by_the_interface():
    for h in HEADERS:
        if h.name != "vmaccel.h":
            assert f"%include <vmaccel/{h.name}>" in IFACE, h.name
            assert f"#include <vmaccel/{h.name}>" in IFACE or \
                f"#include \"{h.name}\"" in (ROOT / "capi/include/vmaccel/vmaccel.h").read_text(), h.name


def test_buffer_shaped_parameters_are_listed_in_the_interface():
    """SWIG matches multi-argument typemaps by name: a header parameter list
    of a buffer shape must be %apply'd in bindings/vmaccel.i."""
    text = _headers_text()
    shapes = [r"(?<!const )unsigned\s*\*\s*(\w+),\s*size_t\s+(\w+)",
              r"(?<!const )char\s*\*\s*(\w+),\s*size_t\s+(\w+)",
              r"const unsigned\s*\*\s*(\w+),\s*size_t\s+(\w+)",
              r"const uint64_t\s*\*\s*(\w+),\s*size_t\s+(\w+)",
              r"const uint8_t\s*\*\s*(\w+),\s*size_t\s+(\w+)"]
    for shape in shapes:
        for a, b in set(re.findall(shape, text)):
            assert re.search(rf"\*{a},\s*size_t {b}\b", IFACE), (a, b)


def test_int_struct_members_read_as_ints():
    """The error typemap on `int` must not reach struct member getters: every
    `int x;` member of a header struct reads as an int (0), not None."""
    int_members = set(re.findall(r"^\s+int\s+(\w+);", _headers_text(), flags=re.M))
    assert int_members
    seen = set()
    for name, cls in vars(capi).items():
        if not (isinstance(cls, type) and name.startswith("vmaccel_")):
            continue
        try:
            obj = cls()
        except Exception:
            continue
        for attr in int_members & set(vars(cls)):
            seen.add(attr)
            assert isinstance(getattr(obj, attr), int), f"{name}.{attr} is not an int"
    assert seen == int_members


def test_versioned_structs_start_initialised():
    assert capi.vmaccel_pu_info().version == capi.VMACCEL_PU_INFO_VERSION
    assert capi.vmaccel_manager_options().version == capi.VMACCEL_MANAGER_OPTIONS_VERSION
    t = capi.vmaccel_topology_options()
    t.synthetic = "pack:1 pu:2"
    t.synthetic = "pack:1 pu:4"  # the setter owns and replaces its copy
    assert t.synthetic == "pack:1 pu:4"


def test_generated_protobuf_matches_the_schema(tmp_path):
    pytest.importorskip("grpc_tools")
    from google.protobuf import descriptor_pb2
    out = tmp_path / "set.pb"
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{ROOT / 'proto'}",
                    f"--descriptor_set_out={out}", str(ROOT / "proto/vmaccel.proto")],
                   check=True)
    fresh = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file[0]
    ours = descriptor_pb2.FileDescriptorProto()
    vmaccel.pb.DESCRIPTOR.CopyToProto(ours)
    for message in fresh.message_type:  # CopyToProto leaves json_name out
        for field in message.field:
            field.ClearField("json_name")
    assert ours == fresh, "vmaccel_pb2 is stale: reinstall bindings/python"


def test_type_stub_declares_the_public_api():
    import ast
    stub = Path(vmaccel.__file__).with_suffix(".pyi")
    tree = ast.parse(stub.read_text())
    declared = {n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
    declared |= {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom)
                 for a in n.names}
    missing = sorted(set(vmaccel.__all__) - declared)
    assert not missing, f"vmaccel/__init__.pyi lacks {missing}"


def _stub_classes():
    import ast
    tree = ast.parse(Path(vmaccel.__file__).with_suffix(".pyi").read_text())
    out = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names = set()
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    names.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    names.add(item.target.id)
                elif isinstance(item, ast.Assign):
                    names |= {t.id for t in item.targets if isinstance(t, ast.Name)}
            out[node.name] = names
    return out


def test_type_stub_declares_every_public_member():
    """Editors complete what the stub declares: every public method,
    property, dataclass field and enum member of the exported classes."""
    import dataclasses
    import enum
    stub = _stub_classes()
    gaps = {}
    for name in vmaccel.__all__:
        cls = getattr(vmaccel, name)
        if not isinstance(cls, type) or issubclass(cls, BaseException) or name not in stub:
            continue
        if issubclass(cls, enum.Enum):
            public = set(cls.__members__)
        else:
            public = {n for n in vars(cls) if not n.startswith("_")}
            for base in cls.__mro__[1:]:  # mixins of the Pythonic layer
                if base.__module__.startswith("vmaccel"):
                    public |= {n for n in vars(base) if not n.startswith("_")}
            if dataclasses.is_dataclass(cls):
                public |= {f.name for f in dataclasses.fields(cls)}
        missing = public - stub[name]
        if missing:
            gaps[name] = sorted(missing)
    assert not gaps, f"vmaccel/__init__.pyi lacks {gaps}"
