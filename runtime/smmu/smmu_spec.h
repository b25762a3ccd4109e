/*
 * Internal: facts from the Arm SMMUv3 architecture specification (IHI 0070)
 * and the Armv8-A VMSA: register offsets, structure field positions,
 * command opcodes and event numbers. Only constants live here so that every
 * field position can be checked against the spec's tables in one place.
 *
 * Field positions are given as (dword, hi, lo) within the 64-byte STE/CD or
 * the 16-byte command, i.e. the spec's bit number minus 64*dword.
 */
#ifndef VA_SMMU_SPEC_H
#define VA_SMMU_SPEC_H

#include <stdint.h>

/* Extracts bits [hi:lo] of a 64-bit value. */
#define VA_BITS(v, hi, lo) \
    (((uint64_t)(v) >> (lo)) & ((hi) - (lo) == 63 ? ~0ull : ((1ull << ((hi) - (lo) + 1)) - 1)))
#define VA_BIT(v, b) ((unsigned)(((uint64_t)(v) >> (b)) & 1u))
#define VA_MASK(hi, lo) ((~0ull >> (63 - (hi))) & ~((1ull << (lo)) - 1))

/* ---- Register map (section 6.3): page 0, page 1 at 0x10000 ---- */
enum {
    SMMU_IDR0 = 0x00, SMMU_IDR1 = 0x04, SMMU_IDR2 = 0x08, SMMU_IDR3 = 0x0c,
    SMMU_IDR4 = 0x10, SMMU_IDR5 = 0x14, SMMU_IIDR = 0x18, SMMU_AIDR = 0x1c,
    SMMU_CR0 = 0x20, SMMU_CR0ACK = 0x24, SMMU_CR1 = 0x28, SMMU_CR2 = 0x2c,
    SMMU_STATUSR = 0x40, SMMU_GBPA = 0x44, SMMU_AGBPA = 0x48,
    SMMU_IRQ_CTRL = 0x50, SMMU_IRQ_CTRLACK = 0x54,
    SMMU_GERROR = 0x60, SMMU_GERRORN = 0x64,
    SMMU_GERROR_IRQ_CFG0 = 0x68, SMMU_GERROR_IRQ_CFG1 = 0x70,
    SMMU_GERROR_IRQ_CFG2 = 0x74,
    SMMU_STRTAB_BASE = 0x80, SMMU_STRTAB_BASE_CFG = 0x88,
    SMMU_CMDQ_BASE = 0x90, SMMU_CMDQ_PROD = 0x98, SMMU_CMDQ_CONS = 0x9c,
    SMMU_EVENTQ_BASE = 0xa0,
    SMMU_EVENTQ_IRQ_CFG0 = 0xb0, SMMU_EVENTQ_IRQ_CFG1 = 0xb8,
    SMMU_EVENTQ_IRQ_CFG2 = 0xbc,
    SMMU_PRIQ_BASE = 0xc0, SMMU_PRIQ_IRQ_CFG0 = 0xd0, SMMU_PRIQ_IRQ_CFG1 = 0xd8,
    SMMU_PRIQ_IRQ_CFG2 = 0xdc,
    SMMU_EVENTQ_PROD = 0x100a8, SMMU_EVENTQ_CONS = 0x100ac,
    SMMU_PRIQ_PROD = 0x100c8, SMMU_PRIQ_CONS = 0x100cc,
    SMMU_PIDR0 = 0xfe0, SMMU_CIDR0 = 0xff0,
    SMMU_REG_SPACE = 0x20000
};

/* IDR0 */
#define IDR0_S2P (1u << 0)
#define IDR0_S1P (1u << 1)
#define IDR0_TTF_AARCH64 (2u << 2)
#define IDR0_COHACC (1u << 4)
#define IDR0_HTTU_AF_DIRTY (2u << 6) /* HTTU 0b10: Access flag and dirty state */
#define IDR0_HYP (1u << 9)
#define IDR0_ATS (1u << 10)
#define IDR0_NS1ATS (1u << 11) /* 1: split-stage ATS (EATS 0b10) not supported */
#define IDR0_ASID16 (1u << 12)
#define IDR0_MSI (1u << 13)
#define IDR0_PRI (1u << 16)
#define IDR0_VMID16 (1u << 18)
#define IDR0_CD2L (1u << 19)
#define IDR0_TTENDIAN_LE (2u << 21)
#define IDR0_STALL_BOTH (0u << 24) /* STALL_MODEL 0b00: stall and terminate */
#define IDR0_TERM_MODEL (1u << 26)
#define IDR0_ST_LEVEL_2LVL (1u << 27)
/* IDR1 fields */
#define IDR1_SIDSIZE_SHIFT 0
#define IDR1_SSIDSIZE_SHIFT 6
#define IDR1_PRIQS_SHIFT 11
#define IDR1_EVENTQS_SHIFT 16
#define IDR1_CMDQS_SHIFT 21
/* IDR3 */
#define IDR3_HAD (1u << 2)
#define IDR3_PPS (1u << 5) /* overflow auto-responses keep the PASID */
#define IDR3_RIL (1u << 10)
/* IDR5 */
#define IDR5_OAS_48 5u
#define IDR5_GRAN4K (1u << 4)
#define IDR5_GRAN16K (1u << 5)
#define IDR5_GRAN64K (1u << 6)
#define IDR5_STALL_MAX_SHIFT 16

/* CR0 */
#define CR0_SMMUEN (1u << 0)
#define CR0_PRIQEN (1u << 1)
#define CR0_EVENTQEN (1u << 2)
#define CR0_CMDQEN (1u << 3)
#define CR0_ATSCHK (1u << 4)
#define CR0_VMW_MASK (7u << 6)
#define CR2_E2H (1u << 0)
#define CR2_RECINVSID (1u << 1)
#define CR2_PTM (1u << 2)
#define GBPA_UPDATE (1u << 31)
#define GBPA_ABORT (1u << 20)
#define IRQ_CTRL_GERROR (1u << 0)
#define IRQ_CTRL_PRIQ (1u << 1)
#define IRQ_CTRL_EVENTQ (1u << 2)
#define PRIQ_IRQ_CFG2_LO (1u << 31) /* interrupt only for Last == 1 */
/* GERROR */
#define GERROR_CMDQ_ERR (1u << 0)
#define GERROR_EVTQ_ABT_ERR (1u << 2)
#define GERROR_PRIQ_ABT_ERR (1u << 3)
#define GERROR_MSI_CMDQ_ABT (1u << 4)
#define GERROR_MSI_EVTQ_ABT (1u << 5)
#define GERROR_MSI_PRIQ_ABT (1u << 6)
#define GERROR_MSI_GERROR_ABT (1u << 7)
#define GERROR_SFM_ERR (1u << 8)
/* STRTAB_BASE / _CFG */
#define STRTAB_BASE_ADDR VA_MASK(51, 6)
#define STRTAB_BASE_RA (1ull << 62)
#define STRTAB_CFG_LOG2SIZE(v) VA_BITS(v, 5, 0)
#define STRTAB_CFG_SPLIT(v) VA_BITS(v, 10, 6)
#define STRTAB_CFG_FMT(v) VA_BITS(v, 17, 16)
/* Queue base registers: ADDR[51:5], LOG2SIZE[4:0]; PROD/CONS: index+wrap
 * in [19:0], CMDQ_CONS.ERR [30:24], EVENTQ_PROD.OVFLG / CONS.OVACKFLG 31. */
#define Q_BASE_ADDR VA_MASK(51, 5)
#define Q_BASE_LOG2SIZE(v) VA_BITS(v, 4, 0)
#define Q_BASE_ALLOC (1ull << 62)
#define Q_IDX_MASK 0xfffffu
#define CMDQ_CONS_ERR_SHIFT 24
#define Q_OVFLG (1u << 31)

/* ---- Stream table entry (section 5.2), 64 bytes ---- */
#define STE_V(d) VA_BIT((d)[0], 0)
#define STE_CONFIG(d) VA_BITS((d)[0], 3, 1)
#define STE_S1FMT(d) VA_BITS((d)[0], 5, 4)
#define STE_S1CTXPTR(d) ((d)[0] & VA_MASK(51, 6))
#define STE_S1CDMAX(d) VA_BITS((d)[0], 63, 59)
#define STE_S1DSS(d) VA_BITS((d)[1], 1, 0)    /* bits 65:64 */
#define STE_S1CIR(d) VA_BITS((d)[1], 3, 2)    /* 67:66 */
#define STE_S1COR(d) VA_BITS((d)[1], 5, 4)    /* 69:68 */
#define STE_S1CSH(d) VA_BITS((d)[1], 7, 6)    /* 71:70 */
#define STE_DRE(d) VA_BIT((d)[1], 12)         /* 76 */
#define STE_CONT(d) VA_BITS((d)[1], 16, 13)   /* 80:77 */
#define STE_DCP(d) VA_BIT((d)[1], 17)         /* 81 */
#define STE_PPAR(d) VA_BIT((d)[1], 18)        /* 82 */
#define STE_MEV(d) VA_BIT((d)[1], 19)         /* 83 */
#define STE_S1STALLD(d) VA_BIT((d)[1], 27)    /* 91 */
#define STE_EATS(d) VA_BITS((d)[1], 29, 28)   /* 93:92 */
#define STE_STRW(d) VA_BITS((d)[1], 31, 30)   /* 95:94 */
#define STE_MEMATTR(d) VA_BITS((d)[1], 35, 32) /* 99:96 */
#define STE_SHCFG(d) VA_BITS((d)[1], 45, 44)  /* 109:108 */
#define STE_PRIVCFG(d) VA_BITS((d)[1], 49, 48) /* 113:112 */
#define STE_INSTCFG(d) VA_BITS((d)[1], 51, 50) /* 115:114 */
#define STE_S2VMID(d) VA_BITS((d)[2], 15, 0)  /* 143:128 */
#define STE_S2T0SZ(d) VA_BITS((d)[2], 37, 32) /* 165:160 */
#define STE_S2SL0(d) VA_BITS((d)[2], 39, 38)  /* 167:166 */
#define STE_S2TG(d) VA_BITS((d)[2], 47, 46)   /* 175:174 */
#define STE_S2PS(d) VA_BITS((d)[2], 50, 48)   /* 178:176 */
#define STE_S2AA64(d) VA_BIT((d)[2], 51)      /* 179 */
#define STE_S2ENDI(d) VA_BIT((d)[2], 52)      /* 180 */
#define STE_S2AFFD(d) VA_BIT((d)[2], 53)      /* 181 */
#define STE_S2PTW(d) VA_BIT((d)[2], 54)       /* 182 */
#define STE_S2HD(d) VA_BIT((d)[2], 55)        /* 183 */
#define STE_S2HA(d) VA_BIT((d)[2], 56)        /* 184 */
#define STE_S2S(d) VA_BIT((d)[2], 57)         /* 185 */
#define STE_S2R(d) VA_BIT((d)[2], 58)         /* 186 */
#define STE_S2TTB(d) ((d)[3] & VA_MASK(51, 4)) /* 243:196 */

/* STE.EATS */
enum { EATS_OFF = 0, EATS_FULL = 1, EATS_SPLIT = 2, EATS_DPT = 3 };
/* STE.Config */
enum { STE_CFG_ABORT = 0, STE_CFG_BYPASS = 4, STE_CFG_S1 = 5, STE_CFG_S2 = 6,
       STE_CFG_NESTED = 7 };
/* STE.STRW */
enum { STRW_NSEL1 = 0, STRW_EL2 = 2 };
/* Level-1 stream table descriptor: Span[4:0], L2Ptr[51:6]. */
#define L1STD_SPAN(v) VA_BITS(v, 4, 0)
#define L1STD_L2PTR(v) ((v) & VA_MASK(51, 6))
/* Level-1 CD descriptor: V bit 0, L2Ptr[51:12]. */
#define L1CD_V(v) VA_BIT(v, 0)
#define L1CD_L2PTR(v) ((v) & VA_MASK(51, 12))

/* ---- Context descriptor (section 5.4), 64 bytes ---- */
#define CD_T0SZ(d) VA_BITS((d)[0], 5, 0)
#define CD_TG0(d) VA_BITS((d)[0], 7, 6)
#define CD_EPD0(d) VA_BIT((d)[0], 14)
#define CD_ENDI(d) VA_BIT((d)[0], 15)
#define CD_T1SZ(d) VA_BITS((d)[0], 21, 16)
#define CD_TG1(d) VA_BITS((d)[0], 23, 22)
#define CD_EPD1(d) VA_BIT((d)[0], 30)
#define CD_V(d) VA_BIT((d)[0], 31)
#define CD_IPS(d) VA_BITS((d)[0], 34, 32)
#define CD_AFFD(d) VA_BIT((d)[0], 35)
#define CD_WXN(d) VA_BIT((d)[0], 36)
#define CD_UWXN(d) VA_BIT((d)[0], 37)
#define CD_TBI(d) VA_BITS((d)[0], 39, 38)
#define CD_PAN(d) VA_BIT((d)[0], 40)
#define CD_AA64(d) VA_BIT((d)[0], 41)
#define CD_HD(d) VA_BIT((d)[0], 42)
#define CD_HA(d) VA_BIT((d)[0], 43)
#define CD_S(d) VA_BIT((d)[0], 44)
#define CD_R(d) VA_BIT((d)[0], 45)
#define CD_A(d) VA_BIT((d)[0], 46)
#define CD_ASET(d) VA_BIT((d)[0], 47)
#define CD_ASID(d) VA_BITS((d)[0], 63, 48)
#define CD_HAD0(d) VA_BIT((d)[1], 1)          /* 65 */
#define CD_TTB0(d) ((d)[1] & VA_MASK(51, 4))  /* 115:68 */
#define CD_HAD1(d) VA_BIT((d)[2], 1)          /* 129 */
#define CD_TTB1(d) ((d)[2] & VA_MASK(51, 4))  /* 179:132 */

/* ---- Translation table descriptors (Armv8-A VMSAv8-64) ---- */
#define DESC_VALID(d) VA_BIT(d, 0)
#define DESC_TABLE(d) VA_BIT(d, 1) /* table at levels 0-2, page at level 3 */
#define DESC_AP(d) VA_BITS(d, 7, 6) /* stage 1 AP[2:1]; stage 2 S2AP */
#define DESC_AF(d) VA_BIT(d, 10)
#define DESC_NG(d) VA_BIT(d, 11)
#define DESC_AF_BIT (1ull << 10)
#define DESC_AP2_BIT (1ull << 7)   /* stage 1 AP[2]: read-only */
#define DESC_S2AP_W_BIT (1ull << 7) /* stage 2 S2AP[1]: writable */
#define DESC_DBM(d) VA_BIT(d, 51)  /* Dirty Bit Modifier (HTTU) */
#define DESC_PXN(d) VA_BIT(d, 53)
#define DESC_UXN(d) VA_BIT(d, 54) /* XN at stage 2 and in single-range EL2 */
#define DESC_PXNTABLE(d) VA_BIT(d, 59)
#define DESC_UXNTABLE(d) VA_BIT(d, 60)
#define DESC_APTABLE(d) VA_BITS(d, 62, 61)
/* Output and next-level table addresses are descriptor bits [47:granule]
 * (48-bit OA, no FEAT_LPA): bits [50:48] are RES0 and bit 51 of a leaf is
 * DBM, of a table descriptor IGNORED. */
#define DESC_OA_TOP 47

/* ---- Commands (section 4), 16 bytes ---- */
enum {
    CMD_PREFETCH_CONFIG = 0x01, CMD_PREFETCH_ADDR = 0x02,
    CMD_CFGI_STE = 0x03, CMD_CFGI_STE_RANGE = 0x04, /* CFGI_ALL is RANGE 31 */
    CMD_CFGI_CD = 0x05, CMD_CFGI_CD_ALL = 0x06,
    CMD_CFGI_VMS_PIDM = 0x07,
    CMD_TLBI_NH_ALL = 0x10, CMD_TLBI_NH_ASID = 0x11, CMD_TLBI_NH_VA = 0x12,
    CMD_TLBI_NH_VAA = 0x13,
    CMD_TLBI_EL3_ALL = 0x18, CMD_TLBI_EL3_VA = 0x1a,
    CMD_TLBI_EL2_ALL = 0x20, CMD_TLBI_EL2_ASID = 0x21, CMD_TLBI_EL2_VA = 0x22,
    CMD_TLBI_EL2_VAA = 0x23,
    CMD_TLBI_S12_VMALL = 0x28, CMD_TLBI_S2_IPA = 0x2a,
    CMD_TLBI_NSNH_ALL = 0x30,
    CMD_ATC_INV = 0x40, CMD_PRI_RESP = 0x41, CMD_RESUME = 0x44,
    CMD_STALL_TERM = 0x45, CMD_SYNC = 0x46
};
#define CMD_OP(c) VA_BITS((c)[0], 7, 0)
#define CMD_SSEC(c) VA_BIT((c)[0], 10)
#define CMD_SSV(c) VA_BIT((c)[0], 11)
#define CMD_SSID(c) VA_BITS((c)[0], 31, 12)
#define CMD_SID(c) VA_BITS((c)[0], 63, 32)
#define CMD_LEAF(c) VA_BIT((c)[1], 0)
#define CMD_STE_RANGE(c) VA_BITS((c)[1], 4, 0)
#define CMD_TLBI_NUM(c) VA_BITS((c)[0], 16, 12)
#define CMD_TLBI_SCALE(c) VA_BITS((c)[0], 24, 20)
#define CMD_TLBI_VMID(c) VA_BITS((c)[0], 47, 32)
#define CMD_TLBI_ASID(c) VA_BITS((c)[0], 63, 48)
#define CMD_TLBI_TTL(c) VA_BITS((c)[1], 9, 8)
#define CMD_TLBI_TG(c) VA_BITS((c)[1], 11, 10)
#define CMD_TLBI_ADDR(c) ((c)[1] & VA_MASK(63, 12))
/* CMD_ATC_INV: Global [9], SSV/SSID as above; Size [69:64], Address [127:76]. */
#define CMD_ATC_GLOBAL(c) VA_BIT((c)[0], 9)
#define CMD_ATC_SIZE(c) VA_BITS((c)[1], 5, 0)
#define CMD_ATC_ADDR(c) ((c)[1] & VA_MASK(63, 12))
/* CMD_PRI_RESP: PRGIndex [72:64], Resp [77:76]. */
#define CMD_PRI_PRGI(c) VA_BITS((c)[1], 8, 0)
#define CMD_PRI_RESP_CODE(c) VA_BITS((c)[1], 13, 12)
enum { PRI_RESP_FAILURE = 0, PRI_RESP_INVALID = 1, PRI_RESP_SUCCESS = 2 };
/* CMD_RESUME: Ac [12] (1 retry, 0 terminate), Ab [13]; STAG [79:64]. */
#define CMD_RESUME_RETRY(c) VA_BIT((c)[0], 12)
#define CMD_RESUME_STAG(c) VA_BITS((c)[1], 15, 0)
#define CMD_SYNC_CS(c) VA_BITS((c)[0], 13, 12)
#define CMD_SYNC_MSIDATA(c) VA_BITS((c)[0], 63, 32)
#define CMD_SYNC_MSIADDR(c) ((c)[1] & VA_MASK(51, 2))
enum { SYNC_CS_NONE = 0, SYNC_CS_IRQ = 1, SYNC_CS_SEV = 2 };
/* CMDQ_CONS.ERR */
enum { CERROR_NONE = 0, CERROR_ILL = 1, CERROR_ABT = 2, CERROR_ATC_INV_SYNC = 3 };

/* ---- Events (section 7.3), 32 bytes ---- */
enum {
    EVT_F_UUT = 0x01, EVT_C_BAD_STREAMID = 0x02, EVT_F_STE_FETCH = 0x03,
    EVT_C_BAD_STE = 0x04, EVT_F_BAD_ATS_TREQ = 0x05,
    EVT_F_STREAM_DISABLED = 0x06, EVT_F_TRANSL_FORBIDDEN = 0x07,
    EVT_C_BAD_SUBSTREAMID = 0x08, EVT_F_CD_FETCH = 0x09, EVT_C_BAD_CD = 0x0a,
    EVT_F_WALK_EABT = 0x0b, EVT_F_TRANSLATION = 0x10, EVT_F_ADDR_SIZE = 0x11,
    EVT_F_ACCESS = 0x12, EVT_F_PERMISSION = 0x13, EVT_F_TLB_CONFLICT = 0x20,
    EVT_F_CFG_CONFLICT = 0x21
};
/* Event record dword 1 bits for translation-related events. */
#define EVT1_STAG_MASK 0xffffull
#define EVT1_STALL (1ull << 31)
#define EVT1_PNU (1ull << 33)
#define EVT1_IND (1ull << 34)
#define EVT1_RNW (1ull << 35)
#define EVT1_S2 (1ull << 39)
#define EVT1_CLASS_SHIFT 40
#define EVT1_TTRNW (1ull << 44) /* F_PERMISSION, CLASS TT: a descriptor read */
/* F_BAD_ATS_TREQ dword 1: Span [67:64], P [92], X [93], W [94], R [95]. */
#define EVT1_ATS_P (1ull << 28)
#define EVT1_ATS_X (1ull << 29)
#define EVT1_ATS_W (1ull << 30)
#define EVT1_ATS_R (1ull << 31)

/* ---- PRI queue records (section 8), 16 bytes ---- */
#define PRIQ0_SSID_SHIFT 32
#define PRIQ0_PRIV (1ull << 58)
#define PRIQ0_EXEC (1ull << 59)
#define PRIQ0_READ (1ull << 60)
#define PRIQ0_WRITE (1ull << 61)
#define PRIQ0_LAST (1ull << 62)
#define PRIQ0_SSV (1ull << 63)
/* PRG Response codes (PCIe): what the endpoint receives. */
enum { PRG_SUCCESS = 0x0, PRG_INVALID_REQUEST = 0x1, PRG_FAILURE = 0xf };enum { EVT_CLASS_CD = 0, EVT_CLASS_TT = 1, EVT_CLASS_IN = 2 };

#endif
