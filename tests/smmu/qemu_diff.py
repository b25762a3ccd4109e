#!/usr/bin/env python3
"""Differential conformance: vm-accel's SMMUv3 model against QEMU's.

Linux's arm-smmu-v3 driver programmed QEMU's SMMUv3 (a guest doing DMA
through virtio devices, tests/e2e/smmu_guest/capture.sh); QEMU traced what it
did and the guest's RAM was saved with the VM stopped. This replays the same
inputs into the model through `vmaccel smmu replay` and compares:
  registers  every register access the driver made, in order, through the
             MMIO front end: writes are replayed, reads must return what QEMU
             returned (the ID registers differ by design: they say what each
             implementation has);
  queue      the command queue exactly as Linux left it in memory: the ring
             must hold the commands QEMU consumed, in order, and after each
             CMDQ_PROD write the model's CMDQ_CONS and GERROR must be QEMU's;
  live       every traced translation whose tables are still live in the
             image: the model must give QEMU's output address, permissions and
             page or block size (or its fault). Live means: every descriptor
             the walk behind it read (per the trace) still holds the traced
             value, and no CMD_CFGI_* of its stream (nor a change of SMMUEN or
             of the stream table) came after it;
  historical every other translation whose configuration is still the same:
             the image with the descriptors the trace says its walk read laid
             over it (a few replays, each holding walks that do not conflict);
  decode     what QEMU's trace says it decoded, against the spec's reading of
             the same structure in the image (the L1STD Span);
  stale hits QEMU alone: translations it served from an IOTLB entry a TLBI
             had covered.
Differences the spec explains are listed in KNOWN with the section of IHI
0070 that decides them; any other difference fails the run. The findings are
written up in tests/smmu/qemu/RESULTS.md.

usage:
  qemu_diff.py VMACCEL RECORDING_DIR [--work DIR] [--results FILE] [-v]
      a committed recording (qemu_recording.py describes the format)
  qemu_diff.py VMACCEL --trace TRACE --ram RAM.bin [--ram-base ADDR]
               [--save RECORDING_DIR] [--work DIR] [--results FILE] [-v]
      a live capture (the whole RAM from pmemsave); --save writes a trimmed
      recording of it
Exit status: 0 when every difference is a known one, 1 otherwise, 2 on bad
input.
"""
import argparse
import json
import lzma
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu_recording  # noqa: E402
import qemu_trace  # noqa: E402

CMDQ_CONS, GERROR, IDR1 = 0x9C, 0x60, 0x04

# Command opcodes (IHI 0070 4.1.1) by the names QEMU's trace gives them.
OPCODES = {
    0x01: "PREFETCH_CONFIG", 0x02: "PREFETCH_ADDR", 0x03: "CFGI_STE", 0x04: "CFGI_STE_RANGE",
    0x05: "CFGI_CD", 0x06: "CFGI_CD_ALL", 0x07: "CFGI_VMS_PIDM", 0x10: "TLBI_NH_ALL",
    0x11: "TLBI_NH_ASID", 0x12: "TLBI_NH_VA", 0x13: "TLBI_NH_VAA", 0x18: "TLBI_EL3_ALL",
    0x1A: "TLBI_EL3_VA", 0x20: "TLBI_EL2_ALL", 0x21: "TLBI_EL2_ASID", 0x22: "TLBI_EL2_VA",
    0x23: "TLBI_EL2_VAA", 0x28: "TLBI_S12_VMALL", 0x2A: "TLBI_S2_IPA", 0x30: "TLBI_NSNH_ALL",
    0x40: "ATC_INV", 0x41: "PRI_RESP", 0x44: "RESUME", 0x45: "STALL_TERM", 0x46: "SYNC",
}


def live(t, img, x):
    """'live', or why the translation's tables are not."""
    if not qemu_trace.config_live(t, x):
        return "config changed since"
    if x["how"] == "disable":
        return "SMMU disabled then"
    if x["descs"] is None:
        return "no walk in the trace"
    for addr, value in x["descs"]:
        now = img.read64(addr)
        if now is None:
            return "descriptor outside the image"
        if now != value:
            return "tables changed since"
    return "live"


def last_write(t, offset):
    for op in reversed(t.mmio):
        if op["op"] == "w" and op["offset"] == offset:
            return op["value"]
    return None


def cmdq_ring(t):
    """(base address, LOG2SIZE) of the command queue the driver set last."""
    v = last_write(t, qemu_trace.CMDQ_BASE) or 0
    return v & ((1 << 52) - 1) & ~31, v & 31


def event_slots(t, n):
    """Addresses of the event queue entries QEMU wrote its first n records
    to: the queue was enabled once, so record i went to entry i."""
    v = last_write(t, qemu_trace.EVENTQ_BASE) or 0
    base, log2 = v & ((1 << 52) - 1) & ~31, v & 31
    return [base + 32 * (i % (1 << log2)) for i in range(n)]


# QEMU makes register pages 0 and 1 aliases (a CONSTRAINED UNPREDICTABLE
# choice) and traces offsets without the page; of what Linux accesses,
# only the event queue's PROD and CONS live in page 1 (IHI 0070 6.2).
PAGE1 = {0xA8, 0xAC, 0xC8, 0xCC}


def model_offset(traced):
    return traced | 0x10000 if traced in PAGE1 else traced


def fault_query(x, img, slots):
    """The query of a faulting translation. The trace has the page of its
    address only, and not the transaction's attributes: the offset in the
    page, RnW and PnU come from the record QEMU wrote (so the comparison of
    the records checks the other fields)."""
    q = {"sid": x["sid"], "iova": hex(x["iova"]), "access": "r"}
    i = x.get("event_index")
    raw = img.read(slots[i], 32) if i is not None and i < len(slots) else None
    if raw:
        rec = event_fields(raw)
        if rec["InputAddr"] >> 12 == x["iova"] >> 12:
            q["iova"] = hex(rec["InputAddr"])
        q["access"] = "r" if rec["RnW"] else "w"
        q["priv"] = bool(rec["PnU"])
    return q


def replay_ops(t, img, faults, slots):
    """The ops of the replay in trace order (register accesses, and the
    translations that faulted, since their event records move the event
    queue the driver reads), then dumps of the event queue entries; and
    what each output line must say."""
    ops, expect = [], []
    _, log2 = cmdq_ring(t)
    steps = sorted([(op["line"], "mmio", op) for op in t.mmio] +
                   [(x["line"], "fault", x) for x in faults], key=lambda s: s[0])
    for _, kind, op in steps:
        if kind == "fault":
            ops.append({"translate": fault_query(op, img, slots)})
            expect.append(("fault", op, None))
        elif op["op"] == "r":
            ops.append({"read": hex(model_offset(op["offset"])), "size": op["size"]})
            expect.append(("read", op, op["value"]))
        else:
            ops.append({"write": hex(model_offset(op["offset"])), "value": hex(op["value"]),
                        "size": op["size"]})
            if op["offset"] == qemu_trace.CMDQ_PROD:
                # Checks of our own after each doorbell: QEMU's consumer
                # state and global errors at that point.
                _, cons, _, cwrap = op["cmdq_after"]
                ops.append({"read": hex(CMDQ_CONS)})
                expect.append(("cmdq", op, cons | cwrap << log2))
                ops.append({"read": hex(GERROR)})
                expect.append(("gerror", op, op["gerror_after"]))
    for i, addr in enumerate(slots):
        ops.append({"dump": hex(addr), "length": 32})
        expect.append(("event", {"index": i, "addr": addr}, None))
    return ops, expect


def query(x):
    # QEMU does not trace whether a successful access was a read or a write;
    # a read is allowed wherever Linux maps (stage-1 AP[1] set, so EL0 may
    # read), and the model reports every permission of the page.
    return {"sid": x["sid"], "iova": hex(x["iova"]), "access": "r"}


def qemu_perm(p):
    return ("r" if p & 1 else "") + ("w" if p & 2 else "")


def compare_register(kind, op, want, got):
    value = int(got["value"], 0)
    if value == want:
        return None
    return {"kind": "id-register" if kind == "read" and op["offset"] in qemu_trace.ID_REGISTERS
            else kind, "line": op["line"], "offset": hex(op["offset"]), "qemu": hex(want),
            "model": hex(value)}


def compare_translation(x, got, when):
    if x["ok"]:
        q = {"ok": True, "pa": hex(x["pa"]), "perm": qemu_perm(x["perm"])}
    else:
        q = {"ok": False, "event": x["event"]}
    m = {"ok": bool(got.get("ok"))}
    if m["ok"]:
        m["pa"] = got["pa"]
        m["perm"] = got["perm"].replace("x", "")  # QEMU has no execute permission
        if x["ok"] and x.get("size"):  # the page or block of QEMU's IOTLB entry
            q["size"], m["size"] = x["size"], got["size"]
    else:
        m["event"] = "SMMU_EVT_" + got["event"] if got.get("event") else None
    if q == m:
        return None
    return {"kind": "translation", "when": when, "line": x["line"], "sid": x["sid"],
            "iova": hex(x["iova"]), "qemu": q, "model": m}


# Event record fields (IHI 0070 7.3): name, dword, high bit, low bit.
EVENT_FIELDS = [("type", 0, 7, 0), ("SSV", 0, 11, 11), ("SubstreamID", 0, 31, 12),
                ("StreamID", 0, 63, 32), ("STAG", 1, 15, 0), ("Stall", 1, 31, 31),
                ("PnU", 1, 33, 33), ("InD", 1, 34, 34), ("RnW", 1, 35, 35), ("S2", 1, 39, 39),
                ("CLASS", 1, 41, 40), ("NSIPA", 1, 63, 63), ("dword1 other", 1, 62, 42),
                ("InputAddr", 2, 63, 0), ("IPA/FetchAddr", 3, 63, 0)]


def event_fields(raw):
    d = [int.from_bytes(raw[8 * i:8 * i + 8], "little") for i in range(4)]
    return {name: (d[w] >> lo) & ((1 << (hi - lo + 1)) - 1) for name, w, hi, lo in EVENT_FIELDS}


def compare_event(slot, qemu_raw, got):
    model = event_fields(bytes.fromhex(got["hex"]))
    qemu = event_fields(qemu_raw)
    fields = {k: {"qemu": hex(qemu[k]), "model": hex(model[k])}
              for k, _, _, _ in EVENT_FIELDS if qemu[k] != model[k]}
    if not fields:
        return None
    return {"kind": "event-record", "index": slot["index"], "addr": hex(slot["addr"]),
            "event": hex(qemu["type"]), "fields": fields}


def ring_check(t, img):
    """The ring must hold what QEMU consumed: the replay's premise."""
    base, log2 = cmdq_ring(t)
    for i, name in enumerate(t.opcodes):
        raw = img.read(base + 16 * (i % (1 << log2)), 1)
        mine = OPCODES.get(raw[0], "0x%02x" % raw[0]) if raw else "outside the image"
        if "SMMU_CMD_" + mine != name:
            return [{"kind": "ring", "index": i, "qemu": name, "image": mine}]
    return []


def span_check(t, img):
    """QEMU's decode of each L1STD.Span against IHI 0070 5.1: 2^(Span-1)
    STEs for Span 1..SPLIT+1; 0, reserved or out-of-bounds Spans make the
    StreamIDs invalid."""
    diffs, seen = [], set()
    for lk in t.l1_lookups:
        l1 = img.read64(lk["l1ptr"])
        if l1 is None or (lk["l1ptr"], l1) in seen:
            continue
        seen.add((lk["l1ptr"], l1))
        span = l1 & 31
        spec = (1 << (span - 1)) - 1 if 1 <= span <= min(11, lk["split"] + 1) else -1
        if spec != lk["max_l2_ste"]:
            diffs.append({"kind": "l1std-span", "line": lk["line"], "l1ptr": hex(lk["l1ptr"]),
                          "span": span, "qemu_last_index": lk["max_l2_ste"],
                          "spec_last_index": spec})
    return diffs


def batches(xs):
    """Groups historical translations so that no two in a group need
    different values at one descriptor address."""
    groups = []
    for x in xs:
        for descs, members in groups:
            if all(descs.get(a, v) == v for a, v in x["descs"]):
                descs.update(x["descs"])
                members.append(x)
                break
        else:
            groups.append((dict(x["descs"]), [x]))
    return groups


class Replay:
    def __init__(self, cli, work):
        self.cli, self.work, self.runs = cli, work, 0

    def __call__(self, scenario):
        self.runs += 1
        path = os.path.join(self.work, "scenario-%d.json" % self.runs)
        with open(path, "w") as f:
            json.dump(scenario, f)
        p = subprocess.run([self.cli, "smmu", "replay", path], capture_output=True, text=True,
                           timeout=600)
        if p.returncode != 0:
            raise RuntimeError("vmaccel smmu replay %s failed (%d): %s"
                               % (path, p.returncode, p.stderr.strip()))
        out = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
        touched = [o["touched"] for o in out if "touched" in o]
        return [o for o in out if "touched" not in o], touched[0] if touched else []


class Diff:
    def __init__(self, t, img, memory, replay):
        self.t, self.img, self.memory, self.replay = t, img, memory, replay
        self.diffs, self.touched, self.counts = [], [], {}
        self.verdicts, self.kinds = {}, {}

    def run(self):
        t, img = self.t, self.img
        for x in t.xlates:
            v = live(t, img, x)
            self.verdicts[v] = self.verdicts.get(v, 0) + 1
            x["verdict"] = v
        self.diffs += ring_check(t, img) + span_check(t, img)
        self.live_pass()
        # From here on only the pages a recording keeps: the same replay
        # whether this is a live capture or a recording of it.
        base, log2 = cmdq_ring(t)
        self.pages = qemu_recording.pages_of(t, self.touched, base,
                                             min(len(t.opcodes), 1 << log2), self.slots)
        self.memory = qemu_recording.write_pages(os.path.join(self.replay.work, "pages.bin"),
                                                 img, self.pages)
        self.historical_pass()
        self.diffs += [dict(h, kind="stale-hit") for h in t.stale_hits]
        return self

    def live_pass(self):
        t = self.t
        faults = [x for x in t.xlates if not x["ok"] and x["verdict"] == "live"]
        slots = self.slots = event_slots(t, len(t.events))
        ops, expect = replay_ops(t, self.img, faults, slots)
        self.ops = [op for op in ops if "dump" not in op and "translate" not in op]
        xs = [x for x in t.xlates if x["ok"] and x["verdict"] == "live"]
        # The event queue entries start zeroed, so that what a dump shows
        # is what the model wrote (the image holds QEMU's records there).
        blank = [{"base": hex(a), "hex": "00" * 32} for a in slots]
        out, self.touched = self.replay({"memory": blank + self.memory, "ops": ops,
                                         "queries": [query(x) for x in xs],
                                         "print_touched": True})
        if len(out) != len(expect) + len(xs):
            raise RuntimeError("the replay printed %d results for %d checks"
                               % (len(out), len(expect) + len(xs)))
        for (kind, src, want), got in zip(expect, out):
            if kind == "fault":
                self.translation(src, got, "live")
                continue
            if kind == "event":
                d = compare_event(src, self.img.read(src["addr"], 32) or bytes(32), got)
            else:
                d = compare_register(kind, src, want, got)
            if d:
                self.diffs.append(d)
            self.count(kind, d)
        self.idr1 = next((int(got["value"], 0) for (k, op, _), got in zip(expect, out)
                          if k == "read" and op["offset"] == IDR1), None)
        for x, got in zip(xs, out[len(expect):]):
            self.translation(x, got, "live")

    def historical_pass(self):
        xs = [x for x in self.t.xlates if x["verdict"] == "tables changed since"]
        reads = sum(1 for op in self.ops if "read" in op)
        for descs, members in batches(xs):
            # The walk's descriptors as they were, laid over the image: the
            # replay reads the first region that holds an address.
            overlay = [{"base": hex(a), "hex": v.to_bytes(8, "little").hex()}
                       for a, v in sorted(descs.items())]
            out, _ = self.replay({"memory": overlay + self.memory, "ops": self.ops,
                                  "queries": [query(x) if x["ok"] else
                                              fault_query(x, self.img, self.slots)
                                              for x in members]})
            for x, got in zip(members, out[reads:]):
                self.translation(x, got, "historical")

    def translation(self, x, got, when):
        d = compare_translation(x, got, when)
        if d:
            self.diffs.append(d)
        self.count(when, d)
        k = "%s %s %s %s" % (when, x["how"], "%dK" % (x["size"] >> 10) if x.get("size") else "-",
                             qemu_perm(x["perm"]) if x["ok"] else x["event"])
        self.kinds[k] = self.kinds.get(k, 0) + 1

    def count(self, kind, d):
        n = self.counts.setdefault(kind, [0, 0])
        n[0] += 1
        n[1] += d is None

    def cmdq_limit(self):
        """Commands beyond the model's queue (IDR1.CMDQS caps LOG2SIZE)."""
        if self.idr1 is None:
            return None
        cmdqs = (self.idr1 >> 21) & 31
        _, log2 = cmdq_ring(self.t)
        cap = 1 << min(log2, cmdqs)
        return cap if len(self.t.opcodes) >= cap else None


# Differences whose cause is settled: a predicate over a difference, its
# class, and the reason with the spec section that decides it.
KNOWN = [
    {
        "id": "idr",
        "match": lambda d: d["kind"] == "id-register",
        "class": "configuration",
        "why": "SMMU_IDR0-5 describe each implementation (IHI 0070 6.3.1-6.3.6): QEMU 7.2 has "
               "stage 1 only, no MSIs, IDR3.BBML 2, OAS 44 bits, 2^19-entry queues; the model "
               "adds stage 2, MSIs, HYP, VMID16, 20-bit SSIDs with 2-level CD tables, OAS 48 "
               "and has 2^12-entry queues. The driver's later writes stay within what both "
               "offer (a queue LOG2SIZE above CMDQS is capped, 6.3.26).",
    },
    {
        "id": "qemu-l1std-span",
        "match": lambda d: d["kind"] == "l1std-span" and d["qemu_last_index"] ==
        (1 << d["span"]) - 1,
        "class": "QEMU bug",
        "why": "IHI 0070 5.1: an L1STD's Level 2 array holds 2^(Span-1) STEs, and 5.1.1: a "
               "StreamID beyond it, or a Span that is reserved (12-31) or above SPLIT+1, is "
               "invalid (C_BAD_STREAMID, recorded if CR2.RECINVSID). QEMU 7.2's smmu_find_ste "
               "allows 2^Span STEs and reports C_BAD_STE past them. Linux's Span = SPLIT+1 "
               "never lets an L2 index reach the extra half, so no translation differs.",
    },
    {
        "id": "qemu-event-class",
        "match": lambda d: d["kind"] == "event-record" and d["event"] in ("0x10", "0x11", "0x12",
                                                                         "0x13")
        and d["fields"] == {"CLASS": {"qemu": "0x0", "model": "0x2"}},
        "class": "QEMU bug",
        "why": "IHI 0070 7.3.13 (F_TRANSLATION, to which 7.3.14-7.3.16 refer for CLASS): a "
               "stage 1 fault on the transaction's own address records CLASS == IN (0b10). "
               "QEMU 7.2 never sets CLASS in these records, so they say 0b00, CD (a CD fetch "
               "fault). Every other field of its records agrees with the model's.",
    },
]


def classify(diffs):
    for d in diffs:
        for k in KNOWN:
            if k["match"](d):
                d["known"], d["class"] = k["id"], k["class"]
                break
    return [d for d in diffs if "known" not in d]


def report(diff, verbose):
    t = diff.t
    print("trace: %d lines, %d register accesses, %d commands consumed, %d translations"
          % (t.lines, len(t.mmio), len(t.opcodes), len(t.xlates)))
    print("liveness: " + ", ".join("%s %d" % kv for kv in sorted(diff.verdicts.items())))
    for kind in ("live", "historical", "read", "cmdq", "gerror", "event"):
        n, ok = diff.counts.get(kind, (0, 0))
        print("  %-10s compared %6d  matched %6d" % (kind, n, ok))
    print("  translations by source, size and permission: " +
          ", ".join("%s: %d" % kv for kv in sorted(diff.kinds.items())))
    print("  commands in the ring as QEMU consumed them: %d; L1STD decodes: %d; "
          "IOTLB hits on entries a TLBI had covered: %d; replays: %d"
          % (len(t.opcodes), len(t.l1_lookups), len(t.stale_hits), diff.replay.runs))
    for d in diff.diffs:
        if verbose or "known" not in d:
            print("  %s: %s" % (d.get("known", "DIFFERENT"), json.dumps(d)))
    for k in KNOWN:
        n = sum(1 for d in diff.diffs if d.get("known") == k["id"])
        if n:
            print("known difference %s (%s), %d instance(s): %s" % (k["id"], k["class"], n,
                                                                   k["why"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cli")
    ap.add_argument("recording", nargs="?")
    ap.add_argument("--trace")
    ap.add_argument("--ram")
    ap.add_argument("--ram-base", default="0x40000000")
    ap.add_argument("--save")
    ap.add_argument("--work")
    ap.add_argument("--results")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    if bool(a.recording) == bool(a.trace and a.ram):
        ap.error("give a RECORDING_DIR, or --trace and --ram")
    work = a.work or tempfile.mkdtemp(prefix="smmu-qemu-diff-")
    os.makedirs(work, exist_ok=True)
    try:
        if a.recording:
            lines, img, memory = qemu_recording.load(a.recording, work)
        else:
            lines, img, memory = qemu_recording.load_live(a.trace, a.ram, int(a.ram_base, 0))
        t = qemu_trace.parse(lines)
    except (OSError, ValueError, KeyError, lzma.LZMAError, qemu_trace.TraceError) as e:
        print("qemu_diff: %s" % e, file=sys.stderr)
        return 2

    try:
        diff = Diff(t, img, memory, Replay(a.cli, work)).run()
    except (OSError, RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
        print("qemu_diff: %s" % e, file=sys.stderr)
        return 1
    unknown = classify(diff.diffs)
    report(diff, a.verbose)
    limit = diff.cmdq_limit()
    if limit:
        print("qemu_diff: %d commands reach the model's %d-entry queue: the driver sized "
              "the ring for QEMU's IDR1.CMDQS; record a shorter run" % (len(t.opcodes), limit))
        return 1
    if a.save:
        n = qemu_recording.save(a.save, lines, img, diff.pages)
        print("saved %s: %d pages of RAM" % (a.save, n))
    if a.results:
        with open(a.results, "w") as f:
            json.dump({"trace_lines": t.lines, "register_accesses": len(t.mmio),
                       "commands": len(t.opcodes), "translations": len(t.xlates),
                       "liveness": diff.verdicts,
                       "compared": {k: {"compared": n, "matched": ok}
                                    for k, (n, ok) in diff.counts.items()},
                       "by_kind": diff.kinds, "stale_hits": len(t.stale_hits),
                       "differences": diff.diffs}, f, indent=1)
    if unknown:
        print("qemu_diff: %d unexplained difference(s)" % len(unknown))
        return 1
    print("qemu_diff: no unexplained difference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
