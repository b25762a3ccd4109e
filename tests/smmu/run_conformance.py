#!/usr/bin/env python3
"""Runs the SMMUv3 conformance vectors through `vmaccel smmu replay`.

usage: run_conformance.py VMACCEL_CLI [OUT_DIR] [-k NAME]
Writes each scenario to OUT_DIR (for debugging and as fuzz seeds) and
compares every output line with the answer vectors.py gives.
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vectors import all_scenarios  # noqa: E402


def main():
    args = [a for a in sys.argv[1:]]
    only = None
    if "-k" in args:
        i = args.index("-k")
        only = args[i + 1]
        del args[i:i + 2]
    cli = args[0]
    out_dir = args[1] if len(args) > 1 else tempfile.mkdtemp(prefix="smmu-vectors-")
    os.makedirs(out_dir, exist_ok=True)
    failures, checked, ran = 0, 0, 0
    for sc in all_scenarios():
        if only and only not in sc.name:
            continue
        ran += 1
        path = os.path.join(out_dir, sc.name + ".json")
        with open(path, "w") as f:
            json.dump(sc.json(), f)
        p = subprocess.run([cli, "smmu", "replay", path], capture_output=True,
                           text=True, timeout=60)
        if p.returncode != 0:
            print(f"FAIL {sc.name}: exit {p.returncode}: {p.stderr.strip()}")
            failures += 1
            continue
        lines = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
        expect = list(sc.expect)
        if getattr(sc, "events", None) is not None:
            expect.append(sc.events)
        if len(lines) != len(expect):
            print(f"FAIL {sc.name}: {len(lines)} lines, expected {len(expect)}")
            failures += 1
            continue
        for i, (got, want) in enumerate(zip(lines, expect)):
            checked += 1
            if got != want:
                failures += 1
                query = sc.queries[i] if i < len(sc.queries) else "events"
                print(f"FAIL {sc.name}[{i}] {query}\n  got  {got}\n  want {want}")
    print(f"{ran} scenarios, {checked} answers checked, {failures} failures "
          f"(scenarios in {out_dir})")
    return 1 if failures or not ran else 0


if __name__ == "__main__":
    sys.exit(main())
