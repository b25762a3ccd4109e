"""Recordings of a guest programming QEMU's SMMUv3: the trace and guest RAM.

A live capture (tests/e2e/smmu_guest/capture.sh) has the whole RAM, as
QMP pmemsave wrote it. A committed recording (tests/smmu/qemu/NAME/) keeps
only the pages the tables and queues live in:
  trace.log.xz   QEMU's trace (-trace 'smmu*'), up to the moment RAM was saved
  ram.json       {"page_size": 4096, "runs": [{"base": "0x...", "pages": N,
                  "offset": BYTES}, ...]}: where each run of pages lies in ram.bin
  ram.bin.xz     the runs, one after the other
Pages kept: every page holding a table descriptor, STE, CD or L1 descriptor
QEMU read (from the trace), the command queue up to the last command QEMU
consumed, the event queue entries QEMU wrote, and every page the model
read or wrote when replaying against the whole RAM ("print_touched").
"""
import json
import lzma
import os
import struct

PAGE = 4096


class Image:
    """Guest memory as (base, bytes) regions."""

    def __init__(self, regions):
        self.regions = sorted(regions, key=lambda r: r[0])

    def read(self, addr, n):
        for base, data in self.regions:
            if base <= addr and addr + n <= base + len(data):
                return data[addr - base:addr - base + n]
        return None

    def read64(self, addr):
        b = self.read(addr, 8)
        return None if b is None else struct.unpack("<Q", b)[0]


def open_text(path):
    if path.endswith(".xz"):
        return lzma.open(path, "rt", errors="replace")
    return open(path, errors="replace")


def load(rec, work):
    """A committed recording -> (trace lines, Image, scenario memory). The
    pages are written to WORK/ram.bin for the replay to read."""
    with open(os.path.join(rec, "ram.json")) as f:
        index = json.load(f)
    with lzma.open(os.path.join(rec, "ram.bin.xz")) as f:
        data = f.read()
    blob = os.path.join(work, "ram.bin")
    with open(blob, "wb") as f:
        f.write(data)
    regions, memory = [], []
    for run in index["runs"]:
        base, offset, length = int(run["base"], 0), run["offset"], run["pages"] * PAGE
        if offset < 0 or length <= 0 or offset + length > len(data):
            raise ValueError("ram.json: run at %s lies outside ram.bin" % run["base"])
        regions.append((base, data[offset:offset + length]))
        memory.append({"base": hex(base), "file": blob, "offset": offset, "length": length})
    with open_text(os.path.join(rec, "trace.log.xz")) as f:
        lines = f.readlines()
    return lines, Image(regions), memory


def load_live(trace, ram, base):
    """A live capture: the trace and the whole RAM saved from `base`."""
    with open(ram, "rb") as f:
        data = f.read()
    with open_text(trace) as f:
        lines = f.readlines()
    return lines, Image([(base, data)]), [{"base": hex(base), "file": os.path.abspath(ram)}]


def pages_of(t, touched, cmdq_base, cmdq_entries, event_slots):
    """The page numbers a recording keeps (see the module comment)."""
    pages = {a // PAGE for a in event_slots}
    for addr, n in touched:
        first = int(addr, 0) // PAGE
        pages.update(range(first, first + n))
    for addr in t.descs | t.config:
        pages.update((addr // PAGE, (addr + 63) // PAGE))  # an STE or CD may cross a page
    if cmdq_entries:
        pages.update(range(cmdq_base // PAGE, (cmdq_base + 16 * cmdq_entries - 1) // PAGE + 1))
    return pages


def slice_pages(img, pages):
    """The `pages` of `img` that it has, as (runs, bytes): each run a dict
    of its guest address ("base"), "pages" and byte "offset"."""
    runs, blob = [], bytearray()
    for p in sorted(pages):
        data = img.read(p * PAGE, PAGE)
        if data is None:
            continue  # outside guest RAM
        if runs and int(runs[-1]["base"], 0) // PAGE + runs[-1]["pages"] == p:
            runs[-1]["pages"] += 1
        else:
            runs.append({"base": hex(p * PAGE), "pages": 1, "offset": len(blob)})
        blob += data
    return runs, bytes(blob)


def write_pages(path, img, pages):
    """Writes the pages to `path`; returns the scenario's memory regions."""
    runs, blob = slice_pages(img, pages)
    with open(path, "wb") as f:
        f.write(blob)
    return [{"base": r["base"], "file": os.path.abspath(path), "offset": r["offset"],
             "length": r["pages"] * PAGE} for r in runs]


def save(path, lines, img, pages):
    """Writes a recording of `lines` and the `pages` of `img`."""
    runs, blob = slice_pages(img, pages)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "ram.json"), "w") as f:
        json.dump({"page_size": PAGE, "runs": runs}, f, indent=1)
        f.write("\n")
    with lzma.open(os.path.join(path, "ram.bin.xz"), "wb", preset=9) as f:
        f.write(blob)
    with lzma.open(os.path.join(path, "trace.log.xz"), "wt", preset=9) as f:
        f.writelines(lines)
    return sum(r["pages"] for r in runs)
