#!/usr/bin/env python3
"""Detect the host (or a synthetic one), set up every acceleration it
supports, say why any component was skipped, and print the report.

    python3 examples/python/host_report.py [--synthetic "pack:2 numa:2 core:4 pu:2"] [--json]
"""
import argparse

import vmaccel


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--synthetic", help="hwloc synthetic topology instead of this host")
    ap.add_argument("--json", action="store_true", help="print the whole report as JSON")
    args = ap.parse_args()
    try:
        with vmaccel.Manager(synthetic=args.synthetic) as m:
            m.setup_full()
            topo = m.topology
            print(f"{topo.count(vmaccel.ObjectKind.PU)} CPUs in "
                  f"{topo.count(vmaccel.ObjectKind.NUMA_NODE)} NUMA nodes")
            for component, status in m.components.items():
                why = f" ({status.reason})" if status.reason else ""
                print(f"{component.name.lower():14} {status.state.name.lower()}{why}")
            report = m.report()
            print(report.to_json() if args.json else
                  f"report: {report.ByteSize()} bytes, library {report.library_version}")
    except vmaccel.Error as e:
        print(f"vmaccel: {e}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
