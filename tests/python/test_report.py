import json

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
