"""The same scenario through the C CLI and through Python gives the same
protobuf bytes (bindings/go/vmaccel_test.go checks Go against the CLI)."""
import os
import subprocess

import pytest

import vmaccel
from conftest import ROOT, SYNTHETIC, TIMESTAMP


def test_python_report_bytes_equal_c(manager, monkeypatch):
    cli = os.environ.get("VMACCEL_CLI")
    if not cli:
        pytest.skip("VMACCEL_CLI (the vmaccel binary) not set; run through ctest")
    monkeypatch.setenv("VMACCEL_REPORT_TIMESTAMP", TIMESTAMP)
    manager.setup_full()
    py = manager.report_bytes(vmaccel.Format.PROTOBUF)
    c = subprocess.run([cli, "report", "--format", "pb", "--setup-full",
                        "--synthetic", SYNTHETIC, "--sysfs", ROOT, "--devfs", ROOT,
                        "--devicetree", ROOT], check=True, capture_output=True).stdout
    assert py == c
    assert vmaccel.pb.DiagnosticReport.FromString(py).timestamp_ns == int(TIMESTAMP)
