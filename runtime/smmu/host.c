/* The host API: memory callbacks, attach/detach, invalidation, partitioning. */
#include "smmu/smmu_model.h"

#include "core/error.h"
#include "smmu/smmu_spec.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static int lock_model(vmaccel_smmu *s)
{
    int rc = va_handle_check(s, VA_HANDLE_SMMU, "SMMU");
    if (rc)
        return rc;
    pthread_mutex_lock(&s->lock);
    va_smmu_write_begin(s);
    return 0;
}

static void unlock_model(vmaccel_smmu *s)
{
    va_smmu_write_end(s);
    pthread_mutex_unlock(&s->lock);
}

VMACCEL_API int vmaccel_smmu_set_memory(vmaccel_smmu *smmu,
                                        const vmaccel_smmu_memory *mem)
{
    if (mem && (mem->version < 1 || mem->version > VMACCEL_SMMU_MEMORY_VERSION))
        return va_fail(VMACCEL_EINVAL, "SMMU memory version %u, expected 1..%u",
                       mem->version, VMACCEL_SMMU_MEMORY_VERSION);
    if (mem && !mem->read)
        return va_fail(VMACCEL_EINVAL, "SMMU memory without a read callback");
    int rc = lock_model(smmu);
    if (rc)
        return rc;
    smmu->have_mem = mem != NULL;
    smmu->mem = (vmaccel_smmu_memory)VMACCEL_SMMU_MEMORY_INIT;
    if (mem) /* a version-1 caller's struct ends before cas */
        memcpy(&smmu->mem, mem, mem->version == 1 ? offsetof(vmaccel_smmu_memory, cas)
                                                  : sizeof *mem);
    /* Tables may now read differently: drop every cached thing. */
    va_smmu_stale_all(smmu, true);
    va_smmu_tlbi_all(smmu);
    unlock_model(smmu);
    return 0;
}

VMACCEL_API void vmaccel_smmu_domain_init(vmaccel_smmu_domain *d)
{
    if (d) {
        vmaccel_smmu_domain init = VMACCEL_SMMU_DOMAIN_INIT;
        *d = init;
    }
}

static unsigned granule_shift(unsigned bytes)
{
    return bytes == 4096 ? 12 : bytes == 16384 ? 14 : bytes == 65536 ? 16 : 0;
}

/* The STE/CD encodings of a size in bits; -1 if there is none. */
static int ps_enc(unsigned bits)
{
    static const unsigned b[6] = {32, 36, 40, 42, 44, 48};
    for (int i = 0; i < 6; i++)
        if (b[i] == bits)
            return i;
    return -1;
}

static int s1_from_domain(const vmaccel_smmu_domain *d, va_s1cfg *c)
{
    *c = (va_s1cfg){0};
    const uint64_t ttb[2] = {d->s1_ttb0, d->s1_ttb1};
    const unsigned tsz[2] = {d->s1_t0sz, d->s1_t1sz};
    const unsigned gran[2] = {d->s1_granule0, d->s1_granule1};
    c->epd[0] = d->s1_epd0;
    c->epd[1] = d->s1_epd1 || d->el2;
    for (int r = 0; r < 2; r++) {
        if (c->epd[r])
            continue;
        unsigned g = granule_shift(gran[r]);
        if (!g || tsz[r] < 16 || tsz[r] > 39)
            return va_fail(VMACCEL_EINVAL, "stage-1 range %d: T%dSZ %u / granule "
                           "%u not supported (T0SZ 16..39; 4K, 16K, 64K)",
                           r, r, tsz[r], gran[r]);
        c->ias[r] = (uint8_t)(64 - tsz[r]);
        c->gshift[r] = (uint8_t)g;
        c->start[r] = (uint8_t)va_s1_start_level(64 - tsz[r], g);
        c->ttb[r] = ttb[r] & VA_MASK(51, 4);
        c->had[r] = d->s1_had;
    }
    if (ps_enc(d->s1_ips_bits) < 0)
        return va_fail(VMACCEL_EINVAL, "stage-1 IPS of %u bits (32..48 in IPS steps)",
                       d->s1_ips_bits);
    c->oas = (uint8_t)d->s1_ips_bits;
    for (int r = 0; r < 2; r++)
        if (!c->epd[r] && c->ttb[r] >> c->oas)
            return va_fail(VMACCEL_EINVAL, "stage-1 TTB%d 0x%llx beyond the %u-bit IPS",
                           r, (unsigned long long)c->ttb[r], c->oas);
    if (d->s1_hd && !d->s1_ha)
        return va_fail(VMACCEL_EINVAL, "stage-1 dirty updates (s1_hd) need s1_ha "
                       "(CD {HD, HA} = 0b10 is reserved)");
    c->ha = d->s1_ha;
    c->hd = d->s1_hd;
    c->stall = d->s1_stall;
    c->affd = d->s1_affd;
    c->wxn = d->s1_wxn;
    c->pan = d->s1_pan;
    c->rec = true;
    c->single_priv = d->el2;
    c->asid = d->asid;
    return 0;
}

static int s2_from_domain(const vmaccel_smmu_domain *d, va_s2cfg *c)
{
    static const int tg_of_shift[17] = {[12] = 0, [14] = 2, [16] = 1};
    *c = (va_s2cfg){0};
    unsigned g = granule_shift(d->s2_granule);
    int ps = ps_enc(d->s2_ps_bits);
    if (!g || ps < 0 || d->s2_t0sz > 63 || d->s2_sl0 > 3 ||
        !va_s2_geometry(d->s2_t0sz, d->s2_sl0, (unsigned)tg_of_shift[g],
                        (unsigned)ps, c))
        return va_fail(VMACCEL_EINVAL, "stage-2 geometry not allowed by the spec: "
                       "T0SZ %u, SL0 %u, granule %u, PS %u bits", d->s2_t0sz,
                       d->s2_sl0, d->s2_granule, d->s2_ps_bits);
    c->ttb = d->s2_ttb & VA_MASK(51, 4);
    if (c->ttb >> c->oas)
        return va_fail(VMACCEL_EINVAL, "stage-2 table 0x%llx beyond PS",
                       (unsigned long long)c->ttb);
    if (d->s2_hd && !d->s2_ha)
        return va_fail(VMACCEL_EINVAL, "stage-2 dirty updates (s2_hd) need s2_ha "
                       "(STE {S2HA, S2HD} = 0b01 is reserved)");
    c->ha = d->s2_ha;
    c->hd = d->s2_hd;
    c->stall = d->s2_stall;
    c->affd = d->s2_affd;
    c->rec = true;
    c->vmid = d->vmid;
    return 0;
}

/* The caller's domain as a current-version one: a version-1 struct ends
 * before the HTTU, stall and ATS fields, which then stay off. */
static int domain_copy(const vmaccel_smmu_domain *in, vmaccel_smmu_domain *d)
{
    if (!in || in->version < 1 || in->version > VMACCEL_SMMU_DOMAIN_VERSION)
        return va_fail(VMACCEL_EINVAL, "SMMU domain NULL or version %u, expected 1..%u",
                       in ? in->version : 0, VMACCEL_SMMU_DOMAIN_VERSION);
    vmaccel_smmu_domain init = VMACCEL_SMMU_DOMAIN_INIT;
    *d = init;
    memcpy(d, in, in->version == 1 ? offsetof(vmaccel_smmu_domain, s1_ha) : sizeof *d);
    if (d->eats > EATS_FULL)
        return va_fail(VMACCEL_EINVAL, "SMMU domain eats %u: 0 (off) or 1 (full ATS)",
                       d->eats);
    if (d->eats && d->s2_stall && (d->mode == VMACCEL_SMMU_MODE_S2 ||
                                   d->mode == VMACCEL_SMMU_MODE_NESTED))
        return va_fail(VMACCEL_EINVAL, "full ATS with stalling stage-2 faults is "
                       "ILLEGAL (STE.EATS 0b01 with S2S)");
    return 0;
}

static int domain_config(const vmaccel_smmu_domain *in, va_ste *ste, va_xcfg *x)
{
    vmaccel_smmu_domain dom;
    int rc = domain_copy(in, &dom);
    if (rc)
        return rc;
    const vmaccel_smmu_domain *d = &dom;
    *ste = (va_ste){0};
    *x = (va_xcfg){0};
    switch (d->mode) {
    case VMACCEL_SMMU_MODE_ABORT: ste->config = STE_CFG_ABORT; return 0;
    case VMACCEL_SMMU_MODE_BYPASS: ste->config = STE_CFG_BYPASS; return 0;
    case VMACCEL_SMMU_MODE_S1: ste->config = STE_CFG_S1; break;
    case VMACCEL_SMMU_MODE_S2: ste->config = STE_CFG_S2; break;
    case VMACCEL_SMMU_MODE_NESTED: ste->config = STE_CFG_NESTED; break;
    default: return va_fail(VMACCEL_EINVAL, "SMMU domain mode %d unknown", (int)d->mode);
    }
    x->s1 = ste->config & 1;
    x->s2 = (ste->config & 2) != 0;
    ste->eats = d->eats;
    rc = x->s1 ? s1_from_domain(d, &x->s1c) : 0;
    if (!rc && x->s2)
        rc = s2_from_domain(d, &x->s2c);
    if (rc)
        return rc;
    ste->s1 = x->s1;
    ste->s2 = x->s2;
    ste->s2c = x->s2c;
    x->vmid_tag = d->el2 ? VA_VMID_EL2 : d->vmid;
    x->asid_tag = x->s1 && !d->el2 ? d->asid : VA_ASID_NONE;
    return 0;
}

VMACCEL_API int vmaccel_smmu_attach(vmaccel_smmu *smmu, uint32_t sid,
                                    const vmaccel_smmu_domain *domain)
{
    va_ste ste;
    va_xcfg x;
    int rc = domain_config(domain, &ste, &x);
    if (rc)
        return rc;
    if (sid >> VA_SMMU_SID_BITS)
        return va_fail(VMACCEL_ERANGE, "StreamID %u beyond %d bits", sid,
                       VA_SMMU_SID_BITS);
    rc = lock_model(smmu);
    if (rc)
        return rc;
    va_stream *st = va_smmu_stream_get(smmu, sid);
    if (!st) {
        unlock_model(smmu);
        return va_fail(VMACCEL_ENOMEM, "out of memory for SMMU stream %u", sid);
    }
    va_iotlb_drop_owner(&smmu->tlb, st->part);
    smmu->wc.epoch++; /* the same ASID/VMID may now name other tables */
    st->host = false;
    va_smmu_stream_forget(smmu, st, true);
    st->host = true;
    st->ste = ste;
    st->ste_valid = true;
    st->ctx[0] = (va_ctx){.ssid = VA_SSID_NONE, .valid = x.s1 || x.s2, .x = x};
    unlock_model(smmu);
    return 0;
}

VMACCEL_API int vmaccel_smmu_detach(vmaccel_smmu *smmu, uint32_t sid)
{
    int rc = lock_model(smmu);
    if (rc)
        return rc;
    va_stream *st = va_smmu_stream_peek(smmu, sid);
    if (!st || !st->host) {
        unlock_model(smmu);
        return va_fail(VMACCEL_ENOENT, "SMMU stream %u is not attached", sid);
    }
    st->host = false;
    va_smmu_stream_forget(smmu, st, true);
    va_iotlb_drop_owner(&smmu->tlb, st->part);
    atomic_store_explicit(&st->sizes, 0, memory_order_relaxed);
    va_part *p = &smmu->tlb.part[st->part];
    if (p->umon)
        memset(p->umon, 0, sizeof *p->umon);
    va_smmu_repartition_locked(smmu); /* its share goes to the others now */
    unlock_model(smmu);
    return 0;
}

VMACCEL_API int vmaccel_smmu_invalidate(vmaccel_smmu *smmu,
                                        vmaccel_smmu_inval_scope scope,
                                        uint16_t vmid, uint16_t asid,
                                        uint64_t addr, uint64_t size)
{
    if ((unsigned)scope > VMACCEL_SMMU_INVAL_RANGE)
        return va_fail(VMACCEL_EINVAL, "invalidation scope %d unknown", (int)scope);
    int rc = lock_model(smmu);
    if (rc)
        return rc;
    switch (scope) {
    case VMACCEL_SMMU_INVAL_ALL:
        va_smmu_tlbi_all(smmu);
        va_smmu_stale_all(smmu, true);
        break;
    case VMACCEL_SMMU_INVAL_VMID:
        va_smmu_tlbi_vmid(smmu, vmid);
        break;
    case VMACCEL_SMMU_INVAL_ASID:
        va_smmu_tlbi_asid(smmu, vmid, asid);
        break;
    case VMACCEL_SMMU_INVAL_RANGE:
        va_smmu_tlbi_va(smmu, vmid, asid, false, addr, size);
        va_smmu_tlbi_ipa(smmu, vmid, addr, size);
        break;
    }
    unlock_model(smmu);
    return 0;
}

static void fill_stats(vmaccel_smmu *s, const va_stream *st,
                       vmaccel_smmu_stream_stats *o)
{
    const va_part *p = &s->tlb.part[st->part];
    o->sid = st->sid;
    o->hits = atomic_load_explicit(&st->hits, memory_order_relaxed);
    o->misses = atomic_load_explicit(&st->misses, memory_order_relaxed);
    o->walks = atomic_load_explicit(&st->walks, memory_order_relaxed);
    o->faults = atomic_load_explicit(&st->faults, memory_order_relaxed);
    o->iotlb_quota = s->tlb.adaptive ? p->quota : s->tlb.cap;
    o->iotlb_used = p->used;
}

VMACCEL_API int vmaccel_smmu_stream_stats_get(vmaccel_smmu *smmu, uint32_t sid,
                                              vmaccel_smmu_stream_stats *out)
{
    if (!out)
        return va_fail(VMACCEL_EINVAL, "vmaccel_smmu_stream_stats_get: out is NULL");
    int rc = lock_model(smmu);
    if (rc)
        return rc;
    va_stream *st = va_smmu_stream_peek(smmu, sid);
    if (st)
        fill_stats(smmu, st, out);
    unlock_model(smmu);
    return st ? 0 : va_fail(VMACCEL_ENOENT, "SMMU stream %u never seen", sid);
}

static int by_sid(const void *a, const void *b)
{
    uint32_t x = (*(va_stream *const *)a)->sid, y = (*(va_stream *const *)b)->sid;
    return x < y ? -1 : x > y;
}

int va_smmu_stats_snapshot(vmaccel_smmu *s, unsigned *iotlb_capacity,
                           vmaccel_smmu_stream_stats *out, size_t max,
                           size_t *n, size_t *total)
{
    int rc = lock_model(s);
    if (rc)
        return rc;
    *iotlb_capacity = s->tlb.cap;
    *total = s->nstreams;
    *n = 0;
    va_stream **sorted = s->nstreams ? malloc(s->nstreams * sizeof *sorted) : NULL;
    if (s->nstreams && !sorted) {
        unlock_model(s);
        return va_fail(VMACCEL_ENOMEM, "out of memory for SMMU statistics");
    }
    if (sorted) {
        memcpy(sorted, s->list, s->nstreams * sizeof *sorted);
        qsort(sorted, s->nstreams, sizeof *sorted, by_sid);
    }
    for (uint32_t i = 0; i < s->nstreams && *n < max; i++)
        fill_stats(s, sorted[i], &out[(*n)++]);
    free(sorted);
    unlock_model(s);
    return 0;
}

VMACCEL_API int vmaccel_smmu_set_partitioning(vmaccel_smmu *smmu, bool adaptive,
                                              unsigned interval)
{
    int rc = lock_model(smmu);
    if (rc)
        return rc;
    va_iotlb_set_adaptive(&smmu->tlb, adaptive, interval);
    for (uint32_t i = 0; i < smmu->nstreams; i++)
        atomic_store_explicit(&smmu->list[i]->sizes, 0, memory_order_relaxed);
    unlock_model(smmu);
    return 0;
}

VMACCEL_API int vmaccel_smmu_repartition(vmaccel_smmu *smmu)
{
    int rc = lock_model(smmu);
    if (rc)
        return rc;
    va_smmu_repartition_locked(smmu);
    unlock_model(smmu);
    return 0;
}
