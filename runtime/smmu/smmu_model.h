/*
 * Internal: the SMMUv3 model object.
 *
 * Locking: `lock` serialises every change (attach/detach, MMIO, commands,
 * misses, invalidation, repartitioning). The IOTLB hit path (try_hit in
 * translate.c) reads only atomics and validates them against `seq`, a
 * sequence counter that writers make odd while they change anything the
 * hit path reads (va_smmu_write_begin/_end). A stream's fast contexts cache
 * their IOTLB space's generation and are tagged with `epoch`; every
 * generation bump (invalidation) also bumps `epoch`, so a stale context
 * takes the slow path once. Streams are never freed before the model, so a
 * stream pointer read without the lock stays valid.
 */
#ifndef VA_SMMU_MODEL_H
#define VA_SMMU_MODEL_H

#include "core/handle.h"
#include "smmu/cfg.h"
#include "smmu/iotlb.h"
#include "smmu/smmu_report.h"
#include "smmu/wcache.h"
#include "vmaccel/smmu.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define VA_SMMU_DEFAULT_IOTLB 4096
#define VA_SMMU_MAX_IOTLB (1u << 20)
#define VA_SMMU_SID_BITS 16
#define VA_SMMU_SSID_BITS 20
#define VA_SMMU_CMDQ_BITS 12
#define VA_SMMU_EVTQ_BITS 12
#define VA_SMMU_OAS 48
#define VA_CTX_WAYS 4
#define VA_HINTS 64
#define VA_UMON_RING 16
#define VA_SSID_NONE (0xfffffu + 1u) /* outside the 20-bit SSID space */
#define VA_SMMU_PRIQ_BITS 12
#define VA_STALL_SLOTS 256u    /* IDR5.STALL_MAX */
#define VA_ATC_PENDING_MAX 1024u

/* A cached context (one SubstreamID of a stream). */
typedef struct va_ctx {
    uint32_t ssid;   /* VA_SSID_NONE: no SubstreamID */
    bool valid;
    va_xcfg x;       /* what the walk needs */
} va_ctx;

/* A context as the hit path sees it: the tag (epoch << 21 | ssid tag,
 * 0 = empty), the IOTLB space key and that space's generation then. */
typedef struct va_fast {
    _Atomic uint64_t tag, key, gen;
} va_fast;

typedef struct va_stream {
    /* The hit path's fields first: a hit reads the way's va_fast, `sizes`
     * on a hint miss, one hint and bumps `hits`. */
    _Alignas(64) va_fast fast[VA_CTX_WAYS];
    _Atomic uint64_t hits;
    _Atomic uint64_t sizes;  /* page/block shifts this stream has cached */
    /* Hints: the IOTLB entry that last served each 4K slot (iova >> 12 mod
     * VA_HINTS). A hint only saves the hash probe; the entry is checked as
     * fully as a probe would, so a stale hint is just a miss of the hint. */
    _Atomic uint32_t hint[VA_HINTS];
    /* Sampled hits for the utility monitor, queued without the lock and
     * drained under it (va_smmu_umon_drain); if more than VA_UMON_RING
     * pile up, the oldest are lost, which only thins the sample. */
    _Atomic uint64_t uring[VA_UMON_RING];
    _Atomic uint32_t uhead;
    uint32_t utail;
    _Atomic uint64_t misses, walks, faults;
    uint32_t sid;
    uint32_t part;          /* partition index (== stream index) */
    bool host;              /* attached through the host API */
    bool ste_valid;         /* guest STE fetched and decoded */
    va_ste ste;
    va_ctx ctx[VA_CTX_WAYS];
} va_stream;

typedef struct va_regs {
    uint32_t cr0, cr1, cr2, gbpa, irq_ctrl, gerror, gerrorn;
    uint64_t strtab_base;
    uint32_t strtab_cfg;
    uint64_t cmdq_base;
    uint32_t cmdq_prod, cmdq_cons;
    uint64_t evtq_base;
    uint32_t evtq_prod, evtq_cons;
    uint64_t gerror_irq_cfg0, evtq_irq_cfg0;
    uint32_t gerror_irq_cfg1, gerror_irq_cfg2, evtq_irq_cfg1, evtq_irq_cfg2;
    uint64_t priq_base, priq_irq_cfg0;
    uint32_t priq_prod, priq_cons, priq_irq_cfg1, priq_irq_cfg2;
} va_regs;

/* A stalled transaction (stall.c). Its id for the host is gen << 8 | slot,
 * its STAG in the event record (gen & 0xff) << 8 | slot. */
typedef enum va_stall_state { VA_STALL_FREE, VA_STALL_WAITING, VA_STALL_ENDED } va_stall_state;
typedef struct va_stall {
    uint32_t gen;           /* bumped at every use of the slot */
    uint8_t state;          /* va_stall_state */
    uint8_t end;            /* vmaccel_smmu_stall_end once ended */
    bool recorded;          /* its event record is in the queue */
    uint32_t sid;
} va_stall;

/* Outstanding ATC invalidations (atc.c). */
typedef struct va_atc {
    uint64_t next_id;
    uint64_t *pending;      /* ids the endpoint has not completed */
    uint32_t npending;
    bool failed;            /* one failed since the last CMD_SYNC */
} va_atc;

struct vmaccel_manager;

struct vmaccel_smmu {
    va_handle handle;
    bool owned_by_manager;   /* vmaccel_smmu_free refuses it */
    struct vmaccel_manager *manager; /* for events; NULL when standalone */
    unsigned iotlb_capacity;
    pthread_mutex_t lock;
    _Atomic uint64_t seq;    /* odd while a writer changes hit-path state */
    _Atomic uint64_t epoch;  /* bumped when every fast context goes stale */
    vmaccel_smmu_memory mem;
    bool have_mem;
    vmaccel_smmu_endpoint_ops ep;
    va_regs regs;
    va_stall stalls[VA_STALL_SLOTS];
    pthread_cond_t stall_cond; /* a stall ended (stall_wait waits on it) */
    clockid_t stall_clock;     /* what stall_cond's timed waits read */
    va_atc atc;
    /* The fault being built was a stage-2 Permission fault of a stage-1
     * descriptor write (an HTTU update), so TTRnW is 0. Set and read under
     * the lock while one fault is formed. */
    bool fault_tt_write;
    /* streams: a 2-level directory indexed by SID, plus a dense list */
    _Atomic(va_stream *) *_Atomic dir[1u << (VA_SMMU_SID_BITS - 8)];
    va_stream **list;
    uint32_t nstreams, list_cap;
    va_iotlb tlb;
    va_wcache wc;
    uint64_t events_written, events_lost;
};

int va_smmu_create(const vmaccel_smmu_options *opts, vmaccel_smmu **out);
void va_smmu_destroy(vmaccel_smmu *smmu);

/* Seqlock writer side; call with `lock` held. */
void va_smmu_write_begin(vmaccel_smmu *s);
void va_smmu_write_end(vmaccel_smmu *s);

/* The stream for `sid`, or NULL. Lock-free. */
static inline va_stream *va_smmu_stream_peek(vmaccel_smmu *s, uint32_t sid)
{
    if (sid >> VA_SMMU_SID_BITS)
        return NULL;
    _Atomic(va_stream *) *chunk =
        atomic_load_explicit(&s->dir[sid >> 8], memory_order_acquire);
    if (!chunk)
        return NULL;
    return atomic_load_explicit(&chunk[sid & 0xff], memory_order_acquire);
}
/* The stream for `sid`, created if needed (lock held). NULL: out of memory. */
va_stream *va_smmu_stream_get(vmaccel_smmu *s, uint32_t sid);
/* Forgets cached STE/CD state of one stream (lock held, inside a write). */
void va_smmu_stream_forget(vmaccel_smmu *s, va_stream *st, bool ste_too);

/* Reads and decodes the guest STE of a stream unless cached (lock held,
 * inside a write): 0, or VMACCEL_EFAULT with f (C_BAD_STREAMID,
 * F_STE_FETCH, C_BAD_STE). */
int va_smmu_ste_load(vmaccel_smmu *s, va_stream *st, vmaccel_smmu_fault *f);

/* What a transaction on a stream does. */
typedef enum va_route { VA_ROUTE_XLATE, VA_ROUTE_BYPASS, VA_ROUTE_ABORT } va_route;

/* Resolves (sid, ssid) to a context: reads and caches the guest's STE and
 * CD, or uses the host attachment. Lock held, inside a write. Returns 0
 * with *route (and *ctx for VA_ROUTE_XLATE), or VMACCEL_EFAULT with f. */
int va_smmu_resolve(vmaccel_smmu *s, va_stream *st, uint32_t ssid,
                    va_route *route, va_ctx **ctx, vmaccel_smmu_fault *f);
/* The cache way of a SubstreamID. */
static inline unsigned va_ctx_way(uint32_t ssid)
{
    return ssid == VA_SSID_NONE ? 0 : 1 + ssid % (VA_CTX_WAYS - 1);
}
/* The fast-path tag of a context published in `epoch`. */
static inline uint64_t va_fast_tag(uint64_t epoch, uint32_t ssid)
{
    return epoch << 21 | (ssid & 0x1fffffu) | 1ull << 63;
}

/* Slow path of translate: config, walk, IOTLB fill; lock held. With a
 * non-NULL stall_id a fault configured to stall stalls (VMACCEL_EAGAIN). */
int va_smmu_translate_locked(vmaccel_smmu *s, uint32_t sid, uint32_t ssid,
                             uint64_t iova, unsigned access,
                             vmaccel_smmu_result *out, uint32_t *stall_id);

/* Checks the handle, the access flags and the SubstreamID of a device
 * call (translate, ATS, page request); *ss gets the internal SubstreamID.
 * 0, or the error with its message. */
int va_smmu_check_request(vmaccel_smmu *smmu, uint32_t ssid, unsigned access,
                          uint32_t *ss);

/* The stream a transaction names when the register front end translates:
 * NULL with f (and VMACCEL_EFAULT) when SMMUEN is off or the SID is out of
 * range, VMACCEL_ENOMEM. Lock held. */
int va_smmu_stream_for(vmaccel_smmu *s, uint32_t sid, va_stream **st,
                       vmaccel_smmu_fault *f);

/* Event records (evtq.c). va_smmu_event_fill builds the record of a fault;
 * va_smmu_event_put writes one: 0, or -1 when the queue is not writable
 * (disabled, full: overflow is flagged unless `stall`, or aborted). */
void va_smmu_event_fill(vmaccel_smmu *s, uint64_t r[4], uint32_t sid, uint32_t ssid,
                        unsigned access, const vmaccel_smmu_fault *f);
int va_smmu_event_put(vmaccel_smmu *s, const uint64_t r[4], bool stall);
/* Writes an event record for a fault to the event queue (lock held). */
void va_smmu_event(vmaccel_smmu *s, uint32_t sid, uint32_t ssid,
                   unsigned access, const vmaccel_smmu_fault *f);

/* Stalls (stall.c), lock held. va_stall_begin stalls a faulting
 * transaction: 0 with *id, or -1 when every slot is taken. */
int va_stall_begin(vmaccel_smmu *s, uint32_t sid, uint32_t ssid, unsigned access,
                   const vmaccel_smmu_fault *f, uint32_t *id);
void va_stall_resume(vmaccel_smmu *s, uint32_t sid, uint32_t stag, bool retry);
void va_stall_term_sid(vmaccel_smmu *s, uint32_t sid);
void va_stall_abort_all(vmaccel_smmu *s);
/* The event queue may be writable again: stalls that could not record
 * their event end with RETRY, to fault (and record) afresh. */
void va_stall_flush(vmaccel_smmu *s);
void va_stall_init(vmaccel_smmu *s);

/* ATS invalidations (atc.c), lock held. */
int va_atc_cmd_inv(vmaccel_smmu *s, const uint64_t c[2]);
/* What a CMD_SYNC does about earlier invalidations: 0 complete, a CERROR
 * (CERROR_ATC_INV_SYNC), or VA_CMD_WAIT while some are outstanding. */
int va_atc_sync(vmaccel_smmu *s);
void va_atc_fail_all(vmaccel_smmu *s);
void va_atc_fini(vmaccel_smmu *s);
#define VA_CMD_WAIT 0x100 /* the command cannot complete yet: stop here */

/* PRI (priq.c), lock held. */
int va_pri_cmd_resp(vmaccel_smmu *s, const uint64_t c[2]);
/* Raises an interrupt if enabled (lock held). */
void va_smmu_irq(vmaccel_smmu *s, vmaccel_smmu_irq irq);
/* Latches a global error bit and raises GERROR (lock held). */
void va_smmu_gerror(vmaccel_smmu *s, uint32_t bit);

/* Range invalidations (O(capacity) scans). VA forms: stage-1 entries of
 * `vmid_tag` whose ASID is `asid` or that are global (any_asid: every
 * ASID), overlapping
 * [lo, lo+len). IPA form: stage-2 entries of the VMID overlapping the
 * range, and all its nested entries (their IPA is not kept). */
void va_smmu_tlbi_va(vmaccel_smmu *s, uint32_t vmid_tag, uint32_t asid,
                     bool any_asid, uint64_t lo, uint64_t len);
void va_smmu_tlbi_ipa(vmaccel_smmu *s, uint32_t vmid, uint64_t lo, uint64_t len);
/* O(1): one ASID of one VMID (or of VA_VMID_EL2). */
void va_smmu_tlbi_asid(vmaccel_smmu *s, uint32_t vmid_tag, uint32_t asid);
void va_smmu_tlbi_vmid(vmaccel_smmu *s, uint32_t vmid_tag);
void va_smmu_tlbi_all(vmaccel_smmu *s);
/* Makes every published fast context stale (lock held, in a write). */
void va_smmu_stale_all(vmaccel_smmu *s, bool forget_ste);

/* Runs the command queue from CMDQ_CONS to CMDQ_PROD (lock held). */
void va_smmu_cmdq_run(vmaccel_smmu *s);

/* Feeds a stream's queued sampled hits to its utility monitor (lock held). */
void va_smmu_umon_drain(vmaccel_smmu *s, va_stream *st);

/* Repartitions the IOTLB and reports a material change of quotas as an
 * event (lock held). */
void va_smmu_repartition_locked(vmaccel_smmu *s);

#endif
