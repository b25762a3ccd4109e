/*
 * Internal: decoded SMMUv3 configuration (STE, CD) and the per-context
 * translation setup the walker needs. Decoding checks every field the
 * model uses against the values the spec allows; a reserved or unsupported
 * value is the spec's configuration error (C_BAD_STE / C_BAD_CD).
 */
#ifndef VA_SMMU_CFG_H
#define VA_SMMU_CFG_H

#include <stdbool.h>
#include <stdint.h>

/* Tags that extend the 16-bit VMID/ASID space for IOTLB keys. */
#define VA_VMID_EL2 0x10001u   /* streams of the EL2 world (no VMID) */
#define VA_ASID_NONE 0x10000u  /* no stage 1 (stage-2-only, S1 bypass) */

typedef struct va_s1cfg {
    uint64_t ttb[2];
    uint8_t ias[2];     /* 64 - TxSZ */
    uint8_t gshift[2];  /* 12, 14 or 16 */
    uint8_t start[2];   /* starting lookup level */
    bool epd[2];
    bool had[2];
    uint8_t oas;        /* CD.IPS capped at the SMMU's OAS */
    uint8_t tbi;        /* TBI[1:0] */
    bool affd, wxn, pan, rec;
    bool ha, hd;        /* CD.HA/HD: hardware Access flag / dirty updates */
    bool stall;         /* CD.S: translation-related faults stall */
    bool single_priv;   /* EL2 without E2H: one range, one privilege */
    uint16_t asid;
} va_s1cfg;

typedef struct va_s2cfg {
    uint64_t ttb;
    uint8_t ias;        /* 64 - S2T0SZ */
    uint8_t gshift;
    uint8_t start;      /* from S2SL0 */
    uint8_t oas;        /* S2PS capped at OAS */
    bool affd, rec;
    bool ha, hd;        /* STE.S2HA/S2HD */
    bool stall;         /* STE.S2S */
    bool ptw;           /* S2PTW: no table walks or CD fetches to Device */
    uint16_t vmid;
} va_s2cfg;

typedef struct va_ste {
    unsigned config;    /* STE.Config */
    bool s1, s2;
    uint64_t ctxptr;    /* S1ContextPtr (an IPA when s2) */
    unsigned s1fmt, cdmax, s1dss, strw;
    unsigned eats;      /* effective STE.EATS: EATS_OFF or EATS_FULL */
    bool s1stalld;      /* STE.S1STALLD: CDs may not select stalling */
    uint16_t vmid;      /* S2VMID: tags NS-EL1 translations of either stage */
    va_s2cfg s2c;
} va_ste;

/* Everything one context translates with. */
typedef struct va_xcfg {
    bool s1, s2;
    va_s1cfg s1c;
    va_s2cfg s2c;
    uint32_t vmid_tag, asid_tag; /* IOTLB space key parts */
} va_xcfg;

/* Decodes a 64-byte STE (eight little-endian dwords already in host
 * order). Returns 0, or the event number C_BAD_STE for an ILLEGAL STE.
 * Reserved encodings the spec says "behave as" another are mapped. */
int va_ste_decode(const uint64_t d[8], va_ste *out);

/* Decodes a CD for a stream of world `strw` whose STE has S1STALLD =
 * `s1stalld`. Returns 0 or C_BAD_CD. */
int va_cd_decode(const uint64_t d[8], unsigned strw, bool e2h, bool s1stalld,
                 va_s1cfg *out);

/* Stage-2 geometry from the STE encodings; false if the spec forbids it. */
bool va_s2_geometry(unsigned t0sz, unsigned sl0, unsigned tg, unsigned ps,
                    va_s2cfg *out);

/* Stage-1 starting level for an input size and granule (VMSAv8-64). */
unsigned va_s1_start_level(unsigned ias, unsigned gshift);

/* Bits of the input address resolved at `level`. */
unsigned va_level_bits(unsigned ias, unsigned gshift, unsigned start,
                       unsigned level);

/* IPS/PS encoding to bits (capped at the model's OAS); 0 if reserved. */
unsigned va_ps_bits(unsigned enc);

#endif
