"""Shared fixtures for the Python binding tests (run by tests.cmake in a
virtualenv where `pip install bindings/python` put the package)."""
import pytest

import vmaccel

# The parity scenario shared with bindings/go/vmaccel_test.go and the C CLI:
# a synthetic two-package, four-node host and probe roots that do not exist.
SYNTHETIC = "pack:2 numa:2 core:4 pu:2"
ROOT = "/nonexistent-vmaccel-parity-root"
TIMESTAMP = "1700000000000000000"


@pytest.fixture
def manager():
    with vmaccel.Manager(synthetic=SYNTHETIC, sysfs_root=ROOT, devfs_root=ROOT,
                         devicetree_root=ROOT) as m:
        yield m
