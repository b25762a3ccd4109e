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
        "EVENTQ_PROD": (0x100a8, 4), "EVENTQ_CONS": (0x100ac, 4),
        "PRIQ_BASE": (0xc0, 8), "PRIQ_IRQ_CFG2": (0xdc, 4), "PRIQ_PROD": (0x100c8, 4),
        "PRIQ_CONS": (0x100cc, 4), "CMDQ_CONS": (0x9c, 4), "CR0": (0x20, 4)}
# Harness op kinds (fuzz_smmu.c): MMIO write 0, read 2, translate 3, PCIe 5
# (ATS request, Translated, page request by flags >> 2), stall 6.
MMIO_W, MMIO_R, XLATE, PCIE, STALL = 0, 2, 3, 5, 6


def op(kind, flags, a, b, c):
    return struct.pack("<BBHIQQ", kind, flags, 0, a, b, c)


def access_bits(q):
    a = sum(bit for ch, bit in (("r", 1), ("w", 2), ("x", 4)) if ch in q.get("access", ""))
    return a | (8 if q.get("priv") else 0)


def mmio(name, value, write=True):
    off, size = REGS.get(name, (0, 4))
    return op(MMIO_W if write else MMIO_R, 0x80 | (1 if size == 8 else 2), off, value, 0)


class Encoder:
    """Turns a scenario into the harness's input: its memory image, register
    writes, then one or more operations per step. Commands are placed in the
    image's command queue up front, so their doorbell is one MMIO write."""

    def __init__(self, j):
        self.image = bytearray.fromhex(j["memory"][0]["hex"])
        self.regs = j["registers"]
        self.prod = 0

    def commands(self, cmds):
        base = int(self.regs.get("CMDQ_BASE", "0"), 16)
        log2 = min(base & 31, 12)
        for c0, c1 in cmds:
            at = (base & ~31) - MEM_BASE + (self.prod % (1 << log2)) * 16
            if 0 <= at <= len(self.image) - 16:
                self.image[at:at + 16] = (int(c0, 16).to_bytes(8, "little") +
                                          int(c1, 16).to_bytes(8, "little"))
            self.prod = (self.prod + 1) % (2 << log2)
        return mmio("CMDQ_PROD", self.prod)

    def step(self, q):
        if "sid" in q:
            flags, ssid = 2, 0
            if q.get("ssv"):
                flags |= 1
                ssid = q["ssid"]
            if q.get("stall"):
                return op(STALL, 1 | (2 if q.get("ssv") else 0), q["sid"], int(q["iova"], 16),
                          access_bits(q) | ssid << 32)
            return op(XLATE, flags, q["sid"], int(q["iova"], 16), access_bits(q) | ssid << 32)
        (kind, v), = q.items()
        if kind in ("ats", "translated", "page_request"):
            which = {"ats": 0, "translated": 1, "page_request": 2}[kind]
            addr = int(v.get("iova", v.get("pa", v.get("addr", "0"))), 16)
            ssid = v.get("ssid")
            c = access_bits(v) | (ssid or 0) << 32
            if kind == "page_request":
                c |= v["prgi"] << 8 | (1 if v.get("last") else 0) << 20 | \
                    (2 if v.get("stop") else 0) << 20
            return op(PCIE, which << 2 | 2 | (1 if ssid is not None else 0), v["sid"], addr, c)
        if kind == "commands":
            return self.commands(v)
        if kind == "write_reg":
            value = v["value"] if isinstance(v["value"], int) else int(v["value"], 16)
            return mmio(v["name"], value)
        if kind == "read_reg":
            return mmio(v, 0, write=False)
        if kind == "stall_wait":
            return op(STALL, 2, v, 0, 0)
        if kind == "atc_complete":
            return op(STALL, 0, 0, 0, 0)
        return b""                       # read64, write64, resume, endpoint


def encode(sc):
    j = sc.json()
    assert int(j["memory"][0]["base"], 16) == MEM_BASE
    e = Encoder(j)
    ops = b""
    for name in REGS:                    # CR0 last, as the CLI does
        if name in e.regs:
            v = int(e.regs[name], 16)
            if name == "GBPA":
                v |= 1 << 31
            ops += mmio(name, v)
    for q in j["queries"]:
        ops += e.step(q)
    if len(e.image) > min(MEM_MAX, SEED_MAX):
        return None
    return struct.pack("<I", len(e.image)) + bytes(e.image) + ops


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
