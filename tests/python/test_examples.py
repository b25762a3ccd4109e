"""The Python examples under examples/python run against the installed package."""
import json
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples/python"


def test_host_report_example():
    out = subprocess.run([sys.executable, str(EXAMPLES / "host_report.py"),
                          "--synthetic", "pack:2 numa:2 core:4 pu:2", "--json"],
                         check=True, capture_output=True, text=True).stdout
    lines = out.splitlines()
    assert lines[0] == "32 CPUs in 4 NUMA nodes"
    assert any(l.split()[:2] == ["numa", "on"] for l in lines)
    report = json.loads(out[out.index("{"):])
    assert report["manager"]["numaEnabled"] is True
