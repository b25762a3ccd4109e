#!/usr/bin/env python3
"""Per-call cost of the Python binding: the raw SWIG call (GIL release,
out-parameter typemaps) and the Pythonic layer on top (close guard, dataclass
or enum conversion), for a trivial query and for a full protobuf report.

    python3 bench/bindings/call_overhead.py   (vmaccel installed, e.g. BUILD/python-venv)

VMACCEL_BENCH_QUICK=1: a hundredth of the calls, to check that it runs.
"""
import os
import timeit

import vmaccel
from vmaccel import capi

SYNTHETIC = "pack:2 numa:2 core:4 pu:2"


def per_call_us(stmt, number):
    if os.environ.get("VMACCEL_BENCH_QUICK"):
        number = max(1, number // 100)
    best = min(timeit.repeat(stmt, number=number, repeat=5))
    return best / number * 1e6


def main():
    with vmaccel.Manager(synthetic=SYNTHETIC) as m:
        m.setup_full()
        h = m._h
        rows = [
            ("capi.vmaccel_manager_numa_enabled (raw SWIG)",
             lambda: capi.vmaccel_manager_numa_enabled(h), 200000),
            ("Manager.is_numa_enabled", lambda: m.is_numa_enabled, 200000),
            ("capi.vmaccel_manager_report pb (raw SWIG)",
             lambda: capi.vmaccel_manager_report(h, 0), 2000),
            ("Manager.report() (bytes + protobuf decode)", m.report, 2000),
        ]
        for name, fn, n in rows:
            print(f"{name:48} {per_call_us(fn, n):9.3f} us/call")


if __name__ == "__main__":
    main()
