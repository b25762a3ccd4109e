// STE and CD field positions and VMSA geometry, checked against the bit
// numbers of the SMMUv3 specification's tables (IHI 0070 5.2, 5.4) and the
// Armv8-A VMSAv8-64 rules. Fields are placed here by absolute bit number,
// so a wrong offset in the decoder shows up as a wrong value.
#include <catch2/catch.hpp>

#include <cstring>

extern "C" {
#include "smmu/cfg.h"
#include "smmu/smmu_spec.h"
}

namespace {

struct Bits {
    uint64_t d[8] = {};
    // Sets bits [hi:lo] (spec numbering across the 512-bit structure).
    Bits &set(unsigned hi, unsigned lo, uint64_t v)
    {
        for (unsigned b = lo; b <= hi; b++, v >>= 1)
            if (v & 1)
                d[b / 64] |= 1ull << (b % 64);
            else
                d[b / 64] &= ~(1ull << (b % 64));
        return *this;
    }
};

Bits valid_s2_ste()
{
    Bits s;
    s.set(0, 0, 1).set(3, 1, 0b110);           // V, Config = S2 only
    s.set(165, 160, 24).set(167, 166, 1);      // S2T0SZ 24 (40 bits), SL0 1
    s.set(175, 174, 0).set(178, 176, 0b101);   // 4K, PS 48 bits
    s.set(179, 179, 1);                        // S2AA64
    s.set(243, 196, 0x40001000ull >> 4);       // S2TTB
    return s;
}

} // namespace

TEST_CASE("STE dword 2 and 3: S2VMID, S2T0SZ, S2SL0, S2TG, S2PS, S2TTB", "[smmu][ste]")
{
    Bits s = valid_s2_ste();
    s.set(143, 128, 0xbeef);   // S2VMID is in dword 2, bits 143:128
    s.set(181, 181, 1);        // S2AFFD
    s.set(186, 186, 1);        // S2R
    va_ste ste;
    REQUIRE(va_ste_decode(s.d, &ste) == 0);
    CHECK(ste.s2);
    CHECK_FALSE(ste.s1);
    CHECK(ste.s2c.vmid == 0xbeef);
    CHECK(ste.vmid == 0xbeef);
    CHECK(ste.s2c.ias == 40);
    CHECK(ste.s2c.start == 1);  // 4K, SL0=1: level 1
    CHECK(ste.s2c.gshift == 12);
    CHECK(ste.s2c.oas == 48);
    CHECK(ste.s2c.ttb == 0x40001000ull);
    CHECK(ste.s2c.affd);
    CHECK(ste.s2c.rec);
}

TEST_CASE("STE dword 1 from bit 77 does not leak into other fields", "[smmu][ste]")
{
    // CONT is 80:77, S1STALLD 91, EATS 93:92, STRW 95:94, MEMATTR 99:96.
    Bits s = valid_s2_ste();
    s.set(3, 1, 0b101);                         // S1 only
    s.set(51, 6, 0x40002000ull >> 6);           // S1ContextPtr
    s.set(80, 77, 0xf).set(99, 96, 0xf).set(93, 92, 0);
    s.set(95, 94, 0b10);                        // STRW = EL2
    s.set(65, 64, 0b01);                        // S1DSS
    s.set(63, 59, 4).set(5, 4, 0b01);           // S1CDMax 4, 2-level CDs
    va_ste ste;
    REQUIRE(va_ste_decode(s.d, &ste) == 0);
    CHECK(ste.s1);
    CHECK(ste.ctxptr == 0x40002000ull);
    CHECK(ste.strw == STRW_EL2);
    CHECK(ste.s1dss == 1);
    CHECK(ste.cdmax == 4);
    CHECK(ste.s1fmt == 1);
    CHECK(STE_CONT(s.d) == 0xf);
    CHECK(STE_MEMATTR(s.d) == 0xf);
}

TEST_CASE("STE validity: V, reserved Config, STRW, S2 geometry", "[smmu][ste]")
{
    va_ste ste;
    Bits s = valid_s2_ste();
    s.set(0, 0, 0);
    CHECK(va_ste_decode(s.d, &ste) == EVT_C_BAD_STE);
    for (unsigned cfg = 1; cfg <= 3; cfg++) {   // 0b0xx: behaves as 0b000
        Bits r = valid_s2_ste();
        r.set(3, 1, cfg);
        CHECK(va_ste_decode(r.d, &ste) == 0);
        CHECK(ste.config == STE_CFG_ABORT);
    }
    Bits a = valid_s2_ste();
    a.set(3, 1, 0);
    CHECK(va_ste_decode(a.d, &ste) == 0);
    CHECK(ste.config == STE_CFG_ABORT);
    Bits w = valid_s2_ste();
    w.set(3, 1, 0b101).set(95, 94, 0b01);     // STRW reserved
    CHECK(va_ste_decode(w.d, &ste) == EVT_C_BAD_STE);
    Bits aa32 = valid_s2_ste();
    aa32.set(179, 179, 0);
    CHECK(va_ste_decode(aa32.d, &ste) == EVT_C_BAD_STE);
    Bits sl3 = valid_s2_ste();
    sl3.set(167, 166, 3);
    CHECK(va_ste_decode(sl3.d, &ste) == EVT_C_BAD_STE);
    Bits big = valid_s2_ste();
    big.set(165, 160, 40);                     // S2T0SZ above 39 (no STT)
    CHECK(va_ste_decode(big.d, &ste) == EVT_C_BAD_STE);
    Bits nested_strw = valid_s2_ste();
    nested_strw.set(3, 1, 0b111).set(95, 94, 0b01); // STRW IGNORED with stage 2
    CHECK(va_ste_decode(nested_strw.d, &ste) == 0);
    Bits fmt = valid_s2_ste();
    fmt.set(3, 1, 0b101).set(5, 4, 3).set(63, 59, 2).set(65, 64, 3);
    REQUIRE(va_ste_decode(fmt.d, &ste) == 0);
    CHECK(ste.s1fmt == 0);                     // S1Fmt 0b11 behaves as 0b00
    CHECK(ste.s1dss == 0);                     // S1DSS 0b11 behaves as 0b00
    Bits ps = valid_s2_ste();
    ps.set(178, 176, 0b111);                   // beyond OAS: capped at OAS
    REQUIRE(va_ste_decode(ps.d, &ste) == 0);
    CHECK(ste.s2c.oas == 48);
}

TEST_CASE("stage-2 starting level and concatenation follow VMSAv8-64", "[smmu][vmsa]")
{
    struct Case {
        unsigned t0sz, sl0, tg, start;
        bool ok;
    } cases[] = {
        {32, 0, 0, 2, true},   // 4K, 32-bit IPA at L2: 11 bits = 4 tables
        {24, 1, 0, 1, true},   // 4K, 40 bits at L1: 2 tables
        {16, 2, 0, 0, true},   // 4K, 48 bits at L0
        {16, 0, 0, 2, false},  // 4K, 48 bits from L2: 27 bits, too many
        {20, 1, 0, 1, false},  // 4K, 44 bits from L1: 14 bits > 9+4
        {37, 2, 0, 0, false},  // 4K, 27 bits from L0: nothing left to resolve
        {24, 1, 2, 2, true},   // 16K, 40 bits at L2: 15 bits = 16 tables
        {28, 0, 2, 3, false},  // 16K, 36 bits at L3: 22 bits
        {20, 1, 1, 2, true},   // 64K, 44 bits at L2: 15 bits = 4 tables
        {16, 2, 1, 1, true},   // 64K, 48 bits at L1: 6 bits
        {24, 3, 0, 0, false},  // SL0 0b11 reserved
        {24, 1, 3, 0, false},  // TG 0b11 reserved
        {40, 0, 1, 3, false},  // S2T0SZ 40 > 39
    };
    for (const Case &c : cases) {
        va_s2cfg s2;
        INFO("T0SZ " << c.t0sz << " SL0 " << c.sl0 << " TG " << c.tg);
        REQUIRE(va_s2_geometry(c.t0sz, c.sl0, c.tg, 5, &s2) == c.ok);
        if (c.ok)
            CHECK(s2.start == c.start);
    }
}

TEST_CASE("stage-1 starting level from TxSZ and granule", "[smmu][vmsa]")
{
    CHECK(va_s1_start_level(48, 12) == 0);
    CHECK(va_s1_start_level(39, 12) == 1);
    CHECK(va_s1_start_level(30, 12) == 2);
    CHECK(va_s1_start_level(48, 14) == 0);  // one bit at level 0
    CHECK(va_s1_start_level(47, 14) == 1);
    CHECK(va_s1_start_level(36, 14) == 2);
    CHECK(va_s1_start_level(48, 16) == 1);
    CHECK(va_s1_start_level(42, 16) == 2);
    CHECK(va_s1_start_level(28, 16) == 3);
    CHECK(va_level_bits(48, 14, 0, 0) == 1);
    CHECK(va_level_bits(48, 16, 1, 1) == 6);
}

TEST_CASE("CD fields: T0SZ, TG0, EPD, IPS, AFFD, WXN, PAN, AA64, R, ASID, TTB0", "[smmu][cd]")
{
    Bits c;
    c.set(5, 0, 25).set(7, 6, 0b10);        // T0SZ 25, TG0 16K
    c.set(14, 14, 0).set(30, 30, 1);        // EPD0 0, EPD1 1
    c.set(31, 31, 1).set(34, 32, 0b010);    // V, IPS 40 bits
    c.set(35, 35, 1).set(36, 36, 1).set(40, 40, 1).set(41, 41, 1);
    c.set(45, 45, 1).set(46, 46, 1);        // R, A (TERM_MODEL 1: A must be 1)
    c.set(63, 48, 0xa51d);
    c.set(115, 68, 0x40008000ull >> 4);     // TTB0
    va_s1cfg s1;
    REQUIRE(va_cd_decode(c.d, STRW_NSEL1, false, false, &s1) == 0);
    CHECK(s1.ias[0] == 39);
    CHECK(s1.gshift[0] == 14);
    CHECK(s1.start[0] == 1);
    CHECK(s1.epd[1]);
    CHECK(s1.oas == 40);
    CHECK(s1.affd);
    CHECK(s1.wxn);
    CHECK(s1.pan);
    CHECK(s1.rec);
    CHECK(s1.asid == 0xa51d);
    CHECK(s1.ttb[0] == 0x40008000ull);

    Bits bad = c;
    bad.set(41, 41, 0);                      // AArch32 tables: not offered
    CHECK(va_cd_decode(bad.d, STRW_NSEL1, false, false, &s1) == EVT_C_BAD_CD);
    bad = c;
    bad.set(31, 31, 0);
    CHECK(va_cd_decode(bad.d, STRW_NSEL1, false, false, &s1) == EVT_C_BAD_CD);
    bad = c;
    bad.set(5, 0, 12);                       // 52-bit VA: not offered
    CHECK(va_cd_decode(bad.d, STRW_NSEL1, false, false, &s1) == EVT_C_BAD_CD);
    bad = c;
    bad.set(7, 6, 0b11);                     // TG0 reserved
    CHECK(va_cd_decode(bad.d, STRW_NSEL1, false, false, &s1) == EVT_C_BAD_CD);
    bad = c;
    bad.set(46, 46, 0);                      // A == 0: RAZ/WI not implemented
    CHECK(va_cd_decode(bad.d, STRW_NSEL1, false, false, &s1) == EVT_C_BAD_CD);
    bad = c;
    bad.set(115, 68, (1ull << 41) >> 4);     // TTB0 beyond the 40-bit IPS
    CHECK(va_cd_decode(bad.d, STRW_NSEL1, false, false, &s1) == EVT_C_BAD_CD);
    bad = c;
    bad.set(14, 14, 1);                      // EPD0: TTB0 walks disabled
    REQUIRE(va_cd_decode(bad.d, STRW_NSEL1, false, false, &s1) == 0);
    CHECK(s1.epd[0]);
    REQUIRE(va_cd_decode(bad.d, STRW_EL2, false, false, &s1) == 0);
    CHECK_FALSE(s1.epd[0]);                  // IGNORED for EL2 streams
    CHECK(s1.single_priv);
    REQUIRE(va_cd_decode(bad.d, STRW_EL2, true, false, &s1) == 0);
    CHECK(s1.epd[0]);                        // EL2-E2H behaves as EL1
}

TEST_CASE("CD TG1 uses the TCR TG1 encoding", "[smmu][cd]")
{
    Bits c;
    c.set(31, 31, 1).set(41, 41, 1).set(34, 32, 5).set(46, 46, 1);
    c.set(14, 14, 1);                        // only TTB1
    c.set(21, 16, 25).set(30, 30, 0);
    const unsigned tg1[] = {0b10, 0b01, 0b11}, shift[] = {12, 14, 16};
    for (int i = 0; i < 3; i++) {
        c.set(23, 22, tg1[i]);
        va_s1cfg s1;
        REQUIRE(va_cd_decode(c.d, STRW_NSEL1, false, false, &s1) == 0);
        CHECK(s1.gshift[1] == shift[i]);
    }
    c.set(23, 22, 0);                        // reserved
    va_s1cfg s1;
    CHECK(va_cd_decode(c.d, STRW_NSEL1, false, false, &s1) == EVT_C_BAD_CD);
}

TEST_CASE("command and event field positions", "[smmu][cmd]")
{
    // CMD_TLBI_NH_VA: NUM 16:12, SCALE 24:20, VMID 47:32, ASID 63:48;
    // dword 1: Leaf 0, TTL 9:8, TG 11:10, Address 63:12.
    uint64_t c[2] = {0x12 | 7ull << 12 | 3ull << 20 | 0x55ull << 32 | 0x1234ull << 48,
                     1 | 2ull << 8 | 1ull << 10 | 0xabcde000ull};
    CHECK(CMD_OP(c) == CMD_TLBI_NH_VA);
    CHECK(CMD_TLBI_NUM(c) == 7);
    CHECK(CMD_TLBI_SCALE(c) == 3);
    CHECK(CMD_TLBI_VMID(c) == 0x55);
    CHECK(CMD_TLBI_ASID(c) == 0x1234);
    CHECK(CMD_LEAF(c) == 1);
    CHECK(CMD_TLBI_TTL(c) == 2);
    CHECK(CMD_TLBI_TG(c) == 1);
    CHECK(CMD_TLBI_ADDR(c) == 0xabcde000ull);
    uint64_t sync[2] = {0x46 | 3ull << 12, 0};
    CHECK(CMD_SYNC_CS(sync) == 3);
}

TEST_CASE("STE HTTU, stall and ATS fields: S2HA 184, S2HD 183, S2S 185, EATS 93:92, "
          "S1STALLD 91", "[smmu][ste][httu]")
{
    va_ste ste;
    Bits s = valid_s2_ste();
    s.set(184, 184, 1).set(183, 183, 1).set(185, 185, 1);
    REQUIRE(va_ste_decode(s.d, &ste) == 0);
    CHECK(ste.s2c.ha);
    CHECK(ste.s2c.hd);
    CHECK(ste.s2c.stall);
    CHECK(ste.eats == EATS_OFF);
    Bits hd_only = valid_s2_ste();
    hd_only.set(183, 183, 1);                  // {S2HA, S2HD} 0b01: as 0b00
    REQUIRE(va_ste_decode(hd_only.d, &ste) == 0);
    CHECK_FALSE(ste.s2c.ha);
    CHECK_FALSE(ste.s2c.hd);
    Bits ats = valid_s2_ste();
    ats.set(93, 92, 0b01);
    REQUIRE(va_ste_decode(ats.d, &ste) == 0);
    CHECK(ste.eats == EATS_FULL);
    ats.set(185, 185, 1);                      // full ATS with S2S: ILLEGAL
    CHECK(va_ste_decode(ats.d, &ste) == EVT_C_BAD_STE);
    Bits split = valid_s2_ste();
    split.set(3, 1, 0b111).set(93, 92, 0b10);  // split-stage: IDR0.NS1ATS == 1
    CHECK(va_ste_decode(split.d, &ste) == EVT_C_BAD_STE);
    Bits dpt = valid_s2_ste();
    dpt.set(93, 92, 0b11);                     // no IDR3.DPT: behaves as 0b00
    REQUIRE(va_ste_decode(dpt.d, &ste) == 0);
    CHECK(ste.eats == EATS_OFF);
    Bits byp = valid_s2_ste();
    byp.set(3, 1, 0b100).set(93, 92, 0b10);    // IGNORED when Config[1:0] == 0
    REQUIRE(va_ste_decode(byp.d, &ste) == 0);
    CHECK(ste.eats == EATS_OFF);
    Bits stalld = valid_s2_ste();
    stalld.set(3, 1, 0b101).set(51, 6, 0x40002000ull >> 6).set(91, 91, 1);
    REQUIRE(va_ste_decode(stalld.d, &ste) == 0);
    CHECK(ste.s1stalld);
}

TEST_CASE("CD HTTU and fault fields: HD 42, HA 43, S 44, A 46", "[smmu][cd][httu]")
{
    Bits c;
    c.set(5, 0, 25).set(31, 31, 1).set(34, 32, 5).set(41, 41, 1).set(46, 46, 1);
    c.set(30, 30, 1).set(115, 68, 0x40008000ull >> 4);
    va_s1cfg s1;
    Bits both = c;
    both.set(43, 43, 1).set(42, 42, 1).set(44, 44, 1);
    REQUIRE(va_cd_decode(both.d, STRW_NSEL1, false, false, &s1) == 0);
    CHECK(s1.ha);
    CHECK(s1.hd);
    CHECK(s1.stall);
    Bits hd_only = c;
    hd_only.set(42, 42, 1);                    // {HD, HA} 0b10: as 0b00
    REQUIRE(va_cd_decode(hd_only.d, STRW_NSEL1, false, false, &s1) == 0);
    CHECK_FALSE(s1.ha);
    CHECK_FALSE(s1.hd);
    Bits stall = c;
    stall.set(44, 44, 1);                      // CD.S with STE.S1STALLD: ILLEGAL
    CHECK(va_cd_decode(stall.d, STRW_NSEL1, false, true, &s1) == EVT_C_BAD_CD);
    REQUIRE(va_cd_decode(stall.d, STRW_NSEL1, false, false, &s1) == 0);
}

TEST_CASE("ATS, PRI and stall command fields, PRI queue record bits", "[smmu][cmd]")
{
    // CMD_ATC_INV: Global 9, SSV 11, SSID 31:12, SID 63:32; Size 69:64,
    // Address 127:76.
    uint64_t atc[2] = {0x40 | 1ull << 9 | 1ull << 11 | 0x12345ull << 12 | 0x77ull << 32,
                       52 | 0xfedcb000ull};
    CHECK(CMD_OP(atc) == CMD_ATC_INV);
    CHECK(CMD_ATC_GLOBAL(atc) == 1);
    CHECK(CMD_SSV(atc) == 1);
    CHECK(CMD_SSID(atc) == 0x12345);
    CHECK(CMD_SID(atc) == 0x77);
    CHECK(CMD_ATC_SIZE(atc) == 52);
    CHECK(CMD_ATC_ADDR(atc) == 0xfedcb000ull);
    // CMD_PRI_RESP: PRGIndex 72:64, Resp 77:76.
    uint64_t pri[2] = {0x41, 0x1ff | 2ull << 12};
    CHECK(CMD_PRI_PRGI(pri) == 0x1ff);
    CHECK(CMD_PRI_RESP_CODE(pri) == PRI_RESP_SUCCESS);
    // CMD_RESUME: Ac 12, Ab 13, SID 63:32; STAG 79:64.
    uint64_t res[2] = {0x44 | 1ull << 12 | 9ull << 32, 0xbeef};
    CHECK(CMD_RESUME_RETRY(res) == 1);
    CHECK(CMD_SID(res) == 9);
    CHECK(CMD_RESUME_STAG(res) == 0xbeef);
    // PRI queue record: SID 31:0, SSID 51:32, Priv 58, Exe 59, R 60, W 61,
    // L 62, SSV 63.
    CHECK(PRIQ0_PRIV == 1ull << 58);
    CHECK(PRIQ0_EXEC == 1ull << 59);
    CHECK(PRIQ0_READ == 1ull << 60);
    CHECK(PRIQ0_WRITE == 1ull << 61);
    CHECK(PRIQ0_LAST == 1ull << 62);
    CHECK(PRIQ0_SSV == 1ull << 63);
    // Event record: STAG 79:64, Stall 95, TTRnW 108.
    CHECK(EVT1_STALL == 1ull << (95 - 64));
    CHECK(EVT1_TTRNW == 1ull << (108 - 64));
}
