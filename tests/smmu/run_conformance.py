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


# Malformed scenarios: each must fail with exit status 1 and a message on
# stderr naming the problem, never a crash.
MALFORMED = {
    "not_json": ("{", "not readable JSON"),
    "not_object": ("[1]", "must be a JSON object"),
    "no_queries": ('{"memory":[]}', "queries"),
    "odd_hex": ('{"memory":[{"base":0,"hex":"abc"}],"queries":[]}', "odd number"),
    "bad_hex": ('{"memory":[{"base":0,"hex":"zz"}],"queries":[]}', "non-hex"),
    "both_sources": ('{"memory":[{"base":0,"hex":"00","file":"x"}],"queries":[]}', "exactly one"),
    "missing_file": ('{"memory":[{"base":0,"file":"/nonexistent/x.bin"}],"queries":[]}', "cannot open"),
    "wrapping": ('{"memory":[{"base":"0xffffffffffffffff","hex":"0000"}],"queries":[]}', "wraps"),
    "negative": ('{"queries":[{"sid":-1,"iova":0,"access":"r"}]}', "sid"),
    "bad_number": ('{"queries":[{"sid":1,"iova":"0x12zz","access":"r"}]}', "iova"),
    "bad_access": ('{"queries":[{"sid":1,"iova":0,"access":"q"}]}', "access"),
    "bad_priv": ('{"queries":[{"sid":1,"iova":0,"access":"r","priv":1}]}', "priv"),
    "big_ssid": ('{"queries":[{"sid":1,"ssid":"0x100000","iova":0,"access":"r"}]}', "ssid"),
    "unknown_reg": ('{"registers":{"CR9":1},"queries":[]}', "CR9"),
    "wide_reg": ('{"registers":{"CR0":"0x100000000"},"queries":[]}', "32-bit"),
    "query_type": ('{"queries":[7]}', "queries[0]"),
    "ops_type": ('{"ops":{},"queries":[]}', '"ops" must be an array'),
    "op_type": ('{"ops":[1],"queries":[]}', "ops[0] must be an object"),
    "op_two": ('{"ops":[{"write":32,"read":32}],"queries":[]}', "exactly one"),
    "op_none": ('{"ops":[{"size":4}],"queries":[]}', "exactly one"),
    "op_size": ('{"ops":[{"read":32,"size":2}],"queries":[]}', "4 or 8"),
    "op_no_value": ('{"ops":[{"write":32}],"queries":[]}', '"value" is missing'),
    "op_wide": ('{"ops":[{"write":32,"value":"0x100000000"}],"queries":[]}', "32 bits"),
    "op_not_64bit": ('{"ops":[{"read":32,"size":8}],"queries":[]}', "not 64-bit"),
    "op_translate": ('{"ops":[{"translate":{"sid":1}}],"queries":[]}', "ops[0]"),
    "op_dump_length": ('{"ops":[{"dump":0,"length":4097}],"queries":[]}', "1 to 4096"),
    "op_dump_outside": ('{"ops":[{"dump":0,"length":8}],"queries":[]}', "not all in the image"),
    "hex_offset": ('{"memory":[{"base":0,"hex":"00","offset":0}],"queries":[]}', "go with"),
    "file_offset": ('{"memory":[{"base":0,"file":"/dev/null","offset":1}],"queries":[]}',
                    "shorter than"),
    "file_length": ('{"memory":[{"base":0,"file":"/dev/null","length":1}],"queries":[]}',
                    "beyond its"),
    "unknown_step": ('{"queries":[{"reboot":1}]}', "unknown step"),
    "two_kinds": ('{"queries":[{"ats":{},"read64":"0x0"}]}', "one kind"),
    "bad_atc": ('{"atc":"maybe","queries":[]}', "atc"),
    "ats_no_sid": ('{"queries":[{"ats":{"iova":0}}]}', "sid"),
    "read64_outside": ('{"queries":[{"read64":"0x10"}]}', "outside"),
    "stall_wait_none": ('{"queries":[{"stall_wait":0}]}', "names no stall"),
    "resume_no_stall": ('{"queries":[{"resume":{"event":0}}]}', "not a stall record"),
    "commands_shape": ('{"queries":[{"commands":[[1]]}]}', "commands[0]"),
    "ppr_stop_no_ssid": ('{"queries":[{"page_request":{"sid":1,"addr":0,"prgi":1,'
                         '"stop":true}}]}', "PASID"),
}


def matches(got, want):
    """Equality, except that '?' in an expected string matches any one
    character (fields the spec leaves to the SMMU, such as a STAG)."""
    if isinstance(want, str) and "?" in want:
        return (isinstance(got, str) and len(got) == len(want) and
                all(w in ("?", g) for g, w in zip(got, want)))
    if isinstance(want, dict):
        return (isinstance(got, dict) and got.keys() == want.keys() and
                all(matches(got[k], want[k]) for k in want))
    if isinstance(want, list):
        return (isinstance(got, list) and len(got) == len(want) and
                all(matches(g, w) for g, w in zip(got, want)))
    return got == want


def malformed(cli, out_dir):
    failures = 0
    for name, (text, words) in MALFORMED.items():
        path = os.path.join(out_dir, "malformed_" + name + ".json")
        with open(path, "w") as f:
            f.write(text)
        p = subprocess.run([cli, "smmu", "replay", path], capture_output=True,
                           text=True, timeout=60)
        if p.returncode != 1 or words not in p.stderr:
            failures += 1
            print(f"FAIL malformed {name}: exit {p.returncode}, stderr {p.stderr!r}")
    return failures


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
        scenario = sc.json()
        if sc.name.startswith("s1_4k"):
            # the same image through "file" (relative to the scenario)
            mem = scenario["memory"][0]
            blob = sc.name + ".bin"
            with open(os.path.join(out_dir, blob), "wb") as f:
                f.write(bytes.fromhex(mem.pop("hex")))
            mem["file"] = blob
        with open(path, "w") as f:
            json.dump(scenario, f)
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
        if getattr(sc, "priq_records", None) is not None:
            expect.append(sc.priq_records)
        if len(lines) != len(expect):
            print(f"FAIL {sc.name}: {len(lines)} lines, expected {len(expect)}")
            failures += 1
            continue
        for i, (got, want) in enumerate(zip(lines, expect)):
            checked += 1
            if not matches(got, want):
                failures += 1
                query = sc.queries[i] if i < len(sc.queries) else "events"
                print(f"FAIL {sc.name}[{i}] {query}\n  got  {got}\n  want {want}")
    if not only:
        failures += malformed(cli, out_dir)
    print(f"{ran} scenarios, {checked} answers checked, {failures} failures "
          f"(scenarios in {out_dir})")
    return 1 if failures or not ran else 0


if __name__ == "__main__":
    sys.exit(main())
