/*
 * vmaccel/smmu.h - a software model of an Arm SMMUv3 that a VMM can embed.
 *
 * Two front ends share one translation engine (stream table, context
 * descriptors, AArch64 stage-1/stage-2 walks, IOTLB):
 *  - the host API: attach a stream ID to a domain (stage configuration and
 *    table roots), translate, invalidate, read statistics;
 *  - the register front end: vmaccel_smmu_mmio_read/_write by offset, with
 *    the guest's stream table, command, event and PRI queues in guest memory
 *    reached only through caller-supplied callbacks.
 * Guest memory holds the page tables in both cases (vmaccel_smmu_set_memory).
 * Devices reach the model through translate (one access), translate_many
 * (a scatter-gather list), translate_stallable (a device that can hold a
 * DMA while the guest resolves a fault), and, for PCIe endpoints, ATS
 * translation, Translated transactions and PRI page requests; what the
 * guest sends back to endpoints (ATC invalidations, PRG responses, the end
 * of a stall) arrives through vmaccel_smmu_set_endpoint_ops.
 *
 * Thread safety: every function may be called from any thread. Calls that
 * change state (attach, detach, invalidate, MMIO, misses) are serialised by
 * the model's lock. vmaccel_smmu_translate on an IOTLB hit takes no lock: it
 * validates what it read with a sequence counter and retries if a change
 * overlapped. Statistics counters are exact when each stream is translated
 * by one thread at a time; concurrent translators of one stream may lose a
 * count (never a translation). Memory and endpoint callbacks run on the
 * calling thread, under the model's lock, and must not call back into the
 * same model. vmaccel_smmu_stall_wait blocks only its caller.
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
/* Atomically compares the 8-byte little-endian value at `addr` (8-byte
 * aligned) with *expected and, if they are equal, stores `desired` there.
 * Values are in host byte order. Returns 0 when it stored; 1 when the value
 * differed, with the value found in *expected; anything else for an
 * external abort. The model uses it for hardware updates of translation
 * table descriptors (HTTU: Access flag, dirty state), which must be atomic
 * against the guest's CPUs updating the same descriptors. */
typedef int (*vmaccel_smmu_cas_fn)(void *ctx, uint64_t addr, uint64_t *expected,
                                   uint64_t desired);

/* Interrupt lines the model raises through `irq`. */
typedef enum vmaccel_smmu_irq {
    VMACCEL_SMMU_IRQ_EVENTQ = 0,  /* a new event record (IRQ_CTRL.EVENTQ_IRQEN) */
    VMACCEL_SMMU_IRQ_GERROR = 1,  /* a new global error (IRQ_CTRL.GERROR_IRQEN) */
    VMACCEL_SMMU_IRQ_CMD_SYNC = 2, /* CMD_SYNC with CS=SIG_IRQ */
    VMACCEL_SMMU_IRQ_PRIQ = 3     /* a page request (IRQ_CTRL.PRIQ_IRQEN) */
} vmaccel_smmu_irq;

#define VMACCEL_SMMU_MEMORY_VERSION 2
typedef struct vmaccel_smmu_memory {
    unsigned version;                  /* VMACCEL_SMMU_MEMORY_VERSION (1 accepted) */
    vmaccel_smmu_read_fn read;         /* required */
    vmaccel_smmu_write_fn write;       /* NULL: event queue and MSIs abort */
    void *ctx;
    /* Called when a CMD_SYNC completes, with the command's queue index.
     * May be NULL. */
    void (*sync)(void *ctx, uint32_t cmdq_index);
    /* Called when an enabled interrupt fires. May be NULL. */
    void (*irq)(void *ctx, vmaccel_smmu_irq irq);
    /* Version 2. May be NULL: descriptor updates are then a read, a compare
     * and a write under the model's lock, atomic against the model's own
     * walks but NOT against other agents writing the same guest memory;
     * a VMM whose guest runs while the model translates must supply it.
     * With neither cas nor write, an update is an external abort
     * (F_WALK_EABT). */
    vmaccel_smmu_cas_fn cas;
} vmaccel_smmu_memory;
#define VMACCEL_SMMU_MEMORY_INIT { VMACCEL_SMMU_MEMORY_VERSION, 0, 0, 0, 0, 0, 0 }

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
#define VMACCEL_SMMU_DOMAIN_VERSION 2
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
    /* version 2 (version 1 callers get them all false / 0) */
    bool s1_ha, s1_hd;     /* CD.HA/HD: hardware Access flag / dirty updates */
    bool s2_ha, s2_hd;     /* STE.S2HA/S2HD */
    bool s1_stall;         /* CD.S: stage-1 faults stall (translate_stallable) */
    bool s2_stall;         /* STE.S2S */
    unsigned eats;         /* STE.EATS: 0 ATS off, 1 full ATS */
} vmaccel_smmu_domain;
#define VMACCEL_SMMU_DOMAIN_INIT { VMACCEL_SMMU_DOMAIN_VERSION, \
    VMACCEL_SMMU_MODE_ABORT, 0, 0, 25, 25, 4096, 4096, false, true, 48, 0, \
    false, false, false, false, false, 0, 25, 1, 4096, 48, 0, false, \
    false, false, false, false, false, false, 0 }
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
#define VMACCEL_SMMU_EVT_F_BAD_ATS_TREQ 0x05
#define VMACCEL_SMMU_EVT_F_STREAM_DISABLED 0x06
#define VMACCEL_SMMU_EVT_F_TRANSL_FORBIDDEN 0x07
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

/* Translates a scatter-gather list: n IOVAs of one stream and SubstreamID
 * with one access, into out[0..n). Returns 0 with *done = n, or stops at
 * the first IOVA that does not translate: VMACCEL_EFAULT with *done its
 * index and out[*done].fault (earlier entries filled), or VMACCEL_EINVAL.
 * IOTLB hits share one handle check, one stream lookup and one sequence
 * validation per call. Thread safety as vmaccel_smmu_translate. */
VMACCEL_API int vmaccel_smmu_translate_many(vmaccel_smmu *smmu, uint32_t sid,
                                            uint32_t ssid, const uint64_t *iovas,
                                            size_t n, unsigned access,
                                            vmaccel_smmu_result *out, size_t *done);

/* ---- Stalls (the Stall fault model, IHI 0070 3.12.2) ----
 * vmaccel_smmu_translate is a device that cannot wait: a fault the guest
 * configured to stall (CD.S, STE.S2S) terminates it instead, recorded as
 * the Terminate model says (R bits, Stall == 0), which the spec permits for
 * such devices. A device that can hold a DMA uses the call below. */
typedef enum vmaccel_smmu_stall_end {
    VMACCEL_SMMU_STALL_PENDING = 0, /* not resolved yet */
    VMACCEL_SMMU_STALL_RETRY = 1,   /* translate again (CMD_RESUME retry) */
    VMACCEL_SMMU_STALL_ABORT = 2    /* terminate with an abort (CMD_RESUME
                                     * terminate, CMD_STALL_TERM, SMMUEN=0) */
} vmaccel_smmu_stall_end;

/* As vmaccel_smmu_translate, but a fault configured to stall stalls the
 * transaction: VMACCEL_EAGAIN with out->fault and *stall_id. The event is
 * recorded with STALL=1 and a STAG; once the guest answers with CMD_RESUME
 * or CMD_STALL_TERM (or clears SMMUEN), vmaccel_smmu_stall_wait or the
 * endpoint stall_end callback tells the device to retry or abort. If the
 * event queue cannot take the record, the stall ends with RETRY as soon as
 * it can (the spec's retry "as though it had just arrived"). When all
 * IDR5.STALL_MAX stall slots are in use, the fault terminates instead
 * (VMACCEL_EFAULT). Thread safety as vmaccel_smmu_translate. */
VMACCEL_API int vmaccel_smmu_translate_stallable(vmaccel_smmu *smmu, uint32_t sid,
                                                 uint32_t ssid, uint64_t iova,
                                                 unsigned access,
                                                 vmaccel_smmu_result *out,
                                                 uint32_t *stall_id);

/* Waits up to timeout_ms (0: just look; negative: without limit) for a
 * stall to end. 0 with *how RETRY or ABORT (the id is then released),
 * VMACCEL_ETIMEDOUT while it is pending, VMACCEL_ENOENT for an unknown or
 * already collected id (also when an endpoint stall_end callback took it).
 * Thread safety: any thread; blocks only the caller. */
VMACCEL_API int vmaccel_smmu_stall_wait(vmaccel_smmu *smmu, uint32_t stall_id,
                                        int timeout_ms, vmaccel_smmu_stall_end *how);

/* ---- PCIe endpoints: ATS, ATC invalidation, PRI ---- */

/* An ATS Invalidate Request for an endpoint's ATC (CMD_ATC_INV). */
typedef struct vmaccel_smmu_atc_inv {
    uint64_t id;        /* for vmaccel_smmu_atc_inv_done */
    uint32_t sid;
    uint32_t ssid;      /* VMACCEL_SMMU_NO_SSID: no PASID prefix */
    bool global;        /* Global Invalidate (only with a PASID) */
    uint64_t addr;      /* start, aligned to the span */
    unsigned log2size;  /* span = 2^log2size bytes, 12..64 (64: everything) */
} vmaccel_smmu_atc_inv;

/* PRG Response codes (PCIe Page Request Group Response). */
typedef enum vmaccel_smmu_prg_code {
    VMACCEL_SMMU_PRG_SUCCESS = 0x0,
    VMACCEL_SMMU_PRG_INVALID_REQUEST = 0x1,
    VMACCEL_SMMU_PRG_FAILURE = 0xf
} vmaccel_smmu_prg_code;

/* A PRG Response to an endpoint: from CMD_PRI_RESP, or generated by the
 * SMMU when it discards a page request (automatic). */
typedef struct vmaccel_smmu_prg_response {
    uint32_t sid;
    uint32_t ssid;      /* VMACCEL_SMMU_NO_SSID: no PASID prefix */
    unsigned prg_index; /* 0..511 */
    vmaccel_smmu_prg_code code;
    bool automatic;
} vmaccel_smmu_prg_response;

/* What the SMMU sends towards its endpoints. Callbacks run on the thread
 * whose call made them happen (an MMIO write, a translation), under the
 * model's lock: they must not call into the same model. */
#define VMACCEL_SMMU_ENDPOINT_OPS_VERSION 1
typedef struct vmaccel_smmu_endpoint_ops {
    unsigned version;      /* VMACCEL_SMMU_ENDPOINT_OPS_VERSION */
    void *ctx;
    /* Invalidate an ATC. Return 0 when done, VMACCEL_EAGAIN when the
     * completion comes later (vmaccel_smmu_atc_inv_done), anything else
     * when the endpoint failed (an ATS invalidation timeout). A CMD_SYNC
     * waits for every earlier invalidation; a failed one stops the command
     * queue at that CMD_SYNC with CERROR_ATC_INV_SYNC. NULL: the model has
     * no ATS endpoints and CMD_ATC_INV completes at once. */
    int (*atc_inv)(void *ctx, const vmaccel_smmu_atc_inv *inv);
    /* Deliver a PRG Response. NULL: responses are dropped. */
    void (*prg_response)(void *ctx, const vmaccel_smmu_prg_response *r);
    /* A stall ended (instead of vmaccel_smmu_stall_wait). May be NULL. */
    void (*stall_end)(void *ctx, uint32_t stall_id, vmaccel_smmu_stall_end how);
} vmaccel_smmu_endpoint_ops;
#define VMACCEL_SMMU_ENDPOINT_OPS_INIT { VMACCEL_SMMU_ENDPOINT_OPS_VERSION, 0, 0, 0, 0 }

/* Sets (or with NULL clears) the endpoint callbacks; copies *ops.
 * Invalidations still outstanding when they change complete as failed. */
VMACCEL_API int vmaccel_smmu_set_endpoint_ops(vmaccel_smmu *smmu,
                                              const vmaccel_smmu_endpoint_ops *ops);

/* Completes an ATC invalidation the atc_inv callback left pending (status
 * 0: done; anything else: failed). A CMD_SYNC waiting for it goes on, and
 * the command queue with it, before this returns. VMACCEL_ENOENT for an id
 * that is not outstanding. Thread safety: any thread. */
VMACCEL_API int vmaccel_smmu_atc_inv_done(vmaccel_smmu *smmu, uint64_t id,
                                          int status);

/* ATS Translation Completion status (PCIe completion status codes). */
typedef enum vmaccel_smmu_ats_status {
    VMACCEL_SMMU_ATS_SUCCESS = 0,  /* see perm: R == W == 0 means denied */
    VMACCEL_SMMU_ATS_UR = 1,       /* Unsupported Request: ATS off here */
    VMACCEL_SMMU_ATS_CA = 4        /* Completer Abort: configuration error */
} vmaccel_smmu_ats_status;

typedef struct vmaccel_smmu_ats_result {
    vmaccel_smmu_ats_status status;
    uint64_t addr;      /* translated address of the span's start */
    uint64_t size;      /* span in bytes (at least 4096, the STU) */
    unsigned perm;      /* granted VMACCEL_SMMU_READ|WRITE|EXEC */
} vmaccel_smmu_ats_result;

/* An ATS Translation Request from an endpoint (IHI 0070 3.9.1.2). `access`:
 * READ is implied; WRITE asks for write (NW == 0); EXEC and PRIV apply with
 * a PASID (ssid). Honours STE.EATS: UR (and F_BAD_ATS_TREQ) when ATS is
 * off for the stream or SMMUEN == 0; CA for configuration errors;
 * translation, access and address-size faults give Success with no
 * permission, and no event. HTTU applies (a write request marks a
 * writable-clean page dirty). Returns 0 with *out, or VMACCEL_EINVAL. */
VMACCEL_API int vmaccel_smmu_ats_translate(vmaccel_smmu *smmu, uint32_t sid,
                                           uint32_t ssid, uint64_t iova,
                                           unsigned access,
                                           vmaccel_smmu_ats_result *out);

/* A Translated transaction (PCIe AT == Translated) to physical address
 * `pa`. With CR0.ATSCHK == 0 it passes unchecked; with ATSCHK == 1 it
 * passes only when the stream's STE enables ATS (EATS != 0), else it is
 * aborted and F_TRANSL_FORBIDDEN recorded. With SMMUEN == 0 it is always
 * aborted (F_TRANSL_FORBIDDEN). Returns 0 (passes) or VMACCEL_EFAULT. */
VMACCEL_API int vmaccel_smmu_ats_translated(vmaccel_smmu *smmu, uint32_t sid,
                                            uint64_t pa, unsigned access);

/* Page Request flags. */
#define VMACCEL_SMMU_PRI_LAST 1u  /* last request of its group */
#define VMACCEL_SMMU_PRI_STOP 2u  /* a Stop PASID marker (needs a ssid) */

typedef enum vmaccel_smmu_ppr_outcome {
    VMACCEL_SMMU_PPR_QUEUED = 0,    /* written to the PRI queue */
    VMACCEL_SMMU_PPR_OVERFLOW = 1,  /* discarded: queue full or overflowed */
    VMACCEL_SMMU_PPR_DISABLED = 2,  /* discarded: PRIQEN (or SMMUEN) off */
    VMACCEL_SMMU_PPR_ABORT = 3      /* discarded: queue write aborted */
} vmaccel_smmu_ppr_outcome;

/* A PRI Page Request (PPR) from an endpoint (IHI 0070 chapter 8): written
 * to the guest's PRI queue, or discarded with the automatic PRG Response
 * the spec gives (Success for a Last request lost to overflow, Failure when
 * the queue is off or aborted) through the prg_response callback.
 * `access`: READ/WRITE/EXEC/PRIV requested. Returns 0 with *outcome (may
 * be NULL), or VMACCEL_EINVAL. Thread safety: any thread. */
VMACCEL_API int vmaccel_smmu_page_request(vmaccel_smmu *smmu, uint32_t sid,
                                          uint32_t ssid, uint64_t addr,
                                          unsigned access, unsigned prg_index,
                                          unsigned flags,
                                          vmaccel_smmu_ppr_outcome *outcome);

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
