/*
 * vmaccel/smmu.h - a software model of an Arm SMMUv3 that a VMM can embed.
 *
 * Two front ends share one translation engine (stream table, context
 * descriptors, AArch64 stage-1/stage-2 walks, IOTLB):
 *  - the host API: attach a stream ID to a domain (stage configuration and
 *    table roots), translate, invalidate, read statistics;
 *  - the register front end: vmaccel_smmu_mmio_read/_write by offset, with
 *    the guest's stream table, command queue and event queue in guest memory
 *    reached only through caller-supplied callbacks.
 * Guest memory holds the page tables in both cases (vmaccel_smmu_set_memory).
 *
 * Thread safety: every function may be called from any thread. Calls that
 * change state (attach, detach, invalidate, MMIO, misses) are serialised by
 * the model's lock. vmaccel_smmu_translate on an IOTLB hit takes no lock: it
 * validates what it read with a sequence counter and retries if a change
 * overlapped. Statistics counters are exact when each stream is translated
 * by one thread at a time; concurrent translators of one stream may lose a
 * count (never a translation). Memory callbacks run on the calling thread,
 * under the model's lock, and must not call back into the same model.
 */
#ifndef VMACCEL_SMMU_H
#define VMACCEL_SMMU_H

#include "common.h"

#include <stdbool.h>

VMACCEL_BEGIN_DECLS

typedef struct vmaccel_smmu vmaccel_smmu;

#define VMACCEL_SMMU_OPTIONS_VERSION 1
typedef struct vmaccel_smmu_options {
    unsigned version;          /* VMACCEL_SMMU_OPTIONS_VERSION */
    unsigned iotlb_entries;    /* IOTLB capacity; 0: the default (4096) */
} vmaccel_smmu_options;
#define VMACCEL_SMMU_OPTIONS_INIT { VMACCEL_SMMU_OPTIONS_VERSION, 0 }
VMACCEL_API void vmaccel_smmu_options_init(vmaccel_smmu_options *opts);

/* Creates a model. opts may be NULL. Thread safety: any thread. */
VMACCEL_API int vmaccel_smmu_new(const vmaccel_smmu_options *opts,
                                 vmaccel_smmu **out);

/* Frees a model made by vmaccel_smmu_new. NULL is a no-op; the manager's
 * model (vmaccel_manager_smmu) is freed with the manager, not this way. */
VMACCEL_API void vmaccel_smmu_free(vmaccel_smmu *smmu);

/* ---- Guest memory and notifications ---- */

/* Reads/writes `len` bytes of guest physical memory at `addr`. Return 0, or
 * non-zero for an external abort (the model reports F_WALK_EABT,
 * F_STE_FETCH, F_CD_FETCH, CERROR_ABT or GERROR as the spec says). */
typedef int (*vmaccel_smmu_read_fn)(void *ctx, uint64_t addr, void *buf,
                                    size_t len);
typedef int (*vmaccel_smmu_write_fn)(void *ctx, uint64_t addr,
                                     const void *buf, size_t len);

/* Interrupt lines the model raises through `irq`. */
typedef enum vmaccel_smmu_irq {
    VMACCEL_SMMU_IRQ_EVENTQ = 0,  /* a new event record (IRQ_CTRL.EVENTQ_IRQEN) */
    VMACCEL_SMMU_IRQ_GERROR = 1,  /* a new global error (IRQ_CTRL.GERROR_IRQEN) */
    VMACCEL_SMMU_IRQ_CMD_SYNC = 2 /* CMD_SYNC with CS=SIG_IRQ */
} vmaccel_smmu_irq;

#define VMACCEL_SMMU_MEMORY_VERSION 1
typedef struct vmaccel_smmu_memory {
    unsigned version;                  /* VMACCEL_SMMU_MEMORY_VERSION */
    vmaccel_smmu_read_fn read;         /* required */
    vmaccel_smmu_write_fn write;       /* NULL: event queue and MSIs abort */
    void *ctx;
    /* Called when a CMD_SYNC completes, with the command's queue index.
     * May be NULL. */
    void (*sync)(void *ctx, uint32_t cmdq_index);
    /* Called when an enabled interrupt fires. May be NULL. */
    void (*irq)(void *ctx, vmaccel_smmu_irq irq);
} vmaccel_smmu_memory;
#define VMACCEL_SMMU_MEMORY_INIT { VMACCEL_SMMU_MEMORY_VERSION, 0, 0, 0, 0, 0 }

/* Sets (or, with NULL, clears) the guest memory callbacks. Copies *mem.
 * Without memory every walk faults with F_WALK_EABT. */
VMACCEL_API int vmaccel_smmu_set_memory(vmaccel_smmu *smmu,
                                        const vmaccel_smmu_memory *mem);

/* ---- Host API ---- */

typedef enum vmaccel_smmu_mode {
    VMACCEL_SMMU_MODE_ABORT = 0,   /* every transaction aborts, no event */
    VMACCEL_SMMU_MODE_BYPASS = 1,  /* output = input */
    VMACCEL_SMMU_MODE_S1 = 2,      /* stage 1 only */
    VMACCEL_SMMU_MODE_S2 = 3,      /* stage 2 only */
    VMACCEL_SMMU_MODE_NESTED = 4   /* stage 1 then stage 2 */
} vmaccel_smmu_mode;

/* A domain: what a stream translates with. Field meanings follow the
 * SMMUv3 CD (stage 1) and STE (stage 2) fields of the same names; sizes are
 * given in bits and bytes rather than encodings. In NESTED mode the stage-1
 * table addresses are IPAs, translated through stage 2. */
#define VMACCEL_SMMU_DOMAIN_VERSION 1
typedef struct vmaccel_smmu_domain {
    unsigned version;          /* VMACCEL_SMMU_DOMAIN_VERSION */
    vmaccel_smmu_mode mode;
    /* stage 1 (CD) */
    uint64_t s1_ttb0, s1_ttb1;
    unsigned s1_t0sz, s1_t1sz;        /* 16..39 */
    unsigned s1_granule0, s1_granule1; /* 4096, 16384 or 65536 */
    bool s1_epd0, s1_epd1;            /* disable a range (EPD1 default on) */
    unsigned s1_ips_bits;             /* 32, 36, 40, 42, 44 or 48 */
    uint16_t asid;
    bool s1_affd, s1_wxn, s1_pan, s1_had;
    bool el2;                         /* STRW=EL2 (single range, no EL0) */
    /* stage 2 (STE) */
    uint64_t s2_ttb;
    unsigned s2_t0sz;                 /* input size = 64 - s2_t0sz */
    unsigned s2_sl0;                  /* STE.S2SL0 encoding */
    unsigned s2_granule;              /* 4096, 16384 or 65536 */
    unsigned s2_ps_bits;              /* 32 .. 48 */
    uint16_t vmid;                    /* tags stage-1-only domains too */
    bool s2_affd;
} vmaccel_smmu_domain;
#define VMACCEL_SMMU_DOMAIN_INIT { VMACCEL_SMMU_DOMAIN_VERSION, \
    VMACCEL_SMMU_MODE_ABORT, 0, 0, 25, 25, 4096, 4096, false, true, 48, 0, \
    false, false, false, false, false, 0, 25, 1, 4096, 48, 0, false }
VMACCEL_API void vmaccel_smmu_domain_init(vmaccel_smmu_domain *d);

/* Attaches stream `sid` (< 2^16) to a domain, replacing any earlier
 * attachment; the stream's cached translations are dropped. A configuration
 * the spec calls invalid (C_BAD_STE / C_BAD_CD) gives VMACCEL_EINVAL.
 * Streams attached here take precedence over the guest's stream table. */
VMACCEL_API int vmaccel_smmu_attach(vmaccel_smmu *smmu, uint32_t sid,
                                    const vmaccel_smmu_domain *domain);

/* Detaches a stream: its IOTLB entries and quota are released at once.
 * VMACCEL_ENOENT if it was not attached. */
VMACCEL_API int vmaccel_smmu_detach(vmaccel_smmu *smmu, uint32_t sid);

/* Access flags for vmaccel_smmu_translate. */
#define VMACCEL_SMMU_READ 1u
#define VMACCEL_SMMU_WRITE 2u
#define VMACCEL_SMMU_EXEC 4u   /* instruction fetch (InD) */
#define VMACCEL_SMMU_PRIV 8u   /* privileged (PnU) */
/* No SubstreamID on the transaction (SSV=0). */
#define VMACCEL_SMMU_NO_SSID 0xffffffffu

/* Spec event numbers (SMMUv3 section 7.3) in a fault record. */
#define VMACCEL_SMMU_EVT_NONE 0x00 /* aborted without an event (Config abort, GBPA) */
#define VMACCEL_SMMU_EVT_C_BAD_STREAMID 0x02
#define VMACCEL_SMMU_EVT_F_STE_FETCH 0x03
#define VMACCEL_SMMU_EVT_C_BAD_STE 0x04
#define VMACCEL_SMMU_EVT_F_STREAM_DISABLED 0x06
#define VMACCEL_SMMU_EVT_C_BAD_SUBSTREAMID 0x08
#define VMACCEL_SMMU_EVT_F_CD_FETCH 0x09
#define VMACCEL_SMMU_EVT_C_BAD_CD 0x0a
#define VMACCEL_SMMU_EVT_F_WALK_EABT 0x0b
#define VMACCEL_SMMU_EVT_F_TRANSLATION 0x10
#define VMACCEL_SMMU_EVT_F_ADDR_SIZE 0x11
#define VMACCEL_SMMU_EVT_F_ACCESS 0x12
#define VMACCEL_SMMU_EVT_F_PERMISSION 0x13

typedef struct vmaccel_smmu_fault {
    unsigned event;      /* VMACCEL_SMMU_EVT_* */
    unsigned stage;      /* 1 or 2 for walk faults, 0 otherwise */
    int level;           /* lookup level 0..3 for walk faults, -1 otherwise */
    unsigned fault_class; /* event CLASS: 0 CD fetch, 1 table walk, 2 input */
    uint64_t input_addr; /* the transaction's address */
    uint64_t ipa;        /* stage-2 faults: the IPA that faulted */
    uint64_t fetch_addr; /* fetch faults: the address that aborted */
    bool recorded;       /* an event record was (or would be) written */
} vmaccel_smmu_fault;

typedef struct vmaccel_smmu_result {
    uint64_t pa;         /* output address */
    uint64_t size;       /* bytes the translation covers (page or block) */
    unsigned perm;       /* VMACCEL_SMMU_READ|WRITE|EXEC at this privilege */
    vmaccel_smmu_fault fault; /* when translate returned VMACCEL_EFAULT */
} vmaccel_smmu_result;

/* Translates one transaction. `access` is a mix of VMACCEL_SMMU_READ,
 * _WRITE, _EXEC and _PRIV; `ssid` a SubstreamID or VMACCEL_SMMU_NO_SSID.
 * Returns 0 (out->pa/size/perm), VMACCEL_EFAULT (out->fault; the event is
 * also written to the event queue when the register front end enables it),
 * or VMACCEL_EINVAL. Lock-free on an IOTLB hit (see the header comment). */
VMACCEL_API int vmaccel_smmu_translate(vmaccel_smmu *smmu, uint32_t sid,
                                       uint32_t ssid, uint64_t iova,
                                       unsigned access,
                                       vmaccel_smmu_result *out);

typedef enum vmaccel_smmu_inval_scope {
    VMACCEL_SMMU_INVAL_ALL = 0,    /* every cached translation and config */
    VMACCEL_SMMU_INVAL_VMID = 1,   /* all of one VMID (stage 1 and 2) */
    VMACCEL_SMMU_INVAL_ASID = 2,   /* one ASID within a VMID */
    VMACCEL_SMMU_INVAL_RANGE = 3   /* [addr, addr+size) of one ASID+VMID */
} vmaccel_smmu_inval_scope;

/* Invalidates IOTLB and walk-cache entries. ALL/VMID/ASID are O(1)
 * (generation counters). Entries are tagged with the domain's (or the
 * STE's S2VMID) VMID also for stage-1-only translation, as the spec tags
 * NS-EL1 translations; EL2 domains have no VMID and are reached by ALL. */
VMACCEL_API int vmaccel_smmu_invalidate(vmaccel_smmu *smmu,
                                        vmaccel_smmu_inval_scope scope,
                                        uint16_t vmid, uint16_t asid,
                                        uint64_t addr, uint64_t size);

typedef struct vmaccel_smmu_stream_stats {
    uint32_t sid;
    uint64_t hits, misses, walks, faults;
    uint32_t iotlb_quota;    /* entries this stream may hold */
    uint32_t iotlb_used;     /* entries it holds now */
} vmaccel_smmu_stream_stats;

/* Statistics of one stream (attached, or seen through the guest's stream
 * table). VMACCEL_ENOENT if the model has never seen it. */
VMACCEL_API int vmaccel_smmu_stream_stats_get(vmaccel_smmu *smmu, uint32_t sid,
                                              vmaccel_smmu_stream_stats *out);

/* Adaptive IOTLB partitioning: on (the default), each stream's share of the
 * IOTLB follows its measured utility (miss-rate curves), re-computed every
 * `interval` misses (0: capacity/2); off, all streams share one CLOCK pool. */
VMACCEL_API int vmaccel_smmu_set_partitioning(vmaccel_smmu *smmu, bool adaptive,
                                              unsigned interval);

/* Re-computes the partition now (the manager's loop calls this on a timer). */
VMACCEL_API int vmaccel_smmu_repartition(vmaccel_smmu *smmu);

/* ---- Register front end ---- */

/* Reads/writes a register at `offset` in the SMMU's 128 KiB register space
 * (page 0 and page 1); `size` is 4 or 8 (8 only for 64-bit registers).
 * Unknown offsets read as zero and ignore writes (RES0), as the spec says;
 * a bad size or offset beyond the space gives VMACCEL_EINVAL. A write to
 * CMDQ_PROD runs the command queue before returning. */
VMACCEL_API int vmaccel_smmu_mmio_read(vmaccel_smmu *smmu, uint64_t offset,
                                       unsigned size, uint64_t *value);
VMACCEL_API int vmaccel_smmu_mmio_write(vmaccel_smmu *smmu, uint64_t offset,
                                        unsigned size, uint64_t value);

VMACCEL_END_DECLS

#endif /* VMACCEL_SMMU_H */
