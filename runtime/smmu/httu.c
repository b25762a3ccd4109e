/* Hardware Access flag and dirty state updates (see httu.h). */
#include "smmu/httu.h"

#include "smmu/smmu_model.h"
#include "smmu/smmu_spec.h"
#include "smmu/xlate.h"

static unsigned at_level(unsigned perms, unsigned access)
{
    return (access & VMACCEL_SMMU_PRIV ? perms : perms >> 3) & 7u;
}

uint64_t va_httu_s1_leaf(const va_walk_res *r, const va_s1cfg *c, int range,
                         unsigned access, unsigned *perms)
{
    uint64_t d = r->desc, want = d;
    *perms = va_s1_perms(r, c->single_priv, c->wxn, c->pan, c->had[range]);
    if (c->ha && !DESC_AF(d))
        want |= DESC_AF_BIT;
    bool write = access & VMACCEL_SMMU_WRITE;
    if (write && c->hd && DESC_DBM(d) && (d & DESC_AP2_BIT) &&
        !(at_level(*perms, access) & VMACCEL_SMMU_WRITE)) {
        /* Writable-clean: clearing AP[2] must be what allows the write
         * (APTable, PAN and the other AP bit still apply, 3.13.3.1). */
        va_walk_res dirty = *r;
        dirty.desc = d & ~DESC_AP2_BIT;
        unsigned p = va_s1_perms(&dirty, c->single_priv, c->wxn, c->pan,
                                 c->had[range]);
        if (at_level(p, access) & VMACCEL_SMMU_WRITE) {
            want = (want & ~DESC_AP2_BIT) | DESC_AF_BIT;
            *perms = p;
        }
    }
    return want;
}

uint64_t va_httu_s2_leaf(uint64_t desc, const va_s2cfg *c, unsigned need,
                         unsigned cls, unsigned *perms)
{
    uint64_t want = desc;
    *perms = va_s2_perms(desc);
    if (c->ha && !DESC_AF(desc))
        want |= DESC_AF_BIT;
    /* The SMMU never makes a page dirty for a CD fetch (3.13.3.1). */
    if ((need & VMACCEL_SMMU_WRITE) && cls != EVT_CLASS_CD && c->hd &&
        DESC_DBM(desc) && !(desc & DESC_S2AP_W_BIT)) {
        want |= DESC_S2AP_W_BIT | DESC_AF_BIT;
        *perms = va_s2_perms(want);
    }
    return want;
}

static int cas_by_read_write(vmaccel_smmu *s, uint64_t pa, uint64_t *expected,
                             uint64_t desired)
{
    uint64_t now;
    if (va_mem_read64(s, pa, &now))
        return -1;
    if (now != *expected) {
        *expected = now;
        return 1;
    }
    return va_mem_write_dwords(s, pa, &desired, 1) ? -1 : 0;
}

int va_mem_cas64(vmaccel_smmu *s, uint64_t pa, uint64_t *expected, uint64_t desired)
{
    if (!s->have_mem || (pa & 7))
        return -1;
    if (!s->mem.cas)
        return cas_by_read_write(s, pa, expected, desired);
    int rc = s->mem.cas(s->mem.ctx, pa, expected, desired);
    return rc == 0 || rc == 1 ? rc : -1;
}
