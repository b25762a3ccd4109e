"""Reads the SMMUv3 trace of QEMU's log backend (`-trace 'smmu*'`).

The events and formats are those of QEMU 7.2 (hw/arm/trace-events), as
`qemu-system-aarch64 -trace help` lists them and its binary prints them,
one event per line: "NAME ARGS". Lines of other events, or of other
programs, are skipped; a line of a known event that does not parse is an
error naming its line number, since a silently dropped translation or
register write would make the comparison lie.

parse(lines) gives a Trace:
  mmio        register accesses in order: ("w"|"r", offset, value, size, line)
              and, after each write, the command-queue state QEMU reached
              (cmdq_after) and its GERROR (gerror_after);
  xlates      every translation: sid, iova, its result (pa and perm, or the
              event QEMU recorded) and the descriptors the walk behind it read
              (address, value), so that a replay can tell whether its tables
              are still live in a later memory image;
  opcodes     the commands QEMU consumed, in order;
  config      STE/CD/table addresses QEMU fetched (for trimming an image);
  stale_hits  translations QEMU served from an IOTLB entry that an earlier
              TLBI command covered, after the CMD_SYNC that completed it
              (IHI 0070 4.4: from then on no translation may use it).
"""
import re

_HEX = r"0x[0-9a-fA-F]+"

# name -> (regex of the arguments, field names); numbers are parsed by int(x, 0).
_EVENTS = {
    "smmuv3_write_mmio": (r"addr: (%s) val:(%s) size: (%s)\((-?\d+)\)" % (_HEX, _HEX, _HEX),
                          ("addr", "val", "size", "res")),
    "smmuv3_read_mmio": (r"addr: (%s) val:(%s) size: (%s)\((-?\d+)\)" % (_HEX, _HEX, _HEX),
                         ("addr", "val", "size", "res")),
    "smmuv3_cmdq_consume_out": (r"prod:(\d+), cons:(\d+), prod_wrap:(\d+), cons_wrap:(\d+)",
                                ("prod", "cons", "prod_wrap", "cons_wrap")),
    "smmuv3_cmdq_opcode": (r"<--- (\S+)", ("name",)),
    "smmuv3_cmdq_consume_error": (r"Error on (\S+) command execution: (\d+)",
                                  ("name", "err")),
    "smmuv3_write_gerror": (r"toggled=(%s), new GERROR=(%s)" % (_HEX, _HEX),
                            ("toggled", "gerror")),
    "smmu_iotlb_lookup_hit": (r"IOTLB cache HIT asid=(\d+) addr=(%s)" % _HEX, ("asid", "addr")),
    "smmu_iotlb_lookup_miss": (r"IOTLB cache MISS asid=(\d+) addr=(%s)" % _HEX, ("asid", "addr")),
    "smmu_iotlb_insert": (r"IOTLB \+\+ asid=(\d+) addr=(%s) tg=(\d+) level=(\d+)" % _HEX,
                          ("asid", "addr", "tg", "level")),
    "smmu_iotlb_inv_all": (r"IOTLB invalidate all", ()),
    "smmu_iotlb_inv_asid": (r"IOTLB invalidate asid=(\d+)", ("asid",)),
    "smmuv3_s1_range_inval": (r"vmid=(-?\d+) asid=(-?\d+) addr=(%s) tg=(\d+) num_pages=(%s) "
                              r"ttl=(\d+) leaf=(\d)" % (_HEX, _HEX),
                              ("vmid", "asid", "addr", "tg", "num_pages", "ttl", "leaf")),
    "smmu_get_pte": (r"baseaddr=(%s) index=(%s), pteaddr=(%s), pte=(%s)" % ((_HEX,) * 4),
                     ("base", "index", "pteaddr", "pte")),
    "smmuv3_translate_success": (r"(\S+) sid=(%s) iova=(%s) translated=(%s) perm=(%s)"
                                 % ((_HEX,) * 4), ("mr", "sid", "iova", "pa", "perm")),
    "smmuv3_translate_abort": (r"(\S+) sid=(%s) abort on iova:(%s) is_write=(\d)" % (_HEX, _HEX),
                               ("mr", "sid", "iova", "is_write")),
    "smmuv3_translate_bypass": (r"(\S+) sid=(%s) STE bypass iova:(%s) is_write=(\d)"
                                % (_HEX, _HEX), ("mr", "sid", "iova", "is_write")),
    "smmuv3_translate_disable": (r"(\S+) sid=(%s) bypass \(smmu disabled\) iova:(%s) "
                                 r"is_write=(\d)" % (_HEX, _HEX),
                                 ("mr", "sid", "iova", "is_write")),
    "smmuv3_record_event": (r"(\S+) sid=(%s)" % _HEX, ("type", "sid")),
    "smmuv3_cmdq_cfgi_ste": (r"streamid= (%s)" % _HEX, ("sid",)),
    "smmuv3_cmdq_cfgi_ste_range": (r"start=(%s) - end=(%s)" % (_HEX, _HEX), ("start", "end")),
    "smmuv3_cmdq_cfgi_cd": (r"sid=(%s)" % _HEX, ("sid",)),
    "smmuv3_get_ste": (r"STE addr: (%s)" % _HEX, ("addr",)),
    "smmuv3_get_cd": (r"CD addr: (%s)" % _HEX, ("addr",)),
    "smmuv3_find_ste": (r"sid=(%s) features:(%s), sid_split:(%s)" % ((_HEX,) * 3),
                        ("sid", "features", "split")),
    "smmuv3_find_ste_2lvl": (r"strtab_base:(%s) l1ptr:(%s) l1_off:(%s), l2ptr:(%s) l2_off:(%s) "
                             r"max_l2_ste:(\d+)" % ((_HEX,) * 5), ("base", "l1ptr", "l1_off", "l2ptr", "l2_off",
                                                 "max_l2_ste")),
}
_COMPILED = {name: (re.compile(rx + r"(?:\s.*)?$"), fields) for name, (rx, fields) in _EVENTS.items()}
_TEXT_FIELDS = {"name", "mr", "type"}

# Registers that say what an implementation has, not what software did:
# IDR0-5, IIDR, AIDR and the identification block.
ID_REGISTERS = set(range(0x0, 0x20, 4)) | set(range(0xfd0, 0x1000, 4))

CMDQ_BASE, CMDQ_PROD, EVENTQ_BASE = 0x90, 0x98, 0xA0


class TraceError(Exception):
    pass


def _fields(name, args, lineno):
    rx, names = _COMPILED[name]
    m = rx.match(args)
    if not m:
        raise TraceError("trace line %d: %s: cannot read %r" % (lineno, name, args))
    return {k: (v if k in _TEXT_FIELDS else int(v, 0)) for k, v in zip(names, m.groups())}


def events(lines):
    """Yields (lineno, name, fields) for every known event."""
    for lineno, line in enumerate(lines, 1):
        line = line.rstrip("\r\n")
        # The log backend may prefix "PID@SECONDS.USECS:" (-msg timestamp=on).
        m = re.match(r"^(?:\d+@\d+\.\d+:)?(smmu\w*)\s?(.*)$", line)
        if not m or m.group(1) not in _COMPILED:
            continue
        yield lineno, m.group(1), _fields(m.group(1), m.group(2), lineno)


def _level_size(tg, level):
    """Bytes one IOTLB entry of QEMU's (tg, level) covers."""
    gshift = {1: 12, 2: 14, 3: 16}.get(tg)
    if gshift is None or not 0 <= level <= 3:
        return None
    return 1 << (gshift + (gshift - 3) * (3 - level))


class Trace:
    def __init__(self):
        self.mmio = []       # dicts: op, offset, value, size, line, [cmdq_after, gerror_after]
        self.xlates = []     # dicts: sid, iova, ok, pa, perm, size, event, descs, line, how
        self.opcodes = []    # command names QEMU consumed, in order
        self.errors = []     # (command name, CERROR) QEMU reported
        self.config = set()  # addresses of STEs, CDs and L1 descriptors fetched
        self.descs = set()   # addresses of every table descriptor read
        self.events = []     # (type, sid) of every event QEMU recorded
        # Configuration changes: (line, first SID, last SID) of each
        # CMD_CFGI_* and, for all SIDs, each change of CR0.SMMUEN or of
        # the stream table base.
        self.cfg_changes = []
        self.stale_hits = [] # dicts: line of the hit, of the fill, of the TLBI
        # 2-level stream table lookups: line, sid, split, l1ptr, l2_off and
        # max_l2_ste, the last L2 index QEMU's decode of L1STD.Span allows.
        self.l1_lookups = []
        self.lines = 0


class _Entry:
    """An IOTLB fill QEMU traced, and the TLBI (if any) that covered it."""

    def __init__(self, asid, lo, tg, level, size, descs, line):
        self.asid, self.lo, self.hi, self.tg, self.level = asid, lo, lo + size, tg, level
        self.descs, self.line, self.killed_by = descs, line, None


class _Parser:
    def __init__(self):
        self.t = Trace()
        self.walk = []        # descriptors read since the last IOTLB miss
        self.lookup = None    # the last IOTLB lookup: (hit?, asid, addr)
        self.newest = {}      # (asid, lo) -> the newest IOTLB fill there
        self.sizes = set()    # the entry sizes seen
        self.alive = []       # fills no completed TLBI has covered
        self.pending = []     # TLBIs since the last CMD_SYNC: (line, covers)
        self.cmdq = (0, 0, 0, 0)
        self.gerror = 0
        self.looked = False   # an IOTLB lookup not yet ended by a translation
        self.find_ste = None  # the last stream table lookup begun
        self.line = 0

    def on_smmuv3_write_mmio(self, f, write=True):
        t = self.t
        op = {"op": "w" if write else "r", "offset": f["addr"], "value": f["val"],
              "size": f["size"], "line": self.line}
        if write:
            if _changes_config(op, t):
                t.cfg_changes.append((self.line, 0, 0xFFFFFFFF))
            # QEMU logs a write after handling it: the state it reached is
            # the one traced just before.
            op["cmdq_after"], op["gerror_after"] = self.cmdq, self.gerror
        t.mmio.append(op)

    def on_smmuv3_read_mmio(self, f):
        self.on_smmuv3_write_mmio(f, write=False)

    def on_smmuv3_cmdq_consume_out(self, f):
        self.cmdq = (f["prod"], f["cons"], f["prod_wrap"], f["cons_wrap"])

    def on_smmuv3_cmdq_consume_error(self, f):
        self.t.errors.append((f["name"], f["err"]))

    def on_smmuv3_write_gerror(self, f):
        self.gerror = f["gerror"]

    def on_smmu_iotlb_lookup_hit(self, f, hit=True):
        self.lookup, self.looked = (hit, f["asid"], f["addr"]), True
        if not hit:
            self.walk = []

    def on_smmu_iotlb_lookup_miss(self, f):
        self.on_smmu_iotlb_lookup_hit(f, hit=False)

    def on_smmu_get_pte(self, f):
        self.walk.append((f["pteaddr"], f["pte"]))
        self.t.descs.add(f["pteaddr"])

    def on_smmu_iotlb_insert(self, f):
        size = _level_size(f["tg"], f["level"])
        if size is None:
            raise TraceError("trace line %d: IOTLB entry of tg %d level %d"
                             % (self.line, f["tg"], f["level"]))
        e = _Entry(f["asid"], f["addr"], f["tg"], f["level"], size, list(self.walk), self.line)
        self.newest[(e.asid, e.lo)] = e
        self.sizes.add(size)
        self.alive.append(e)

    def _kill(self, covers):
        """A TLBI: it has completed at the next CMD_SYNC."""
        self.pending.append((self.line, covers))

    def on_smmuv3_cmdq_opcode(self, f):
        self.t.opcodes.append(f["name"])
        if f["name"] != "SMMU_CMD_SYNC":
            return
        keep = []
        for e in self.alive:
            by = next((line for line, covers in self.pending if e.line < line and covers(e)),
                      None)
            if by is not None:
                e.killed_by = by
            elif self.newest.get((e.asid, e.lo)) is e:
                keep.append(e)  # older fills of the same place are unreachable
        self.alive, self.pending = keep, []

    def _entry(self, asid, addr):
        """The newest fill of `asid` covering `addr`."""
        found = [self.newest.get((asid, addr & ~(size - 1))) for size in self.sizes]
        found = [e for e in found if e is not None and e.lo <= addr < e.hi]
        return max(found, key=lambda e: e.line) if found else None

    def on_smmu_iotlb_inv_all(self, f):
        self._kill(lambda e: True)

    def on_smmu_iotlb_inv_asid(self, f):
        self._kill(lambda e: e.asid == f["asid"])

    def on_smmuv3_s1_range_inval(self, f):
        gshift = {1: 12, 2: 14, 3: 16}.get(f["tg"], 12)
        lo = f["addr"]
        hi = lo + (f["num_pages"] << gshift if f["tg"] else 1)
        # With TG set, only entries of that granule and, with TTL set, of
        # that level need be invalidated (IHI 0070 4.4.1.1).
        self._kill(lambda e: (f["asid"] < 0 or e.asid == f["asid"]) and e.lo < hi and lo < e.hi
                   and (f["tg"] == 0 or f["tg"] == e.tg)
                   and (f["tg"] == 0 or f["ttl"] == 0 or f["ttl"] == e.level))

    def on_smmuv3_translate_success(self, f):
        self.looked = False
        x = {"sid": f["sid"], "iova": f["iova"], "ok": True, "pa": f["pa"], "perm": f["perm"],
             "event": None, "line": self.line, "descs": None, "how": None, "size": None}
        if self.lookup is not None:
            hit, asid, addr = self.lookup
            # Served by the newest fill of that ASID covering the address.
            e = self._entry(asid, addr)
            if e is not None:
                x["descs"], x["size"] = e.descs, e.hi - e.lo
                x["how"] = "iotlb" if hit else "walk"
                if hit and e.killed_by is not None:
                    self.t.stale_hits.append({"line": self.line, "filled": e.line,
                                              "tlbi": e.killed_by, "sid": f["sid"],
                                              "iova": f["iova"]})
        self.t.xlates.append(x)

    def on_smmuv3_record_event(self, f):
        # An event after an IOTLB lookup is that translation's fault: of a
        # walk, or of a hit QEMU checked permissions on. The trace has only
        # the page of its address (the lookup's); the event record QEMU
        # wrote holds the rest (event_index says which).
        self.t.events.append((f["type"], f["sid"]))
        if self.looked:
            hit, asid, addr = self.lookup
            e = self._entry(asid, addr) if hit else None
            self.t.xlates.append({"sid": f["sid"], "iova": addr, "ok": False,
                                  "event": f["type"], "size": None, "line": self.line,
                                  "descs": (e.descs if e else None) if hit else list(self.walk),
                                  "how": "iotlb" if hit else "walk",
                                  "event_index": len(self.t.events) - 1})
        self.looked = False

    def _untranslated(self, f, how):
        self.looked = False
        self.t.xlates.append({"sid": f["sid"], "iova": f["iova"], "line": self.line,
                              "ok": how != "abort", "pa": f["iova"], "perm": 3, "size": None,
                              "event": None, "descs": [], "how": how})

    def on_smmuv3_translate_bypass(self, f):
        self._untranslated(f, "bypass")

    def on_smmuv3_translate_disable(self, f):
        self._untranslated(f, "disable")

    def on_smmuv3_translate_abort(self, f):
        self._untranslated(f, "abort")

    def on_smmuv3_cmdq_cfgi_ste(self, f):
        self.t.cfg_changes.append((self.line, f["sid"], f["sid"]))

    on_smmuv3_cmdq_cfgi_cd = on_smmuv3_cmdq_cfgi_ste

    def on_smmuv3_cmdq_cfgi_ste_range(self, f):
        self.t.cfg_changes.append((self.line, f["start"], f["end"]))

    def on_smmuv3_get_ste(self, f):
        self.t.config.add(f["addr"])

    on_smmuv3_get_cd = on_smmuv3_get_ste

    def on_smmuv3_find_ste(self, f):
        self.find_ste = f

    def on_smmuv3_find_ste_2lvl(self, f):
        self.t.config.add(f["l1ptr"])
        fs = self.find_ste
        if fs is not None:
            self.t.l1_lookups.append({"line": self.line, "sid": fs["sid"], "split": fs["split"],
                                      "l1ptr": f["l1ptr"], "l2_off": f["l2_off"],
                                      "max_l2_ste": f["max_l2_ste"]})


def parse(lines):
    p = _Parser()
    for lineno, name, f in events(lines):
        p.line = p.t.lines = lineno
        handler = getattr(p, "on_" + name, None)
        if handler:
            handler(f)
    return p.t


def _changes_config(op, t):
    """A write that changes how every stream translates: CR0.SMMUEN flipped,
    or a new stream table."""
    if op["offset"] in (0x80, 0x84, 0x88):
        return True
    if op["offset"] != 0x20:
        return False
    before = [m["value"] for m in t.mmio if m["op"] == "w" and m["offset"] == 0x20]
    return (before[-1] if before else 0) & 1 != op["value"] & 1


def config_live(t, x):
    """True when no configuration change touching x's stream came after it."""
    return not any(line > x["line"] and lo <= x["sid"] <= hi for line, lo, hi in t.cfg_changes)
