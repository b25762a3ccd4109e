/* Decoding of STEs and CDs into the walker's configuration. */
#include "smmu/cfg.h"

#include "smmu/smmu_model.h"
#include "smmu/smmu_spec.h"

unsigned va_ps_bits(unsigned enc)
{
    /* 0b110 (52) and 0b111 (56, reserved before v3.4) exceed the OAS and
     * so behave as the OAS (STE.S2PS: eff_S2PS = MIN(S2PS, OAS)). */
    static const unsigned bits[8] = {32, 36, 40, 42, 44, 48, 52, 56};
    unsigned b = bits[enc & 7];
    return b > VA_SMMU_OAS ? VA_SMMU_OAS : b;
}

unsigned va_s1_start_level(unsigned ias, unsigned gshift)
{
    unsigned stride = gshift - 3;
    unsigned levels = (ias - gshift + stride - 1) / stride; /* ceil */
    return 4 - levels;
}

unsigned va_level_bits(unsigned ias, unsigned gshift, unsigned start,
                       unsigned level)
{
    unsigned stride = gshift - 3;
    if (level != start)
        return stride;
    return ias - (gshift + stride * (3 - start));
}

/* STE.S2TG and CD.TG0 share the VTCR/TCR TG0 encoding. */
static unsigned tg0_shift(unsigned tg)
{
    static const unsigned s[4] = {12, 16, 14, 0};
    return s[tg & 3];
}

/* CD.TG1 has the TCR TG1 encoding. */
static unsigned tg1_shift(unsigned tg)
{
    static const unsigned s[4] = {0, 14, 12, 16};
    return s[tg & 3];
}

bool va_s2_geometry(unsigned t0sz, unsigned sl0, unsigned tg, unsigned ps,
                    va_s2cfg *out)
{
    unsigned g = tg0_shift(tg);
    /* S2T0SZ 16..39 (no IDR3.STT), a supported granule, SL0 != 0b11. */
    if (!g || sl0 == 3 || t0sz < 64 - VA_SMMU_OAS || t0sz > 39)
        return false;
    unsigned ias = 64 - t0sz;
    /* SL0 counts levels back from the last one; 4K starts one level lower. */
    unsigned start = g == 12 ? 2 - sl0 : 3 - sl0;
    unsigned stride = g - 3;
    unsigned below = g + stride * (3 - start); /* bits under the start level */
    if (ias > VA_SMMU_OAS || ias <= below)
        return false;
    /* Up to 16 concatenated tables at the start level (4 extra bits). */
    if (ias - below > stride + 4)
        return false;
    unsigned oas = va_ps_bits(ps);
    if (!oas)
        return false;
    out->ias = (uint8_t)ias;
    out->gshift = (uint8_t)g;
    out->start = (uint8_t)start;
    out->oas = (uint8_t)oas;
    return true;
}

/* STE.EATS of a translating stream (IHI 0070 5.2). */
static int ste_eats(const uint64_t d[8], va_ste *out)
{
    switch ((unsigned)STE_EATS(d)) {
    case EATS_FULL:
        /* Full ATS cannot be combined with stalling stage-2 faults. */
        if (out->s2 && out->s2c.stall)
            return EVT_C_BAD_STE;
        out->eats = EATS_FULL;
        return 0;
    case EATS_SPLIT:
        return EVT_C_BAD_STE; /* IDR0.NS1ATS == 1: split-stage ATS absent */
    default:
        out->eats = EATS_OFF; /* 0b11 without IDR3.DPT behaves as 0b00 */
        return 0;
    }
}

int va_ste_decode(const uint64_t d[8], va_ste *out)
{
    *out = (va_ste){0};
    if (!STE_V(d))
        return EVT_C_BAD_STE;
    unsigned cfg = (unsigned)STE_CONFIG(d);
    if (cfg < STE_CFG_BYPASS)
        cfg = STE_CFG_ABORT; /* 0b0xx: reserved, behave as 0b000 */
    out->config = cfg;
    /* EATS is IGNORED with Config[1:0] == 0b00 (abort, bypass: effective
     * 0b00), checked below for translating streams. */
    if (cfg == STE_CFG_ABORT || cfg == STE_CFG_BYPASS)
        return 0;
    out->s1 = cfg & 1;
    out->s2 = (cfg & 2) != 0;
    /* NS-EL1 translations are VMID-tagged with S2VMID even without stage 2. */
    out->vmid = (uint16_t)STE_S2VMID(d);
    if (out->s1) {
        out->ctxptr = STE_S1CTXPTR(d);
        out->s1fmt = (unsigned)STE_S1FMT(d);
        out->cdmax = (unsigned)STE_S1CDMAX(d);
        out->s1dss = (unsigned)STE_S1DSS(d);
        /* STRW is IGNORED with stage 2 enabled: the world is NS-EL1. */
        out->strw = out->s2 ? STRW_NSEL1 : (unsigned)STE_STRW(d);
        out->s1stalld = STE_S1STALLD(d);
        if (out->cdmax > VA_SMMU_SSID_BITS)
            return EVT_C_BAD_STE;
        if (out->s1fmt == 3)
            out->s1fmt = 0;   /* reserved, behaves as 0b00 */
        if (out->s1dss == 3)
            out->s1dss = 0;   /* reserved, behaves as 0b00 */
        if (out->strw != STRW_NSEL1 && out->strw != STRW_EL2)
            return EVT_C_BAD_STE; /* 0bx1: ILLEGAL */
    }
    if (out->s2) {
        va_s2cfg *s2 = &out->s2c;
        if (!STE_S2AA64(d) || STE_S2ENDI(d))
            return EVT_C_BAD_STE; /* AArch64, little-endian tables only */
        /* IDR0.HTTU == 0b10: both allowed; {S2HA, S2HD} == 0b01 is
         * reserved and behaves as 0b00. */
        s2->ha = STE_S2HA(d);
        s2->hd = s2->ha && STE_S2HD(d);
        s2->stall = STE_S2S(d); /* IDR0.STALL_MODEL == 0b00 */
        if (!va_s2_geometry((unsigned)STE_S2T0SZ(d), (unsigned)STE_S2SL0(d),
                            (unsigned)STE_S2TG(d), (unsigned)STE_S2PS(d), s2))
            return EVT_C_BAD_STE;
        s2->ttb = STE_S2TTB(d);
        if (s2->ttb >> s2->oas)
            return EVT_C_BAD_STE;
        s2->affd = STE_S2AFFD(d);
        s2->rec = STE_S2R(d);
        s2->ptw = STE_S2PTW(d);
        s2->vmid = (uint16_t)STE_S2VMID(d);
    }
    return ste_eats(d, out);
}

static bool s1_range(va_s1cfg *o, int r, unsigned tsz, unsigned g)
{
    /* 25..48-bit input ranges (T0SZ 16..39); 52-bit VAs are not offered. */
    if (!g || tsz < 16 || tsz > 39)
        return false;
    o->ias[r] = (uint8_t)(64 - tsz);
    o->gshift[r] = (uint8_t)g;
    o->start[r] = (uint8_t)va_s1_start_level(64 - tsz, g);
    return true;
}

int va_cd_decode(const uint64_t d[8], unsigned strw, bool e2h, bool s1stalld,
                 va_s1cfg *out)
{
    *out = (va_s1cfg){0};
    if (!CD_V(d) || !CD_AA64(d) || CD_ENDI(d))
        return EVT_C_BAD_CD; /* invalid, AArch32 or big-endian tables */
    /* IDR0.TERM_MODEL == 1: RAZ/WI termination is absent, CD.A must be 1;
     * CD.S may not ask for stalls that the STE disallows. */
    if (!CD_A(d) || (CD_S(d) && s1stalld))
        return EVT_C_BAD_CD;
    out->stall = CD_S(d);
    /* IDR0.HTTU == 0b10; {HD, HA} == 0b10 is reserved, behaves as 0b00. */
    out->ha = CD_HA(d);
    out->hd = out->ha && CD_HD(d);
    /* EL2 without E2H: one range, TTB0, and EPD0 is IGNORED (0). */
    out->single_priv = strw == STRW_EL2 && !e2h;
    out->epd[0] = out->single_priv ? false : CD_EPD0(d);
    out->epd[1] = out->single_priv ? true : CD_EPD1(d);
    if (!out->epd[0] && !s1_range(out, 0, (unsigned)CD_T0SZ(d), tg0_shift((unsigned)CD_TG0(d))))
        return EVT_C_BAD_CD;
    if (!out->epd[1] && !s1_range(out, 1, (unsigned)CD_T1SZ(d), tg1_shift((unsigned)CD_TG1(d))))
        return EVT_C_BAD_CD;
    unsigned oas = va_ps_bits((unsigned)CD_IPS(d));
    if (!oas)
        return EVT_C_BAD_CD;
    out->oas = (uint8_t)oas;
    out->ttb[0] = CD_TTB0(d);
    out->ttb[1] = CD_TTB1(d);
    /* A TTBx outside the effective IPS is ILLEGAL. */
    for (int r = 0; r < 2; r++)
        if (!out->epd[r] && out->ttb[r] >> oas)
            return EVT_C_BAD_CD;
    out->had[0] = CD_HAD0(d);
    out->had[1] = CD_HAD1(d);
    out->tbi = (uint8_t)CD_TBI(d);
    out->affd = CD_AFFD(d);
    out->wxn = CD_WXN(d);
    out->pan = CD_PAN(d);
    out->rec = CD_R(d);
    out->asid = (uint16_t)CD_ASID(d);
    return 0;
}
