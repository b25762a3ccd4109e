/* IOTLB invalidation by VMID/ASID (generations) and by address (scans). */
#include "smmu/smmu_model.h"

#include "smmu/cfg.h"

typedef struct tmatch {
    uint32_t vmid_a, vmid_b;
    uint32_t asid;
    bool any_asid, ipa;
    uint64_t lo, hi; /* inclusive */
} tmatch;

static bool overlaps(uint64_t tag, const va_tlbe *e, const tmatch *m)
{
    unsigned shift = tag & 0xff;
    uint64_t base = atomic_load_explicit(&e->page, memory_order_relaxed) << shift;
    uint64_t end = base + ((1ull << shift) - 1);
    return base <= m->hi && m->lo <= end;
}

static bool match(const va_tlbe *e, uint64_t tag, void *ctx)
{
    const tmatch *m = ctx;
    uint64_t key = tag >> 8;
    uint32_t vmid = (uint32_t)(key >> 17), asid = (uint32_t)(key & 0x1ffff);
    if (vmid != m->vmid_a && vmid != m->vmid_b)
        return false;
    uint64_t out = atomic_load_explicit(&e->out, memory_order_relaxed);
    if (m->ipa) {
        /* Stage-2-only entries by their IPA; nested ones all (their IPA
         * is not kept); stage-1-only ones never. */
        if (out & VA_ENTRY_NESTED)
            return true;
        return asid == VA_ASID_NONE && overlaps(tag, e, m);
    }
    if (asid == VA_ASID_NONE)
        return false; /* stage-2-only entries hold IPAs, not VAs */
    bool global = out & VA_PERM_GLOBAL;
    if (!m->any_asid && asid != m->asid && !global)
        return false;
    return overlaps(tag, e, m);
}

static void set_range(tmatch *m, uint64_t lo, uint64_t len)
{
    m->lo = lo;
    m->hi = len && lo + len - 1 >= lo ? lo + len - 1 : ~0ull;
}

void va_smmu_tlbi_va(vmaccel_smmu *s, uint32_t vmid_tag, uint32_t asid,
                     bool any_asid, uint64_t lo, uint64_t len)
{
    tmatch m = {.vmid_a = vmid_tag,
                .vmid_b = vmid_tag,
                .asid = asid, .any_asid = any_asid};
    set_range(&m, lo, len);
    va_iotlb_inval_match(&s->tlb, match, &m);
    s->wc.epoch++; /* any table above the range may have changed */
}

void va_smmu_tlbi_ipa(vmaccel_smmu *s, uint32_t vmid, uint64_t lo, uint64_t len)
{
    tmatch m = {.vmid_a = vmid, .vmid_b = vmid, .ipa = true};
    set_range(&m, lo, len);
    va_iotlb_inval_match(&s->tlb, match, &m);
    s->wc.epoch++;
}

/* Fast contexts cache their space's generation, so every generation bump
 * also bumps the epoch that makes them stale (one slow path each). */
static void stale_fast(vmaccel_smmu *s)
{
    atomic_fetch_add_explicit(&s->epoch, 1, memory_order_relaxed);
}

void va_smmu_tlbi_all(vmaccel_smmu *s)
{
    va_iotlb_inval_all(&s->tlb);
    stale_fast(s);
}

void va_smmu_tlbi_asid(vmaccel_smmu *s, uint32_t vmid_tag, uint32_t asid)
{
    va_iotlb_inval_space(&s->tlb, (uint64_t)vmid_tag << 17 | asid);
    stale_fast(s);
}

void va_smmu_tlbi_vmid(vmaccel_smmu *s, uint32_t vmid_tag)
{
    va_iotlb_inval_vmid(&s->tlb, vmid_tag);
    stale_fast(s);
}

void va_smmu_stale_all(vmaccel_smmu *s, bool forget_ste)
{
    atomic_fetch_add_explicit(&s->epoch, 1, memory_order_relaxed);
    for (uint32_t i = 0; i < s->nstreams; i++)
        va_smmu_stream_forget(s, s->list[i], forget_ste);
}
