"""SMMUv3 conformance vectors: scenarios built with smmu_builder and the
answers the specification gives for them.

Choices where the spec leaves the model a say (documented in the model):
a bypassed transaction reports size 4096 and perm rwx; an input address
outside the configured range reports level 0.
"""
from smmu_builder import (GRANULES, Memory, PageTable, StreamTable, allowed,
                          bad_ats_treq, cd, cmd_atc_inv, cmd_pri_resp,
                          cmd_stall_term, cmd_sync, event_record, intersect,
                          priq_record, put, s1_leaf, s1_perm, s1_start_level,
                          s2_leaf, s2_perm, s2_start_level, ste)

SMMUEN, PRIQEN, EVENTQEN, CMDQEN, ATSCHK = 1, 2, 4, 8, 16
OUT = 0x8_0000_0000            # output addresses (never fetched)


def el0rw(priv=False):
    """What AP=0b01 (EL0 and EL1 read/write), PXN=UXN=0 grants."""
    return s1_perm(0b01, 0, 0, priv)


def ok(pa, size, perm):
    return {"ok": True, "pa": hex(pa), "size": size, "perm": perm}


def fault(event, stage=None, level=None):
    f = {"ok": False, "event": event}
    if stage is not None:
        f.update(stage=stage, level=level)
    return f


class Scenario:
    def __init__(self, name, log2=8, two_level=False, split=8):
        self.name = name
        self.mem = Memory()
        self.st = StreamTable(self.mem, log2, two_level, split)
        self.queries, self.expect = [], []
        self.regs = {}
        self.cr0 = SMMUEN
        self.print_events = False
        self.print_priq = False
        self.atc = None

    def q(self, sid, iova, access, expect, priv=False, ssid=None, stall=False):
        query = {"sid": sid, "iova": hex(iova), "access": access, "priv": priv}
        if ssid is not None:
            query.update(ssid=ssid, ssv=True)
        if stall:
            query["stall"] = True
        self.queries.append(query)
        self.expect.append(expect)

    def step(self, query, expect):
        """Any other step of `vmaccel smmu replay` and its one-line answer."""
        self.queries.append(query)
        self.expect.append(expect)

    def evtq(self, log2):
        q = self.mem.alloc(32 << log2, 32 << log2)
        self.regs["EVENTQ_BASE"] = hex(q | log2)
        self.cr0 |= EVENTQEN

    def cmdq(self, log2=4):
        q = self.mem.alloc(16 << log2, 16 << log2)
        self.regs["CMDQ_BASE"] = hex(q | log2)
        self.cr0 |= CMDQEN

    def priq(self, log2):
        q = self.mem.alloc(16 << log2, 16 << log2)
        self.regs["PRIQ_BASE"] = hex(q | log2)
        self.cr0 |= PRIQEN

    def s1(self, sid, gran, t0sz, asid=1, ste_kw=None, **cd_kw):
        """A stage-1-only stream with its own tables; returns them."""
        g = GRANULES[gran]
        ias = 64 - t0sz
        pt = PageTable(self.mem, g, ias, s1_start_level(ias, g))
        cda = self.mem.alloc(64, 64)
        self.mem.write(cda, cd(t0sz, g, pt.root, asid=asid, **cd_kw))
        self.st.set(sid, ste(0b101, s1ctxptr=cda, **(ste_kw or {})))
        return pt

    def s2_tables(self, gran, t0sz, sl0):
        g = GRANULES[gran]
        return PageTable(self.mem, g, 64 - t0sz, s2_start_level(sl0, g))

    def s2(self, sid, gran, t0sz, sl0, vmid=1, **kw):
        pt = self.s2_tables(gran, t0sz, sl0)
        self.st.set(sid, ste(0b110, s2vmid=vmid, s2t0sz=t0sz, s2sl0=sl0,
                             s2tg={12: 0, 16: 1, 14: 2}[GRANULES[gran]],
                             s2ttb=pt.root, **kw))
        return pt

    def json(self):
        regs = dict(self.st.registers())
        regs.update(self.regs)
        regs.setdefault("CR0", hex(self.cr0))
        out = {"memory": self.mem.regions(), "registers": regs,
               "queries": self.queries}
        if self.print_events:
            out["print_events"] = True
        if self.print_priq:
            out["print_priq"] = True
        if self.atc:
            out["atc"] = self.atc
        return out


def leaf_levels(g):
    """Levels that may hold a leaf: blocks (VMSAv8-64, 48-bit OA) and pages."""
    return {12: [1, 2, 3], 14: [2, 3], 16: [2, 3]}[g]


# ---- stage 1: every granule, start level and descriptor kind ---------------

def granule_levels():
    cases = []
    for gran, t0szs in ((4096, (16, 25, 34)), (16384, (16, 17, 28)),
                        (65536, (16, 22, 36))):
        g = GRANULES[gran]
        for t0sz in t0szs:
            ias = 64 - t0sz
            start = s1_start_level(ias, g)
            sc = Scenario(f"s1_{gran // 1024}k_t0sz{t0sz}_start{start}")
            pt = sc.s1(1, gran, t0sz)
            for i, level in enumerate(l for l in leaf_levels(g) if l >= start):
                size = 1 << (g + (g - 3) * (3 - level))
                # one leaf per level, spread over distinct top-level slots
                ia = min((i + 1) * size * 4, (1 << ias) - size) & ~(size - 1)
                if ia >> ias:
                    continue
                oa = OUT + (i + 1) * (1 << 30) * 4 & ~(size - 1)
                oa &= (1 << 48) - 1
                pt.set(ia, level, s1_leaf(oa, level, ap=0b01))
                off = 0x18 if size > 0x18 else 0
                sc.q(1, ia + off, "rw", ok(oa + off, size, el0rw()))
                sc.q(1, ia + off, "r", ok(oa + off, size, el0rw(True)), priv=True)
            # an empty slot at the start level: translation fault there
            top = (1 << ias) - (1 << g)
            sc.q(1, top, "r", fault("F_TRANSLATION", 1, start))
            # beyond the input range of TTB0
            if ias < 48:
                sc.q(1, 1 << ias, "r", fault("F_TRANSLATION", 1, 0))
            # blocks where the granule has none, and the reserved 0b01 at
            # level 3, on streams of their own (other ASIDs)
            bad = {12: [0], 14: [0, 1], 16: [1]}[g]
            for n, level in enumerate([l for l in bad if l >= start] + [3]):
                size = 1 << (g + (g - 3) * (3 - level))
                other = sc.s1(2 + n, gran, t0sz, asid=2 + n)
                other.set(size, level, s1_leaf(OUT, level) & ~0b11 | 0b01)
                sc.q(2 + n, size, "r", fault("F_TRANSLATION", 1, level))
            cases.append(sc)
    return cases


# ---- stage 1 permissions, access flag, output size -------------------------

def s1_permissions():
    cases = []
    for pan in (False, True):
        for wxn in (False, True):
            sc = Scenario(f"s1_perm_pan{int(pan)}_wxn{int(wxn)}")
            pt = sc.s1(1, 4096, 25, pan=int(pan), wxn=int(wxn))
            va = 0x10_0000
            for ap in range(4):
                for pxn in (0, 1):
                    for uxn in (0, 1):
                        oa = OUT + va
                        pt.set(va, 3, s1_leaf(oa, 3, ap=ap, pxn=pxn, uxn=uxn))
                        for priv in (False, True):
                            perm = s1_perm(ap, pxn, uxn, priv, pan=pan, wxn=wxn)
                            for acc in ("r", "w", "x", "rw"):
                                exp = (ok(oa, 4096, perm) if allowed(perm, acc)
                                       else fault("F_PERMISSION", 1, 3))
                                sc.q(1, va, acc, exp, priv=priv)
                        va += 0x1000
            cases.append(sc)
    # hierarchical attributes: APTable / XNTable / PXNTable at level 1
    for name, attrs in (("aptable_ro", {"aptable": 2}), ("aptable_noel0", {"aptable": 1}),
                        ("xntable", {"xntable": 1}), ("pxntable", {"pxntable": 1})):
        sc = Scenario(f"s1_{name}")
        pt = sc.s1(1, 4096, 25)
        va, oa = 0x4000_0000, OUT
        pt.set(va, 3, s1_leaf(oa, 3, ap=0b01), table_attrs={1: attrs})
        for priv in (False, True):
            perm = s1_perm(0b01, attrs.get("pxntable", 0), attrs.get("xntable", 0),
                           priv, aptable=attrs.get("aptable", 0))
            for acc in ("r", "w", "x"):
                sc.q(1, va, acc, ok(oa, 4096, perm) if allowed(perm, acc)
                     else fault("F_PERMISSION", 1, 3), priv=priv)
        cases.append(sc)
    # access flag, with and without AFFD; output address beyond IPS
    for affd in (0, 1):
        sc = Scenario(f"s1_access_flag_affd{affd}")
        pt = sc.s1(1, 4096, 25, affd=affd, ips=40)
        pt.set(0x1000, 3, s1_leaf(OUT, 3, ap=0b01, af=0))
        pt.set(0x20_0000, 2, s1_leaf(OUT + 0x20_0000, 2, ap=0b01, af=0))
        pt.set(0x3000, 3, s1_leaf(1 << 41, 3, ap=0b01))
        sc.q(1, 0x1000, "r", ok(OUT, 4096, el0rw()) if affd else fault("F_ACCESS", 1, 3))
        sc.q(1, 0x20_0000, "r", ok(OUT + 0x20_0000, 2 << 20, el0rw()) if affd
             else fault("F_ACCESS", 1, 2))
        sc.q(1, 0x3000, "r", fault("F_ADDR_SIZE", 1, 3))
        cases.append(sc)
    # TTB1 (upper range) and EPD
    sc = Scenario("s1_ttb1")
    g = 12
    pt1 = PageTable(sc.mem, g, 39, s1_start_level(39, g))
    pt0 = PageTable(sc.mem, g, 39, s1_start_level(39, g))
    cda = sc.mem.alloc(64, 64)
    sc.mem.write(cda, cd(25, 4096, pt0.root, asid=3, epd1=0, t1sz=25, tg1=12,
                         ttb1=pt1.root))
    sc.st.set(1, ste(0b101, s1ctxptr=cda))
    upper = (1 << 64) - (1 << 39)
    pt1.set(0x5000, 3, s1_leaf(OUT + 0x5000, 3, ap=0b00))
    pt0.set(0x5000, 3, s1_leaf(OUT + 0x9000, 3, ap=0b00))
    sc.q(1, upper + 0x5000, "w", ok(OUT + 0x5000, 4096, "rwx"), priv=True)
    sc.q(1, 0x5000, "w", ok(OUT + 0x9000, 4096, "rwx"), priv=True)
    sc.q(1, upper - 0x1000, "r", fault("F_TRANSLATION", 1, 0), priv=True)
    cases.append(sc)
    return cases


# ---- stage 2: SL0, concatenation, S2AP/XN ------------------------------------

def stage2():
    cases = []
    geos = [(4096, 32, 0), (4096, 24, 1), (4096, 16, 2), (16384, 24, 1),
            (16384, 37, 0), (65536, 20, 1), (65536, 16, 2), (65536, 36, 0)]
    for gran, t0sz, sl0 in geos:
        g = GRANULES[gran]
        ias = 64 - t0sz
        start = s2_start_level(sl0, g)
        sc = Scenario(f"s2_{gran // 1024}k_t0sz{t0sz}_sl0{sl0}")
        pt = sc.s2(1, gran, t0sz, sl0)
        # pages in the first and in the last concatenated start table
        for ipa in (0x3000 if g == 12 else 1 << g, (1 << ias) - (1 << g)):
            oa = OUT + (ipa & 0xfff_ffff_f000) % (1 << 40)
            oa &= ~((1 << g) - 1)
            pt.set(ipa, 3, s2_leaf(oa, 3))
            sc.q(1, ipa + 8, "rwx", ok(oa + 8, 1 << g, "rwx"))
        if 2 >= start:
            size = 1 << (g + (g - 3))
            ipa = size * 3 if ias > g + (g - 3) + 2 else size
            pt.set(ipa, 2, s2_leaf(OUT, 2, s2ap=0b01))
            sc.q(1, ipa + 0x100, "r", ok(OUT + 0x100, size, "rx"))
            sc.q(1, ipa + 0x100, "w", fault("F_PERMISSION", 2, 2))
        if ias < 48:
            sc.q(1, 1 << ias, "r", fault("F_TRANSLATION", 2, 0))
        # stage 1 bypassed: an input beyond the IAS (48 bits) is stage 1's
        sc.q(1, 1 << 48, "r", fault("F_ADDR_SIZE", 1, 0))
        cases.append(sc)
    sc = Scenario("s2_perm_af")
    pt = sc.s2(1, 4096, 24, 1)
    ipa = 0x10000
    for s2ap in range(4):
        for xn in (0, 1):
            pt.set(ipa, 3, s2_leaf(OUT + ipa, 3, s2ap=s2ap, xn=xn))
            perm = s2_perm(s2ap, xn)
            for acc in ("r", "w", "x"):
                for priv in (False, True):
                    sc.q(1, ipa, acc, ok(OUT + ipa, 4096, perm) if allowed(perm, acc)
                         else fault("F_PERMISSION", 2, 3), priv=priv)
            ipa += 0x1000
    pt.set(ipa, 3, s2_leaf(OUT, 3, af=0))
    sc.q(1, ipa, "r", fault("F_ACCESS", 2, 3))
    pt2 = sc.s2(2, 4096, 24, 1, s2affd=1)
    pt2.set(ipa, 3, s2_leaf(OUT, 3, af=0))
    sc.q(2, ipa, "r", ok(OUT, 4096, "rwx"))
    cases.append(sc)
    # geometry the spec forbids
    sc = Scenario("s2_bad_geometry")
    sc.st.set(1, ste(0b110, s2t0sz=16, s2sl0=0, s2tg=0, s2ttb=0x4000_0000))
    sc.st.set(2, ste(0b110, s2t0sz=24, s2sl0=3, s2tg=0, s2ttb=0x4000_0000))
    sc.st.set(3, ste(0b110, s2t0sz=36, s2sl0=2, s2tg=0, s2ttb=0x4000_0000))
    sc.st.set(4, ste(0b110, s2t0sz=24, s2sl0=1, s2tg=3, s2ttb=0x4000_0000))
    sc.st.set(5, ste(0b110, s2t0sz=28, s2sl0=0, s2tg=2, s2ttb=0x4000_0000))
    sc.st.set(6, ste(0b110, s2t0sz=30, s2sl0=0, s2tg=1, s2ttb=0x4000_0000))
    for sid in (1, 2, 3, 4, 5, 6):
        sc.q(sid, 0, "r", fault("C_BAD_STE"))
    cases.append(sc)
    return cases


# ---- nested ---------------------------------------------------------------

def nested():
    sc = Scenario("nested")
    delta = 0x1_0000_0000            # IPA = PA + delta for the guest's tables
    s2 = sc.s2_tables(4096, 24, 1)   # 40-bit IPA, start level 1
    s1 = PageTable(sc.mem, 12, 39, 1, to_table_addr=lambda pa: pa + delta)
    # S2 maps the guest table pages and the CD page, 4K each
    cda = sc.mem.alloc(64, 4096)
    s2.set(cda + delta, 3, s2_leaf(cda, 3, s2ap=0b01))
    va, ipa, pa = 0x7000, 0x2000_0000, OUT
    s1.set(va, 3, s1_leaf(ipa, 3, ap=0b01))
    s1.set(0x20_0000, 2, s1_leaf(ipa + 0x40_0000, 2, ap=0b01))   # 2M block
    s1.set(0x9000, 3, s1_leaf(0x3000_0000, 3, ap=0b01))           # IPA unmapped
    s1.set(0xa000, 3, s1_leaf(ipa + 0x1000, 3, ap=0b01))
    for tpa in list(s1.back.values()):
        s2.set(tpa + delta, 3, s2_leaf(tpa, 3, s2ap=0b01))
    s2.set(ipa, 3, s2_leaf(pa, 3, s2ap=0b11))
    s2.set(ipa + 0x40_0000 + 0x3000, 3, s2_leaf(pa + 0x10_0000, 3, s2ap=0b11))
    s2.set(ipa + 0x1000, 3, s2_leaf(pa + 0x1000, 3, s2ap=0b01))
    sc.mem.write(cda, cd(25, 4096, s1.root, asid=5))
    sc.st.set(1, ste(0b111, s1ctxptr=cda + delta, s2vmid=7, s2t0sz=24, s2sl0=1,
                     s2tg=0, s2ttb=s2.root))
    sc.q(1, va + 0x10, "rw", ok(pa + 0x10, 4096, intersect(el0rw(), "rwx")))
    # 2M stage-1 block over a 4K stage-2 page: the smaller size
    sc.q(1, 0x20_0000 + 0x3008, "r", ok(pa + 0x10_0008, 4096, el0rw()))
    sc.q(1, 0x9000, "r", fault("F_TRANSLATION", 2, 2))   # no S2 L3 table there
    sc.q(1, 0xa000, "w", fault("F_PERMISSION", 2, 3))
    sc.q(1, 0xa000, "r", ok(pa + 0x1000, 4096, intersect(el0rw(), s2_perm(0b01, 0))))
    # a stage-1 table the stage 2 does not map
    s1.set(0x80_0000_0000 - 0x1000, 3, s1_leaf(ipa, 3))   # new L2/L3 tables, unmapped
    sc.q(1, 0x80_0000_0000 - 0x1000, "r", fault("F_TRANSLATION", 2, 3))
    # stage 1 denies first (write to read-only at EL0 ap=0b11)
    s1.set(0xb000, 3, s1_leaf(ipa, 3, ap=0b11))
    sc.q(1, 0xb000, "w", fault("F_PERMISSION", 1, 3))
    return [sc]


# ---- configuration: stream tables, STE/CD validity, substreams --------------

def config():
    cases = []
    sc = Scenario("cfg_linear", log2=4)
    pt = sc.s1(1, 4096, 25)
    pt.set(0x1000, 3, s1_leaf(OUT, 3, ap=0b01))
    sc.st.set(2, ste(0b101, v=0))
    sc.st.set(3, ste(0b001))                 # reserved Config: behaves as abort
    sc.st.set(4, ste(0b000))                 # abort, no event
    sc.st.set(5, ste(0b100))                 # bypass
    cda = sc.mem.alloc(64, 64)
    sc.mem.write(cda, cd(25, 4096, pt.root, v=0))
    sc.st.set(6, ste(0b101, s1ctxptr=cda))
    cdb = sc.mem.alloc(64, 64)
    sc.mem.write(cdb, cd(25, 4096, pt.root, aa64=0))
    sc.st.set(7, ste(0b101, s1ctxptr=cdb))
    cdc = sc.mem.alloc(64, 64)
    sc.mem.write(cdc, cd(10, 4096, pt.root))
    sc.st.set(8, ste(0b101, s1ctxptr=cdc))
    sc.st.set(9, ste(0b101, s1ctxptr=0x7000_0000))       # CD outside memory
    pt10 = sc.s1(10, 4096, 25, asid=10)
    pt10.set(0x1000, 2, 0x7000_0003)           # an L3 table outside memory
    sc.q(1, 0x1000, "r", ok(OUT, 4096, el0rw()))
    sc.q(1, 0x1000, "r", ok(OUT, 4096, el0rw()), ssid=None)
    sc.q(2, 0, "r", fault("C_BAD_STE"))
    sc.q(3, 0, "r", {"ok": False, "event": None})
    sc.q(4, 0, "r", {"ok": False, "event": None})
    sc.q(5, 0x1234_5678, "w", ok(0x1234_5678, 4096, "rwx"))
    sc.q(5, 1 << 48, "r", fault("F_ADDR_SIZE", 1, 0))  # bypass beyond the OAS
    sc.q(6, 0x1000, "r", fault("C_BAD_CD"))
    sc.q(7, 0x1000, "r", fault("C_BAD_CD"))
    sc.q(8, 0x1000, "r", fault("C_BAD_CD"))
    sc.q(9, 0x1000, "r", fault("F_CD_FETCH"))
    sc.q(10, 0x1000, "r", fault("F_WALK_EABT", 1, 3))
    sc.q(16, 0, "r", fault("C_BAD_STREAMID"))
    sc.q(1, 0x1000, "r", fault("C_BAD_SUBSTREAMID"), ssid=1)
    cases.append(sc)

    sc = Scenario("cfg_two_level", log2=16, two_level=True, split=8)
    pt = PageTable(sc.mem, 12, 39, 1)
    pt.set(0x1000, 3, s1_leaf(OUT, 3, ap=0b01))
    cda = sc.mem.alloc(64, 64)
    sc.mem.write(cda, cd(25, 4096, pt.root))
    sc.st.set(0x1234, ste(0b101, s1ctxptr=cda))
    sc.st.set(0x0302, ste(0b101, s1ctxptr=cda), span=3)   # 4 STEs in this L2
    sc.q(0x1234, 0x1000, "r", ok(OUT, 4096, el0rw()))
    sc.q(0x0302, 0x1000, "r", ok(OUT, 4096, el0rw()))
    sc.q(0x0301, 0x1000, "r", fault("C_BAD_STE"))        # zeroed STE: V=0
    sc.q(0x0309, 0x1000, "r", fault("C_BAD_STREAMID"))    # beyond Span
    # IHI 0070 5.1: 2^(Span-1) STEs, so index 4 is the first beyond Span 3
    # (QEMU 7.2 allows 2^Span: tests/smmu/qemu/RESULTS.md).
    sc.q(0x0304, 0x1000, "r", fault("C_BAD_STREAMID"))
    sc.q(0x4000, 0x1000, "r", fault("C_BAD_STREAMID"))    # L1 Span 0
    # 5.1.1: a Span above SPLIT+1 is out of bounds: every StreamID it
    # covers is invalid, the STE it would select is never read.
    sc.st.set(0x0500, ste(0b101, s1ctxptr=cda), span=10)
    sc.q(0x0500, 0x1000, "r", fault("C_BAD_STREAMID"))
    cases.append(sc)

    sc = Scenario("cfg_ste_fetch_abort")
    sc.regs["STRTAB_BASE"] = hex(0x7000_0000)
    sc.regs["STRTAB_BASE_CFG"] = hex(8)
    sc.q(1, 0, "r", fault("F_STE_FETCH"))
    cases.append(sc)

    for gbpa, exp in ((0, ok(0x5000, 4096, "rwx")), (1 << 20, {"ok": False, "event": None})):
        sc = Scenario(f"cfg_smmuen0_gbpa{gbpa >> 20}")
        sc.cr0 = 0
        sc.regs["GBPA"] = hex(gbpa)
        sc.q(1, 0x5000, "w", exp)
        # bypass beyond the OAS: aborted without an event
        sc.q(1, 1 << 48, "w", {"ok": False, "event": None})
        cases.append(sc)
    cases += substreams()
    return cases


def substreams():
    cases = []
    for fmt in (0, 1, 2):
        sc = Scenario(f"cfg_substreams_fmt{fmt}")
        cdmax = 12
        ssids = [0, 1, 63, 64, 70, 1023, 1024, 4095]
        if fmt == 0:
            cdmax, ssids = 4, [0, 1, 7, 15]
            table = sc.mem.alloc(64 << cdmax, 64 << cdmax)
            slot = {s: table + 64 * s for s in ssids}
        else:
            split = 6 if fmt == 1 else 10
            table = sc.mem.alloc(8 << (cdmax - split), 64)
            slot, l2s = {}, {}
            for s in ssids:
                hi = s >> split
                if hi not in l2s:
                    l2s[hi] = sc.mem.alloc(64 << split, 64 << split)
                    sc.mem.w64(table + 8 * hi, l2s[hi] | 1)
                slot[s] = l2s[hi] + 64 * (s & ((1 << split) - 1))
        for i, s in enumerate(ssids):
            pt = PageTable(sc.mem, 12, 39, 1)
            pt.set(0x1000, 3, s1_leaf(OUT + i * 0x1000, 3, ap=0b01))
            sc.mem.write(slot[s], cd(25, 4096, pt.root, asid=100 + i))
        for sid, dss in ((1, 0), (2, 1), (3, 2)):
            sc.st.set(sid, ste(0b101, s1ctxptr=table, s1fmt=fmt, s1cdmax=cdmax,
                               s1dss=dss))
        for i, s in enumerate(ssids):
            exp = ok(OUT + i * 0x1000 + 4, 4096, el0rw())
            sc.q(1, 0x1004, "r", exp, ssid=s)
            if s == 0:
                # S1DSS=0b10: substream 0 is the default, SSID 0 is refused
                sc.q(3, 0x1004, "r", fault("F_STREAM_DISABLED"), ssid=0)
        sc.q(1, 0x1004, "r", fault("C_BAD_SUBSTREAMID"), ssid=1 << cdmax)
        sc.q(1, 0x1004, "r", fault("F_STREAM_DISABLED"))          # S1DSS terminate
        sc.q(2, 0x1004, "r", ok(0x1004, 4096, "rwx"))               # S1DSS bypass
        sc.q(3, 0x1004, "r", ok(OUT + 4, 4096, el0rw()))              # S1DSS: CD 0
        if fmt:
            missing = next(s for s in range(1 << cdmax)
                           if (s >> split) not in l2s)
            sc.q(1, 0x1004, "r", fault("C_BAD_SUBSTREAMID"), ssid=missing)
        cases.append(sc)
    return cases


# ---- event queue: golden records and overflow -------------------------------

def events():
    cases = []
    for log2, name in ((3, "events_golden"), (1, "events_overflow")):
        sc = Scenario(name)
        sc.print_events = True
        pt = sc.s1(1, 4096, 25)
        pt.set(0x1000, 3, s1_leaf(OUT, 3, ap=0b11))
        pts2 = sc.s2(2, 4096, 24, 1, vmid=9)
        pts2.set(0x8000, 3, s2_leaf(OUT, 3, s2ap=0b01))
        sc.st.set(3, ste(0b101, v=0))
        norec = sc.s1(4, 4096, 25, asid=4, r=0)   # CD.R=0: faults not recorded
        del norec
        q = sc.mem.alloc(32 << log2, 32 << log2)
        sc.regs["EVENTQ_BASE"] = hex(q | log2)
        sc.cr0 = SMMUEN | EVENTQEN
        sc.q(1, 0x2000, "w", fault("F_TRANSLATION", 1, 3), priv=True)
        sc.q(1, 0x1000, "w", fault("F_PERMISSION", 1, 3))
        sc.q(2, 0x8010, "w", fault("F_PERMISSION", 2, 3))
        sc.q(3, 0x0, "r", fault("C_BAD_STE"))
        sc.q(4, 0x2000, "r", fault("F_TRANSLATION", 1, 1))   # no tables below L1
        records = [event_record("F_TRANSLATION", 1, input_addr=0x2000, rnw=False, pnu=True),
                   event_record("F_PERMISSION", 1, input_addr=0x1000, rnw=False),
                   event_record("F_PERMISSION", 2, input_addr=0x8010, rnw=False,
                                s2=True, cls="IN", ipa=0x8010),
                   event_record("C_BAD_STE", 3)]
        cap = 1 << log2
        sc.events = {"events": records[:cap], "overflow": len(records) > cap}
        cases.append(sc)
    return cases


def event_kinds():
    """Golden records for each event kind the model writes."""
    sc = Scenario("events_kinds", log2=4)
    sc.print_events = True
    # 1: stage 1 only, a level-3 table outside memory (F_WALK_EABT, TT)
    pt = sc.s1(1, 4096, 25, asid=1)
    pt.set(0x40_0000, 2, 0x7000_0003)
    # 2: substreams (S1CDMax 2, S1DSS terminate)
    cdt = sc.mem.alloc(64 * 4, 256)
    sc.st.set(2, ste(0b101, s1ctxptr=cdt, s1cdmax=2, s1dss=0))
    # 3: CD pointer outside memory (F_CD_FETCH)
    sc.st.set(3, ste(0b101, s1ctxptr=0x7000_0000))
    # 4: nested, the stage-1 table not mapped at stage 2 (S2, CLASS TT)
    s2 = sc.s2_tables(4096, 24, 1)
    s1 = PageTable(sc.mem, 12, 39, 1)
    cda = sc.mem.alloc(64, 4096)
    s2.set(cda, 3, s2_leaf(cda, 3, s2ap=0b01))
    sc.mem.write(cda, cd(25, 4096, s1.root, asid=4))
    sc.st.set(4, ste(0b111, s1ctxptr=cda, s2vmid=4, s2t0sz=24, s2sl0=1,
                     s2tg=0, s2ttb=s2.root))
    q = sc.mem.alloc(32 << 4, 32 << 4)
    sc.regs["EVENTQ_BASE"] = hex(q | 4)
    sc.regs["CR2"] = hex(0b10)                # RECINVSID
    sc.cr0 = SMMUEN | EVENTQEN
    sc.q(1, 0x40_1234, "rx", fault("F_WALK_EABT", 1, 3), priv=True)
    sc.q(2, 0x1000, "r", fault("F_STREAM_DISABLED"))
    sc.q(2, 0x1000, "w", fault("C_BAD_SUBSTREAMID"), ssid=5)
    sc.q(3, 0x1000, "r", fault("F_CD_FETCH"))
    sc.q(4, 0x2000, "r", fault("F_TRANSLATION", 2, 3))    # S1 root IPA unmapped at S2 L3
    sc.q(16, 0x0, "r", fault("C_BAD_STREAMID"))
    l3 = 0x7000_0000 + 8 * ((0x40_1234 >> 12) & 511)
    sc.events = {"events": [
        event_record("F_WALK_EABT", 1, input_addr=0x40_1234, pnu=True, ind=True,
                     cls="TT", fetch=l3),
        event_record("F_STREAM_DISABLED", 2),
        event_record("C_BAD_SUBSTREAMID", 2, ssid=5),
        event_record("F_CD_FETCH", 3, fetch=0x7000_0000),
        event_record("F_TRANSLATION", 4, input_addr=0x2000, s2=True, cls="TT",
                     ipa=s1.root + 8 * ((0x2000 >> 30) & 511)),
        event_record("C_BAD_STREAMID", 16)], "overflow": False}
    return [sc]


def all_scenarios():
    from vectors_sva import sva_scenarios
    return (granule_levels() + s1_permissions() + stage2() + nested() + config()
            + events() + event_kinds() + sva_scenarios())
