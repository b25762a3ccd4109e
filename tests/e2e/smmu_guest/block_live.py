#!/usr/bin/env python3
"""Is the newest 2 MiB block mapping QEMU walked still in guest RAM?

usage: block_live.py TRACE RAM.bin [RAM_BASE]
Finds the last smmu_ptw_block_pte line of QEMU's trace and compares the
descriptor it names with the same address in the RAM image (pmemsave of
guest RAM from RAM_BASE, default 0x40000000). Exit 0 when it is unchanged
(a block mapping is live in the image), 1 otherwise. capture.sh uses it
to stop the busy guest at a moment worth recording.
"""
import re
import struct
import sys


def main():
    trace, ram = sys.argv[1], sys.argv[2]
    base = int(sys.argv[3], 0) if len(sys.argv) > 3 else 0x40000000
    last = None
    with open(trace, errors="replace") as f:
        for line in f:
            if line.startswith("smmu_ptw_block_pte"):
                last = line
    m = last and re.search(r"pte@=(0x[0-9a-f]+) pte=(0x[0-9a-f]+)", last)
    if not m:
        return 1
    addr, value = int(m.group(1), 16), int(m.group(2), 16)
    with open(ram, "rb") as f:
        f.seek(addr - base)
        data = f.read(8)
    return 0 if len(data) == 8 and struct.unpack("<Q", data)[0] == value else 1


if __name__ == "__main__":
    sys.exit(main())
