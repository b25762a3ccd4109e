/*
 * vmaccel_smmu_translate: the lock-free IOTLB hit path and the locked slow
 * path (configuration, walk, IOTLB fill, fault recording).
 */
#include "smmu/smmu_model.h"

#include "core/error.h"
#include "core/handle_fast.h"
#include "smmu/smmu_spec.h"
#include "smmu/walk.h"
#include "smmu/xlate.h"

#define RLX memory_order_relaxed
#define ALWAYS_INLINE inline __attribute__((always_inline))

/* Counters are bumped with a plain load and store: no locked instruction
 * on the hit path. Concurrent translators of one stream may lose a count;
 * the header says so. */
static inline void bump(_Atomic uint64_t *c)
{
    atomic_store_explicit(c, atomic_load_explicit(c, RLX) + 1, RLX);
}

/* Queues a sampled hit for the utility monitor (see va_stream.uring). */
static inline void sample_hit(va_stream *st, uint64_t hash)
{
    uint32_t i = atomic_load_explicit(&st->uhead, RLX);
    atomic_store_explicit(&st->uring[i % VA_UMON_RING], hash, RLX);
    atomic_store_explicit(&st->uhead, i + 1, memory_order_release);
}

/* A hit's bookkeeping: the CLOCK reference bit (stored only when clear, so
 * hits do not write a shared line), the counter, the utility sample. */
static ALWAYS_INLINE void count_hit(va_stream *st, va_tlbe *e, uint64_t outw, uint64_t key,
                                    unsigned shift, uint64_t iova)
{
    if (!atomic_load_explicit(&e->ref, RLX))
        atomic_store_explicit(&e->ref, 1, RLX);
    bump(&st->hits);
    if (outw & VA_ENTRY_SAMPLED)
        sample_hit(st, va_iotlb_hash(key << 8 | shift, iova >> shift));
}

void va_smmu_umon_drain(vmaccel_smmu *s, va_stream *st)
{
    uint32_t head = atomic_load_explicit(&st->uhead, memory_order_acquire);
    if (head - st->utail > VA_UMON_RING)
        st->utail = head - VA_UMON_RING;
    for (; st->utail != head; st->utail++)
        va_iotlb_umon_access(&s->tlb, st->part,
                             atomic_load_explicit(&st->uring[st->utail % VA_UMON_RING], RLX));
}

void va_smmu_write_begin(vmaccel_smmu *s)
{
    atomic_store_explicit(&s->seq, atomic_load_explicit(&s->seq, RLX) + 1, RLX);
    atomic_thread_fence(memory_order_release);
}

void va_smmu_write_end(vmaccel_smmu *s)
{
    atomic_store_explicit(&s->seq, atomic_load_explicit(&s->seq, RLX) + 1,
                          memory_order_release);
}

static uint64_t space_key(const va_xcfg *x)
{
    return (uint64_t)x->vmid_tag << 17 | x->asid_tag;
}

/* Looks the IOTLB up for every size in `sizes`. */
static inline __attribute__((always_inline)) va_tlbe *
lookup(va_iotlb *t, uint64_t key, uint64_t gen, uint64_t sizes, uint64_t iova,
       unsigned *shift, uint64_t *hash)
{
    while (sizes) {
        unsigned sh = (unsigned)__builtin_ctzll(sizes);
        sizes &= sizes - 1;
        va_tlbe *e = va_iotlb_find(t, key << 8 | sh, iova >> sh, gen, hash);
        if (e) {
            *shift = sh;
            return e;
        }
    }
    return NULL;
}

/* Fills `out` from an entry's output word; false if the access is denied. */
static bool from_entry(uint64_t outw, unsigned shift, uint64_t iova,
                       unsigned access, vmaccel_smmu_result *out)
{
    unsigned p = (unsigned)(access & VMACCEL_SMMU_PRIV ? outw : outw >> 3) & 7u;
    if (va_need(access) & ~p)
        return false;
    uint64_t size = 1ull << shift;
    out->pa = (outw & ~(size - 1)) | (iova & (size - 1));
    out->size = size;
    out->perm = p;
    return true;
}

static int fault_out(vmaccel_smmu *s, va_stream *st, uint32_t sid, uint32_t ssid,
                     unsigned access, vmaccel_smmu_fault *f,
                     vmaccel_smmu_result *out)
{
    if (st)
        atomic_fetch_add_explicit(&st->faults, 1, RLX);
    out->fault = *f;
    if (f->recorded)
        va_smmu_event(s, sid, ssid, access, f);
    return VMACCEL_EFAULT;
}

/* Whether the guest configured this fault to stall (IHI 0070 3.12):
 * translation-related faults at a stage with CD.S or STE.S2S, but never
 * the Address Size fault of an input that bypassed stage 1. */
static bool stall_configured(const vmaccel_smmu_fault *f, const va_ste *ste,
                             const va_xcfg *x)
{
    switch (f->event) {
    case EVT_F_TRANSLATION:
    case EVT_F_ADDR_SIZE:
    case EVT_F_ACCESS:
    case EVT_F_PERMISSION:
        break;
    default:
        return false;
    }
    if (f->stage == 2)
        return ste->s2 && ste->s2c.stall;
    return f->stage == 1 && x && x->s1 && x->s1c.stall;
}

/* A fault that may stall: with a stall_id (translate_stallable) it stalls
 * when configured to and a slot is free, else it terminates. */
static int fault_or_stall(vmaccel_smmu *s, va_stream *st, uint32_t ssid,
                          unsigned access, vmaccel_smmu_fault *f, const va_xcfg *x,
                          uint32_t *stall_id, vmaccel_smmu_result *out)
{
    if (stall_id && stall_configured(f, &st->ste, x) &&
        !va_stall_begin(s, st->sid, ssid, access, f, stall_id)) {
        atomic_fetch_add_explicit(&st->faults, 1, RLX);
        f->recorded = true; /* a stall's record is never dropped */
        out->fault = *f;
        return VMACCEL_EAGAIN;
    }
    return fault_out(s, st, st->sid, ssid, access, f, out);
}

static int bypass_out(uint64_t iova, unsigned access, vmaccel_smmu_result *out)
{
    out->pa = iova;
    out->size = 4096;
    out->perm = va_need(VMACCEL_SMMU_READ | VMACCEL_SMMU_WRITE | VMACCEL_SMMU_EXEC);
    (void)access;
    return 0;
}

/* The walk and the IOTLB fill for a resolved context. */
static int translate_ctx(vmaccel_smmu *s, va_stream *st, va_ctx *c,
                         uint32_t ssid, uint64_t iova, unsigned access,
                         vmaccel_smmu_result *out, uint32_t *stall_id)
{
    va_iotlb *t = &s->tlb;
    uint64_t key = space_key(&c->x);
    uint32_t sslot = va_iotlb_space_slot(t, key);
    uint32_t vslot = va_iotlb_vmid_slot(t, c->x.vmid_tag);
    uint32_t slots = sslot | vslot << 16;
    unsigned w = va_ctx_way(ssid);
    atomic_store_explicit(&st->fast[w].key, key, RLX);
    atomic_store_explicit(&st->fast[w].gen, va_iotlb_gen(t, sslot, vslot), RLX);
    atomic_store_explicit(&st->fast[w].tag,
                          va_fast_tag(atomic_load_explicit(&s->epoch, RLX), ssid), RLX);
    unsigned shift;
    uint64_t hash;
    va_tlbe *e = lookup(t, key, va_iotlb_gen(t, sslot, vslot), t->sizes_all, iova,
                        &shift, &hash);
    if (e && from_entry(atomic_load_explicit(&e->out, RLX), shift, iova, access, out)) {
        /* Perhaps filled by another stream of the same space: let this
         * stream's hit path probe that size too. */
        atomic_store_explicit(&st->sizes, atomic_load_explicit(&st->sizes, RLX) |
                              1ull << shift, RLX);
        bump(&st->hits);
        return 0;
    }
    bump(&st->misses);
    va_xout o;
    vmaccel_smmu_fault f = {.level = -1};
    int rc = va_xlate(s, &c->x, iova, access, slots, false, &o, &f);
    atomic_fetch_add_explicit(&st->walks, o.walks, RLX);
    if (rc) {
        if (f.event == EVT_F_WALK_EABT)
            f.recorded = true;
        else
            f.recorded = st->host || (f.stage == 2 ? c->x.s2c.rec : c->x.s1c.rec);
        return fault_or_stall(s, st, ssid, access, &f, &c->x, stall_id, out);
    }
    uint64_t size = 1ull << o.shift;
    uint64_t h = va_iotlb_hash(key << 8 | o.shift, iova >> o.shift);
    bool sampled = va_iotlb_sampled(t, h);
    /* The sampling decision is kept in the entry so that hits test a bit
     * instead of hashing. */
    uint64_t outw = (o.pa & ~(size - 1)) | o.perms | (o.global ? VA_PERM_GLOBAL : 0) |
                    (c->x.s1 && c->x.s2 ? VA_ENTRY_NESTED : 0) |
                    (sampled ? VA_ENTRY_SAMPLED : 0);
    if (e && shift == o.shift) {
        /* Cached without the permission this access needed: the walk may
         * have made the page dirty (HTTU), so the entry takes what it read. */
        atomic_store_explicit(&e->out, outw, RLX);
    } else {
        uint64_t tag = key << 8 | o.shift;
        va_iotlb_insert(t, st->part, tag, iova >> o.shift, outw, sslot, vslot);
        t->sizes_all |= 1ull << o.shift;
        atomic_store_explicit(&st->sizes, atomic_load_explicit(&st->sizes, RLX) |
                              1ull << o.shift, RLX);
        if (t->adaptive && ++t->since >= t->interval) {
            va_smmu_repartition_locked(s);
            t->since = 0;
        }
    }
    if (sampled) {
        va_smmu_umon_drain(s, st); /* keep the stream's accesses in order */
        va_iotlb_umon_access(t, st->part, h);
    }
    if (!from_entry(outw, o.shift, iova, access, out)) {
        /* Unreachable: va_xlate checked the permissions. */
        vmaccel_smmu_fault pf = {.event = EVT_F_PERMISSION, .stage = 1,
                                 .level = -1, .input_addr = iova};
        return fault_out(s, st, st->sid, ssid, access, &pf, out);
    }
    return 0;
}

int va_smmu_stream_for(vmaccel_smmu *s, uint32_t sid, va_stream **st,
                       vmaccel_smmu_fault *f)
{
    *st = va_smmu_stream_peek(s, sid);
    if (*st && (*st)->host)
        return 0;
    if (!(s->regs.cr0 & CR0_SMMUEN))
        return VMACCEL_EFAULT; /* f->event stays 0: GBPA decides */
    if (sid >> VA_SMMU_SID_BITS) {
        *st = NULL;
        f->event = EVT_C_BAD_STREAMID;
        f->recorded = s->regs.cr2 & CR2_RECINVSID;
        return VMACCEL_EFAULT;
    }
    *st = va_smmu_stream_get(s, sid);
    if (!*st)
        return va_fail(VMACCEL_ENOMEM, "out of memory for SMMU stream %u", sid);
    return 0;
}

int va_smmu_translate_locked(vmaccel_smmu *s, uint32_t sid, uint32_t ssid,
                             uint64_t iova, unsigned access,
                             vmaccel_smmu_result *out, uint32_t *stall_id)
{
    vmaccel_smmu_fault f = {.level = -1, .input_addr = iova};
    s->fault_tt_write = false;
    va_stream *st;
    int rc = va_smmu_stream_for(s, sid, &st, &f);
    if (rc == VMACCEL_EFAULT && !f.event) {
        /* SMMUEN == 0, GBPA: abort, or bypass; an address beyond the OAS
         * aborts without an event (IHI 0070 3.4). */
        if ((s->regs.gbpa & GBPA_ABORT) || iova >> VA_SMMU_OAS)
            return fault_out(s, st, sid, ssid, access, &f, out);
        return bypass_out(iova, access, out);
    }
    if (rc)
        return rc == VMACCEL_EFAULT ? fault_out(s, NULL, sid, ssid, access, &f, out) : rc;
    va_route route;
    va_ctx *c = NULL;
    rc = va_smmu_resolve(s, st, ssid, &route, &c, &f);
    if (rc) {
        bump(&st->misses);
        f.input_addr = iova;
        /* C_BAD_STREAMID is recorded only with CR2.RECINVSID; a stage-2
         * fault of a CD fetch as STE.S2R says. */
        f.recorded = f.stage == 2 ? st->ste.s2c.rec
                                  : f.event != EVT_C_BAD_STREAMID || (s->regs.cr2 & CR2_RECINVSID);
        return fault_or_stall(s, st, ssid, access, &f, NULL, stall_id, out);
    }
    if (route == VA_ROUTE_ABORT)
        return fault_out(s, st, sid, ssid, access, &f, out);
    if (route == VA_ROUTE_BYPASS) {
        if (iova >> VA_SMMU_OAS) {
            /* Config 0b100 with an input beyond the OAS: stage 1
             * Address Size fault, recorded. */
            va_fault_set(&f, EVT_F_ADDR_SIZE, 1, 0);
            f.fault_class = EVT_CLASS_IN;
            f.recorded = true;
            return fault_out(s, st, sid, ssid, access, &f, out);
        }
        return bypass_out(iova, access, out);
    }
    return translate_ctx(s, st, c, ssid, iova, access, out, stall_id);
}

/* The entry a stream's hint names, if it holds (key, iova) and is live. */
static inline va_tlbe *from_hint(va_iotlb *t, va_stream *st, uint64_t key,
                                 uint64_t gen, uint64_t iova, unsigned *shift)
{
    uint32_t i = atomic_load_explicit(&st->hint[(iova >> 12) % VA_HINTS], RLX);
    if (i >= t->cap)
        return NULL;
    va_tlbe *e = &t->e[i];
    uint64_t tag = atomic_load_explicit(&e->tag, RLX);
    unsigned sh = tag & 0xff;
    if (tag >> 8 != key || sh > 63 ||
        atomic_load_explicit(&e->page, RLX) != iova >> sh ||
        atomic_load_explicit(&e->gen, RLX) != gen)
        return NULL;
    *shift = sh;
    return e;
}

/* The seqlock reader's check after its data loads: an acquire fence, then
 * the counter again. GCC refuses a fence inlined into another function
 * under -fsanitize=thread (TSan models no fences), so that build keeps the
 * check out of line. */
#ifdef __SANITIZE_THREAD__
static __attribute__((noinline)) bool
#else
static ALWAYS_INLINE bool
#endif
seq_unchanged(vmaccel_smmu *s, uint64_t seq)
{
    atomic_thread_fence(memory_order_acquire);
    return atomic_load_explicit(&s->seq, RLX) == seq;
}

/* The hash probe for every size the stream has cached, out of line so that
 * the hint path keeps few registers; a found entry becomes the hint. */
static __attribute__((noinline)) va_tlbe *probe_sizes(va_iotlb *t, va_stream *st,
                                                      uint64_t key, uint64_t gen,
                                                      uint64_t iova, unsigned *shift)
{
    uint64_t h;
    va_tlbe *e = lookup(t, key, gen, atomic_load_explicit(&st->sizes, RLX), iova, shift, &h);
    if (e)
        atomic_store_explicit(&st->hint[(iova >> 12) % VA_HINTS], (uint32_t)(e - t->e), RLX);
    return e;
}

/* The live entry holding (key, gen, iova): the stream's hint first. */
static ALWAYS_INLINE va_tlbe *find_entry(va_iotlb *t, va_stream *st, uint64_t key,
                                         uint64_t gen, uint64_t iova, unsigned *shift)
{
    va_tlbe *e = from_hint(t, st, key, gen, iova, shift);
    return e ? e : probe_sizes(t, st, key, gen, iova, shift);
}

/* The IOTLB space (key, generation) the stream's context for ssid was
 * resolved to; false when that context is stale or was never resolved. */
static ALWAYS_INLINE bool fast_ctx(vmaccel_smmu *s, va_stream *st, uint32_t ssid,
                                   uint64_t *key, uint64_t *gen)
{
    va_fast *f = &st->fast[va_ctx_way(ssid)];
    if (atomic_load_explicit(&f->tag, RLX) !=
        va_fast_tag(atomic_load_explicit(&s->epoch, RLX), ssid))
        return false;
    /* The generation stays valid while the epoch does: every generation
     * bump bumps the epoch too. */
    *key = atomic_load_explicit(&f->key, RLX);
    *gen = atomic_load_explicit(&f->gen, RLX);
    return true;
}

/* One attempt of the hit path: 1 a hit, 0 the slow path must run, -1 a
 * writer overlapped (try again). */
static ALWAYS_INLINE int hit_once(vmaccel_smmu *s, va_stream *st, uint32_t ssid,
                                  uint64_t iova, unsigned access,
                                  vmaccel_smmu_result *out)
{
    uint64_t seq = atomic_load_explicit(&s->seq, memory_order_acquire), key, gen;
    if (seq & 1)
        return -1;
    unsigned shift;
    va_tlbe *e;
    if (!fast_ctx(s, st, ssid, &key, &gen) ||
        !(e = find_entry(&s->tlb, st, key, gen, iova, &shift)))
        return 0;
    uint64_t outw = atomic_load_explicit(&e->out, RLX);
    if (!seq_unchanged(s, seq))
        return -1;
    if (!from_entry(outw, shift, iova, access, out))
        return 0; /* the slow path walks and reports the exact fault */
    count_hit(st, e, outw, key, shift, iova);
    return 1;
}

static __attribute__((noinline)) int hit_retry(vmaccel_smmu *s, va_stream *st,
                                               uint32_t ssid, uint64_t iova,
                                               unsigned access, vmaccel_smmu_result *out)
{
    for (int tries = 0; tries < 3; tries++) {
        int r = hit_once(s, st, ssid, iova, access, out);
        if (r >= 0)
            return r;
    }
    return 0;
}

/* The hit path: no lock, validated by the sequence counter. Returns 1 on
 * a hit, 0 when the slow path must run. */
static ALWAYS_INLINE int try_hit(vmaccel_smmu *s, va_stream *st, uint32_t ssid,
                                 uint64_t iova, unsigned access,
                                 vmaccel_smmu_result *out)
{
    int r = hit_once(s, st, ssid, iova, access, out);
    return r >= 0 ? r : hit_retry(s, st, ssid, iova, access, out);
}

#define BATCH 32

/* The hit path over a list: one sequence validation per BATCH IOVAs, and
 * the counters bumped once per batch. Returns how many leading IOVAs hit;
 * the caller takes the rest one by one. */
static size_t hit_many(vmaccel_smmu *s, va_stream *st, uint32_t ssid,
                       const uint64_t *iovas, size_t n, unsigned access,
                       vmaccel_smmu_result *out)
{
    va_iotlb *t = &s->tlb;
    size_t i = 0;
    for (int tries = 0; i < n && tries < 4; tries++) {
        uint64_t seq = atomic_load_explicit(&s->seq, memory_order_acquire), key, gen;
        if (seq & 1)
            continue;
        if (!fast_ctx(s, st, ssid, &key, &gen))
            return i;
        uint64_t sampled[BATCH];
        unsigned nsampled = 0;
        size_t k = i, end = n - i > BATCH ? i + BATCH : n;
        /* 4K pages, the common case, are matched without a shift. */
        uint64_t tag4k = key << 8 | 12;
        unsigned pshift = access & VMACCEL_SMMU_PRIV ? 0 : 3, need = va_need(access);
        for (; k < end; k++) {
            uint64_t iova = iovas[k];
            uint32_t h = atomic_load_explicit(&st->hint[(iova >> 12) % VA_HINTS], RLX);
            va_tlbe *e = h < t->cap ? &t->e[h] : NULL;
            unsigned shift = 12;
            uint64_t outw;
            if (e && atomic_load_explicit(&e->tag, RLX) == tag4k &&
                atomic_load_explicit(&e->page, RLX) == iova >> 12 &&
                atomic_load_explicit(&e->gen, RLX) == gen) {
                outw = atomic_load_explicit(&e->out, RLX);
                unsigned perm = (unsigned)(outw >> pshift) & 7u;
                if (need & ~perm)
                    break;
                out[k].pa = (outw & ~0xfffull) | (iova & 0xfff);
                out[k].size = 4096;
                out[k].perm = perm;
            } else {
                if (!(e = find_entry(t, st, key, gen, iova, &shift)))
                    break;
                outw = atomic_load_explicit(&e->out, RLX);
                if (!from_entry(outw, shift, iova, access, &out[k]))
                    break;
            }
            if (!atomic_load_explicit(&e->ref, RLX))
                atomic_store_explicit(&e->ref, 1, RLX);
            if (outw & VA_ENTRY_SAMPLED)
                sampled[nsampled++] = va_iotlb_hash(key << 8 | shift, iova >> shift);
        }
        if (!seq_unchanged(s, seq))
            continue; /* a writer overlapped: do this batch again */
        atomic_store_explicit(&st->hits, atomic_load_explicit(&st->hits, RLX) + (k - i), RLX);
        for (unsigned j = 0; j < nsampled; j++)
            sample_hit(st, sampled[j]);
        tries = -1; /* a fresh budget for the next batch */
        if (k < end)
            return k; /* a miss or a denied access */
        i = k;
    }
    return i;
}

int va_smmu_check_request(vmaccel_smmu *smmu, uint32_t ssid, unsigned access,
                          uint32_t *ss)
{
    *ss = VA_SSID_NONE;
    if (!va_handle_is_live(smmu, VA_HANDLE_SMMU))
        return va_handle_check(smmu, VA_HANDLE_SMMU, "SMMU");
    if (access & ~15u)
        return va_fail(VMACCEL_EINVAL, "access flags 0x%x: unknown bits", access);
    if (ssid != VMACCEL_SMMU_NO_SSID && ssid >> VA_SMMU_SSID_BITS)
        return va_fail(VMACCEL_EINVAL, "SubstreamID 0x%x exceeds %d bits", ssid,
                       VA_SMMU_SSID_BITS);
    *ss = ssid == VMACCEL_SMMU_NO_SSID ? VA_SSID_NONE : ssid;
    return 0;
}

/* Argument checks shared by the translate calls. */
static int check_args(vmaccel_smmu *smmu, uint32_t ssid, unsigned access,
                      const void *out, uint32_t *ss)
{
    int rc = va_smmu_check_request(smmu, ssid, access, ss);
    if (!rc && !out)
        rc = va_fail(VMACCEL_EINVAL, "SMMU translate: out is NULL");
    return rc;
}

/* The slow path of one transaction, under the lock. */
static __attribute__((noinline)) int
translate_slow(vmaccel_smmu *smmu, uint32_t sid, uint32_t ss,
                          uint64_t iova, unsigned access, vmaccel_smmu_result *out,
                          uint32_t *stall_id)
{
    pthread_mutex_lock(&smmu->lock);
    va_smmu_write_begin(smmu);
    int rc = va_smmu_translate_locked(smmu, sid, ss, iova, access, out, stall_id);
    va_smmu_write_end(smmu);
    pthread_mutex_unlock(&smmu->lock);
    if (rc == VMACCEL_EFAULT)
        return va_fail(rc, "SMMU fault: event 0x%02x stage %u level %d at 0x%llx",
                       out->fault.event, out->fault.stage, out->fault.level,
                       (unsigned long long)iova);
    if (rc == VMACCEL_EAGAIN)
        return va_fail(rc, "SMMU stall 0x%x: event 0x%02x stage %u level %d at 0x%llx",
                       *stall_id, out->fault.event, out->fault.stage, out->fault.level,
                       (unsigned long long)iova);
    return rc;
}

/* Whether a call may try the hit path before any check with a message:
 * a live handle in its registry home slot, an out buffer, known access
 * flags, a SubstreamID in range. Otherwise translate_rest decides. */
static ALWAYS_INLINE bool hit_args(vmaccel_smmu *smmu, uint32_t ssid, unsigned access,
                                   const void *out)
{
    return va_handle_in_home_slot(smmu, VA_HANDLE_SMMU) && out && !(access & ~15u) &&
           (ssid == VMACCEL_SMMU_NO_SSID || !(ssid >> VA_SMMU_SSID_BITS));
}

/* The hit path through the stream's hint alone. It calls nothing, so that
 * a hit needs no stack frame; everything else (a hash probe, a writer
 * overlapping, a miss) is translate_rest's. 1 a hit, 0 not served here. */
static ALWAYS_INLINE int hit_by_hint(vmaccel_smmu *s, uint32_t sid, uint32_t ssid,
                                     uint64_t iova, unsigned access,
                                     vmaccel_smmu_result *out)
{
    va_stream *st = va_smmu_stream_peek(s, sid);
    if (!st)
        return 0;
    ssid = ssid == VMACCEL_SMMU_NO_SSID ? VA_SSID_NONE : ssid;
    uint64_t seq = atomic_load_explicit(&s->seq, memory_order_acquire), key, gen;
    unsigned shift;
    va_tlbe *e;
    if ((seq & 1) || !fast_ctx(s, st, ssid, &key, &gen) ||
        !(e = from_hint(&s->tlb, st, key, gen, iova, &shift)))
        return 0;
    uint64_t outw = atomic_load_explicit(&e->out, RLX);
    if (!seq_unchanged(s, seq) || !from_entry(outw, shift, iova, access, out))
        return 0;
    count_hit(st, e, outw, key, shift, iova);
    return 1;
}

/* A transaction the hint did not serve: the checks with their messages,
 * the whole hit path, then the slow path. */
static int translate_rest_stall(vmaccel_smmu *smmu, uint32_t sid, uint32_t ssid,
                                uint64_t iova, unsigned access, vmaccel_smmu_result *out,
                                uint32_t *stall_id)
{
    uint32_t ss;
    int rc = check_args(smmu, ssid, access, out, &ss);
    if (rc)
        return rc;
    va_stream *st = va_smmu_stream_peek(smmu, sid);
    if (st && try_hit(smmu, st, ss, iova, access, out))
        return 0;
    return translate_slow(smmu, sid, ss, iova, access, out, stall_id);
}

/* The same for vmaccel_smmu_translate; six arguments, so that the hit path
 * reaches it by a tail call. */
static __attribute__((noinline)) int
translate_rest(vmaccel_smmu *smmu, uint32_t sid, uint32_t ssid, uint64_t iova,
               unsigned access, vmaccel_smmu_result *out)
{
    return translate_rest_stall(smmu, sid, ssid, iova, access, out, NULL);
}

VMACCEL_API int vmaccel_smmu_translate(vmaccel_smmu *smmu, uint32_t sid,
                                       uint32_t ssid, uint64_t iova,
                                       unsigned access,
                                       vmaccel_smmu_result *out)
{
    if (hit_args(smmu, ssid, access, out) && hit_by_hint(smmu, sid, ssid, iova, access, out))
        return 0;
    return translate_rest(smmu, sid, ssid, iova, access, out);
}

VMACCEL_API int vmaccel_smmu_translate_stallable(vmaccel_smmu *smmu, uint32_t sid,
                                                 uint32_t ssid, uint64_t iova,
                                                 unsigned access,
                                                 vmaccel_smmu_result *out,
                                                 uint32_t *stall_id)
{
    if (!stall_id)
        return va_fail(VMACCEL_EINVAL, "vmaccel_smmu_translate_stallable: stall_id is NULL");
    if (hit_args(smmu, ssid, access, out) && hit_by_hint(smmu, sid, ssid, iova, access, out))
        return 0;
    return translate_rest_stall(smmu, sid, ssid, iova, access, out, stall_id);
}

VMACCEL_API int vmaccel_smmu_translate_many(vmaccel_smmu *smmu, uint32_t sid,
                                            uint32_t ssid, const uint64_t *iovas,
                                            size_t n, unsigned access,
                                            vmaccel_smmu_result *out, size_t *done)
{
    uint32_t ss;
    int rc = check_args(smmu, ssid, access, out, &ss);
    if (rc)
        return rc;
    if (!done || (n && !iovas))
        return va_fail(VMACCEL_EINVAL, "vmaccel_smmu_translate_many: %s is NULL",
                       done ? "iovas" : "done");
    va_stream *st = va_smmu_stream_peek(smmu, sid);
    size_t i = st ? hit_many(smmu, st, ss, iovas, n, access, out) : 0;
    for (; i < n; i++) {
        if (st && try_hit(smmu, st, ss, iovas[i], access, &out[i]))
            continue;
        rc = translate_slow(smmu, sid, ss, iovas[i], access, &out[i], NULL);
        if (rc)
            break;
        st = va_smmu_stream_peek(smmu, sid); /* the slow path made it */
    }
    *done = i;
    return rc;
}
