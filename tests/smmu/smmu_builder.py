"""An independent builder of SMMUv3 guest structures, written from the Arm
SMMUv3 specification (IHI 0070: STE section 5.2, CD section 5.4, event
records section 7.3) and the Armv8-A VMSAv8-64 translation table format.

It shares no code with the C model: fields are placed by their absolute
bit numbers in the spec's tables, and lookup levels are derived from the
VMSA rules here. Scenarios are JSON for `vmaccel smmu replay`.
"""

GRANULES = {4096: 12, 16384: 14, 65536: 16}


def put(value, hi, lo, field):
    """Sets bits [hi:lo] of an integer (spec bit numbering) to field."""
    width = hi - lo + 1
    assert 0 <= field < (1 << width), (hi, lo, field)
    return (value & ~(((1 << width) - 1) << lo)) | (field << lo)


class Memory:
    """Guest physical memory: one bump-allocated region."""

    def __init__(self, base=0x4000_0000):
        self.base = base
        self.buf = bytearray()

    def alloc(self, size, align):
        top = self.base + len(self.buf)
        start = (top + align - 1) // align * align
        self.buf.extend(bytes(start + size - top))
        return start

    def write(self, addr, data):
        off = addr - self.base
        assert 0 <= off and off + len(data) <= len(self.buf), hex(addr)
        self.buf[off:off + len(data)] = data

    def w64(self, addr, value):
        self.write(addr, value.to_bytes(8, "little"))

    def r64(self, addr):
        off = addr - self.base
        return int.from_bytes(self.buf[off:off + 8], "little")

    def regions(self):
        return [{"base": hex(self.base), "hex": self.buf.hex()}]


# ---- VMSAv8-64 geometry -------------------------------------------------

def s1_start_level(ias, gshift):
    """Stage 1: as many levels as needed to resolve ias - gshift bits."""
    stride = gshift - 3
    levels = -(-(ias - gshift) // stride)
    return 4 - levels


def s2_start_level(sl0, gshift):
    """S2SL0: 4K 0b00=L2 0b01=L1 0b10=L0; 16K/64K 0b00=L3 0b01=L2 0b10=L1."""
    return (2 if gshift == 12 else 3) - sl0


def level_shift(level, gshift):
    return gshift + (gshift - 3) * (3 - level)


def start_bits(ias, gshift, start):
    return ias - level_shift(start, gshift)


# ---- descriptors (VMSAv8-64 D8.3) ----------------------------------------

def table_desc(addr, aptable=0, xntable=0, pxntable=0):
    d = addr | 0b11
    d = put(d, 62, 61, aptable)
    d = put(d, 60, 60, xntable)
    return put(d, 59, 59, pxntable)


def s1_leaf(oa, level, ap=0, pxn=0, uxn=0, af=1, ng=0, dbm=0):
    d = oa | (0b11 if level == 3 else 0b01)
    d = put(d, 51, 51, dbm)      # Dirty Bit Modifier (HTTU)
    d = put(d, 4, 2, 0)          # AttrIndx 0
    d = put(d, 7, 6, ap)         # AP[2:1]
    d = put(d, 9, 8, 0b11)       # SH inner shareable
    d = put(d, 10, 10, af)
    d = put(d, 11, 11, ng)
    d = put(d, 53, 53, pxn)
    return put(d, 54, 54, uxn)


def s2_leaf(oa, level, s2ap=0b11, xn=0, af=1, dbm=0):
    d = oa | (0b11 if level == 3 else 0b01)
    d = put(d, 51, 51, dbm)
    d = put(d, 5, 2, 0b1111)     # MemAttr: Normal write-back
    d = put(d, 7, 6, s2ap)
    d = put(d, 9, 8, 0b11)
    d = put(d, 10, 10, af)
    return put(d, 54, 54, xn)


class PageTable:
    """One translation regime's tables. `to_table_addr` maps the PA of a
    table to the address written in descriptors and TTBs (an IPA for a
    nested stage 1)."""

    def __init__(self, mem, gshift, ias, start, to_table_addr=lambda a: a):
        self.mem, self.g, self.ias, self.start = mem, gshift, ias, start
        self.stride = gshift - 3
        self.xl = to_table_addr
        self.back = {}
        bits = start_bits(ias, gshift, start)
        size = max(8 << bits, 64)
        self.root_pa = mem.alloc(size, size)   # concatenated: aligned to all
        self.root = self.xl(self.root_pa)
        self.back[self.root] = self.root_pa

    def index(self, ia, level):
        bits = start_bits(self.ias, self.g, self.start) if level == self.start else self.stride
        return (ia >> level_shift(level, self.g)) & ((1 << bits) - 1)

    def slot(self, ia, level, table_attrs=None):
        """PA of the descriptor for ia at `level`, creating tables above."""
        table_pa = self.root_pa
        for lvl in range(self.start, level):
            addr = table_pa + 8 * self.index(ia, lvl)
            d = self.mem.r64(addr)
            if d & 0b11 != 0b11:
                pa = self.mem.alloc(1 << self.g, 1 << self.g)
                nxt = self.xl(pa)
                self.back[nxt] = pa
                attrs = (table_attrs or {}).get(lvl, {})
                self.mem.w64(addr, table_desc(nxt, **attrs))
                d = self.mem.r64(addr)
            table_pa = self.back[d & ((1 << 48) - 1) & ~((1 << self.g) - 1)]
        return table_pa + 8 * self.index(ia, level)

    def set(self, ia, level, desc, table_attrs=None):
        self.mem.w64(self.slot(ia, level, table_attrs), desc)


# ---- STE / CD / stream table (SMMUv3 5.2, 5.4) ------------------------------

def ste(config, v=1, s1fmt=0, s1ctxptr=0, s1cdmax=0, s1dss=0, strw=0, cont=0,
        s2vmid=0, s2t0sz=0, s2sl0=0, s2tg=0, s2ps=0b101, s2aa64=1, s2affd=0,
        s2r=1, s2ttb=0, s1stalld=0, eats=0, s2hd=0, s2ha=0, s2s=0):
    x = 0
    x = put(x, 0, 0, v)
    x = put(x, 3, 1, config)
    x = put(x, 5, 4, s1fmt)
    x = put(x, 51, 6, s1ctxptr >> 6)
    x = put(x, 63, 59, s1cdmax)
    x = put(x, 65, 64, s1dss)
    x = put(x, 80, 77, cont)
    x = put(x, 91, 91, s1stalld)
    x = put(x, 93, 92, eats)
    x = put(x, 95, 94, strw)
    x = put(x, 143, 128, s2vmid)
    x = put(x, 165, 160, s2t0sz)
    x = put(x, 167, 166, s2sl0)
    x = put(x, 175, 174, s2tg)
    x = put(x, 178, 176, s2ps)
    x = put(x, 179, 179, s2aa64)
    x = put(x, 181, 181, s2affd)
    x = put(x, 183, 183, s2hd)
    x = put(x, 184, 184, s2ha)
    x = put(x, 185, 185, s2s)
    x = put(x, 186, 186, s2r)
    x = put(x, 243, 196, s2ttb >> 4)
    return x.to_bytes(64, "little")


TG0 = {12: 0b00, 16: 0b01, 14: 0b10}
TG1 = {14: 0b01, 12: 0b10, 16: 0b11}
S2TG = TG0
IPS = {32: 0, 36: 1, 40: 2, 42: 3, 44: 4, 48: 5}


def cd(t0sz, tg0, ttb0, asid=0, ips=48, v=1, aa64=1, epd0=0, epd1=1, t1sz=0,
       tg1=12, ttb1=0, affd=0, wxn=0, pan=0, r=1, a=1, s=0, ha=0, hd=0, tbi=0,
       had0=0):
    tg0 = GRANULES.get(tg0, tg0)   # bytes or a shift
    tg1 = GRANULES.get(tg1, tg1)
    x = 0
    x = put(x, 5, 0, t0sz)
    x = put(x, 7, 6, TG0[tg0])
    x = put(x, 14, 14, epd0)
    x = put(x, 21, 16, t1sz)
    x = put(x, 23, 22, TG1[tg1])
    x = put(x, 30, 30, epd1)
    x = put(x, 31, 31, v)
    x = put(x, 34, 32, IPS[ips])
    x = put(x, 35, 35, affd)
    x = put(x, 36, 36, wxn)
    x = put(x, 39, 38, tbi)
    x = put(x, 40, 40, pan)
    x = put(x, 41, 41, aa64)
    x = put(x, 42, 42, hd)
    x = put(x, 43, 43, ha)
    x = put(x, 44, 44, s)
    x = put(x, 45, 45, r)
    x = put(x, 46, 46, a)
    x = put(x, 63, 48, asid)
    x = put(x, 65, 65, had0)
    x = put(x, 115, 68, ttb0 >> 4)
    x = put(x, 179, 132, ttb1 >> 4)
    return x.to_bytes(64, "little")


class StreamTable:
    def __init__(self, mem, log2size, two_level=False, split=8):
        self.mem, self.log2, self.two, self.split = mem, log2size, two_level, split
        if two_level:
            n = 1 << max(log2size - split, 0)
            self.base = mem.alloc(8 * n, max(8 * n, 64))
            self.l2 = {}
        else:
            self.base = mem.alloc(64 << log2size, 64 << log2size)

    def set(self, sid, entry, span=None):
        if not self.two:
            self.mem.write(self.base + 64 * sid, entry)
            return
        hi = sid >> self.split
        if hi not in self.l2:
            span = span if span is not None else self.split + 1
            n = 1 << (span - 1) if span else 1
            l2 = self.mem.alloc(64 * n, 64 * n)
            self.l2[hi] = (l2, span)
            self.mem.w64(self.base + 8 * hi, put(l2, 4, 0, span))
        l2, _ = self.l2[hi]
        self.mem.write(l2 + 64 * (sid & ((1 << self.split) - 1)), entry)

    def registers(self):
        cfg = put(0, 5, 0, self.log2)
        if self.two:
            cfg = put(cfg, 17, 16, 1)
            cfg = put(cfg, 10, 6, self.split)
        return {"STRTAB_BASE": hex(self.base), "STRTAB_BASE_CFG": hex(cfg)}


# ---- expected permissions (VMSAv8-64 D8.4, stage 1 EL1&0; stage 2) ----------

def s1_perm(ap, pxn, uxn, priv, aptable=0, pan=False, wxn=False):
    """rwx string a stage-1 leaf grants, from the AP[2:1] table."""
    ap2, ap1 = ap >> 1, ap & 1
    if aptable & 2:
        ap2 = 1
    if aptable & 1:
        ap1 = 0
    el0_write = ap1 and not ap2
    if priv:
        r, w = True, not ap2
        x = not pxn and not el0_write and not (wxn and w)
        if pan and ap1:
            r = w = False
    else:
        r, w = bool(ap1), bool(el0_write)
        x = not uxn and not (wxn and w)
    return "".join(c for c, ok in zip("rwx", (r, w, x)) if ok)


def s2_perm(s2ap, xn):
    return "".join(c for c, ok in zip("rwx", (s2ap & 1, s2ap & 2, not xn)) if ok)


def intersect(a, b):
    return "".join(c for c in "rwx" if c in a and c in b)


def allowed(perm, access):
    return all(c in perm for c in access)


# ---- event records (SMMUv3 7.3) -------------------------------------------

EVENTS = {"C_BAD_STREAMID": 0x02, "F_STE_FETCH": 0x03, "C_BAD_STE": 0x04,
          "F_BAD_ATS_TREQ": 0x05, "F_STREAM_DISABLED": 0x06,
          "F_TRANSL_FORBIDDEN": 0x07, "C_BAD_SUBSTREAMID": 0x08,
          "F_CD_FETCH": 0x09, "C_BAD_CD": 0x0a, "F_WALK_EABT": 0x0b,
          "F_TRANSLATION": 0x10, "F_ADDR_SIZE": 0x11, "F_ACCESS": 0x12,
          "F_PERMISSION": 0x13}


CLASS = {"CD": 0b00, "TT": 0b01, "IN": 0b10}


def event_record(name, sid, ssid=None, input_addr=0, rnw=True, pnu=False,
                 ind=False, s2=False, cls="IN", ipa=0, fetch=0, stall=False,
                 ttrnw=None):
    """A 32-byte event record, fields at the bit numbers of IHI 0070 7.3.
    A stall record's STAG (bits [79:64]) is the SMMU's own, IMPLEMENTATION
    SPECIFIC: those four hex digits come back as '?' (any value)."""
    x = 0
    x = put(x, 7, 0, EVENTS[name])
    x = put(x, 63, 32, sid)
    if name == "C_BAD_SUBSTREAMID":            # SubstreamID, no SSV
        x = put(x, 31, 12, ssid or 0)
    elif ssid is not None and name != "F_STREAM_DISABLED":
        x = put(x, 11, 11, 1)
        x = put(x, 31, 12, ssid)
    if name in ("F_STE_FETCH", "F_CD_FETCH"):
        x = put(x, 192 + 55, 192 + 3, fetch >> 3)
    elif name == "F_TRANSL_FORBIDDEN":
        x = put(x, 64 + 35, 64 + 35, int(rnw))
        x = put(x, 128 + 63, 128, input_addr)
    elif name in ("F_WALK_EABT", "F_TRANSLATION", "F_ADDR_SIZE", "F_ACCESS",
                  "F_PERMISSION"):
        x = put(x, 64 + 31, 64 + 31, int(stall))
        x = put(x, 64 + 33, 64 + 33, int(pnu))
        x = put(x, 64 + 34, 64 + 34, int(ind and rnw))   # InD == 0 for writes
        x = put(x, 64 + 35, 64 + 35, int(rnw))
        x = put(x, 64 + 39, 64 + 39, int(s2))
        x = put(x, 64 + 41, 64 + 40, CLASS[cls])
        if name == "F_PERMISSION" and cls == "TT":
            x = put(x, 64 + 44, 64 + 44, int(ttrnw))     # TTRnW: 1 a read
        x = put(x, 128 + 63, 128, input_addr)
        if name == "F_WALK_EABT":
            x = put(x, 192 + 55, 192 + 3, fetch >> 3)
        elif s2:
            x = put(x, 192 + 51, 192 + 12, ipa >> 12)
    text = x.to_bytes(32, "little").hex()
    if stall:                                  # bytes 8-9: the STAG
        text = text[:16] + "????" + text[20:]
    return text


def bad_ats_treq(sid, addr, r=1, w=0, x=0, p=0, ssid=None, span=1):
    """F_BAD_ATS_TREQ (7.3.6): Span [67:64], P 92, X 93, W 94, R 95 (the
    permissions the Translation Request asked for), InputAddr [191:140]."""
    v = 0
    v = put(v, 7, 0, EVENTS["F_BAD_ATS_TREQ"])
    v = put(v, 63, 32, sid)
    if ssid is not None:
        v = put(v, 11, 11, 1)
        v = put(v, 31, 12, ssid)
    v = put(v, 67, 64, span)
    v = put(v, 92, 92, p)
    v = put(v, 93, 93, x)
    v = put(v, 94, 94, w)
    v = put(v, 95, 95, r)
    v = put(v, 191, 140, addr >> 12)
    return v.to_bytes(32, "little").hex()


# ---- PRI queue records (chapter 8) and commands (chapter 4) -----------------

def priq_record(sid, addr, prgi, r=0, w=0, x=0, priv=0, last=0, ssid=None):
    """A 16-byte PRI queue record: StreamID [31:0], SubstreamID [51:32],
    Priv 58, Exe 59, R 60, W 61, L 62, SSV 63; PRGIndex [72:64], Page
    address [127:76]."""
    v = 0
    v = put(v, 31, 0, sid)
    if ssid is not None:
        v = put(v, 63, 63, 1)
        v = put(v, 51, 32, ssid)
        v = put(v, 58, 58, priv)
        v = put(v, 59, 59, x)
    v = put(v, 60, 60, r)
    v = put(v, 61, 61, w)
    v = put(v, 62, 62, last)
    v = put(v, 72, 64, prgi)
    v = put(v, 127, 76, addr >> 12)
    return v.to_bytes(16, "little").hex()


def _cmd(v):
    return [hex(v & (1 << 64) - 1), hex(v >> 64)]


def cmd_sync():
    return _cmd(0x46)


def cmd_cfgi_ste(sid):
    return _cmd(put(put(0, 7, 0, 0x03), 63, 32, sid))


def cmd_tlbi_nh_all(vmid=0):
    return _cmd(put(put(0, 7, 0, 0x10), 47, 32, vmid))


def cmd_atc_inv(sid, addr, size, ssid=None, glob=0):
    """CMD_ATC_INV: Global 9, SSV 11, SubstreamID [31:12], StreamID [63:32];
    Size [69:64] (span 4096 * 2^Size), Address [127:76]."""
    v = put(put(0, 7, 0, 0x40), 63, 32, sid)
    v = put(v, 9, 9, glob)
    if ssid is not None:
        v = put(put(v, 11, 11, 1), 31, 12, ssid)
    v = put(v, 69, 64, size)
    return _cmd(put(v, 127, 76, addr >> 12))


PRI_RESP = {"FAILURE": 0b00, "INVALID": 0b01, "SUCCESS": 0b10}


def cmd_pri_resp(sid, prgi, resp, ssid=None):
    """CMD_PRI_RESP: SSV 11, SubstreamID [31:12], StreamID [63:32];
    PRGIndex [72:64], Resp [77:76]."""
    v = put(put(0, 7, 0, 0x41), 63, 32, sid)
    if ssid is not None:
        v = put(put(v, 11, 11, 1), 31, 12, ssid)
    v = put(v, 72, 64, prgi)
    return _cmd(put(v, 77, 76, PRI_RESP[resp] if isinstance(resp, str) else resp))


def cmd_stall_term(sid):
    return _cmd(put(put(0, 7, 0, 0x45), 63, 32, sid))
