import json

import pytest

import vmaccel
from conftest import SYNTHETIC, TIMESTAMP


def test_report_decodes_into_generated_classes(manager):
    manager.setup_full()
    r = manager.report()
    assert isinstance(r, vmaccel.pb.DiagnosticReport)
    assert r.topology.source == "synthetic:" + SYNTHETIC
    assert len(r.topology.pus) == 32 and len(r.topology.numa_nodes) == 4
    assert r.manager.numa_enabled and r.manager.smmu_initialized
    assert [c.name for c in r.manager.components] == ["smmu", "vcpu_affinity", "numa"]
    assert r.library_version == vmaccel.version()


def test_to_json_equals_the_c_json_rendering(manager, monkeypatch):
    """Python's json_format and the C library's JSON mapping agree."""
    monkeypatch.setenv("VMACCEL_REPORT_TIMESTAMP", TIMESTAMP)
    manager.setup_full()
    ours = json.loads(manager.report().to_json())
    theirs = json.loads(manager.report_bytes(vmaccel.Format.JSON))
    assert ours == theirs
    assert ours["timestampNs"] == TIMESTAMP


def test_text_report(manager):
    text = manager.report_bytes(vmaccel.Format.TEXT).decode()
    assert "synthetic:" + SYNTHETIC in text


def test_render_event_and_version(manager):
    import threading
    assert vmaccel.version_number() == sum(
        int(p) * f for p, f in zip(vmaccel.version().split("."), (10000, 100, 1)))
    with vmaccel.Manager() as live:
        vm = live.register([threading.get_native_id()], name="render-me")
        ev = live.next_event(2.0)
        assert ev.type == vmaccel.pb.EVENT_TYPE_VM_ATTACHED
        text = vmaccel.render_event(ev)
        assert "render-me" in text
        as_json = json.loads(vmaccel.render_event(ev.SerializeToString(), vmaccel.Format.JSON))
        assert as_json == json.loads(ev.to_json())
        vm.detach()
    with pytest.raises(vmaccel.ParseError):
        vmaccel.render_event(b"\xff\xff\xff")
