#!/usr/bin/env python3
"""Writes seed inputs for fuzz_smmu from the SMMU conformance scenarios
(tests/smmu/vectors.py): the scenario's memory image, its register writes
and its queries, in the harness's input format (see fuzz_smmu.c).

usage: make_smmu_corpus.py OUT_DIR
"""
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "smmu"))
from vectors import all_scenarios  # noqa: E402

MEM_BASE = 0x4000_0000
MEM_MAX = 1 << 20
SEED_MAX = 160 << 10   # keep the committed corpus small
REGS = {"CR1": (0x28, 4), "CR2": (0x2c, 4), "GBPA": (0x44, 4), "IRQ_CTRL": (0x50, 4),
        "STRTAB_BASE": (0x80, 8), "STRTAB_BASE_CFG": (0x88, 4),
        "CMDQ_BASE": (0x90, 8), "EVENTQ_BASE": (0xa0, 8),
        "EVENTQ_PROD": (0x100a8, 4), "EVENTQ_CONS": (0x100ac, 4), "CR0": (0x20, 4)}


def op(kind, flags, a, b, c):
    return struct.pack("<BBHIQQ", kind, flags, 0, a, b, c)


def encode(sc):
    j = sc.json()
    mem = j["memory"][0]
    assert int(mem["base"], 16) == MEM_BASE
    image = bytes.fromhex(mem["hex"])
    if len(image) > min(MEM_MAX, SEED_MAX):
        return None
    out = struct.pack("<I", len(image)) + image
    regs = j["registers"]
    for name, (off, size) in REGS.items():   # CR0 last, as the CLI does
        if name in regs:
            v = int(regs[name], 16)
            if name == "GBPA":
                v |= 1 << 31
            out += op(0, 0x80 | (1 if size == 8 else 2), off, v, 0)
    for q in j["queries"]:
        access = sum(bit for ch, bit in (("r", 1), ("w", 2), ("x", 4)) if ch in q["access"])
        access |= 8 if q.get("priv") else 0
        flags = 2
        ssid = 0
        if q.get("ssv"):
            flags |= 1
            ssid = q["ssid"]
        out += op(3, flags, q["sid"], int(q["iova"], 16), access | ssid << 32)
    return out


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    n = 0
    for sc in all_scenarios():
        data = encode(sc)
        if data is None:
            continue
        with open(os.path.join(out_dir, sc.name), "wb") as f:
            f.write(data)
        n += 1
    print(f"wrote {n} seeds to {out_dir}")


if __name__ == "__main__":
    main()
