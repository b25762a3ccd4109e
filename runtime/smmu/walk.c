/* AArch64 translation table walk and leaf permissions (Armv8-A VMSAv8-64). */
#include "smmu/walk.h"

#include "smmu/cfg.h"
#include "smmu/smmu_spec.h"

void va_fault_set(vmaccel_smmu_fault *f, unsigned event, unsigned stage,
                  int level)
{
    f->event = event;
    f->stage = stage;
    f->level = level;
}

/* Block descriptors exist at level 1 and 2 with 4K, level 2 with 16K and
 * 64K (level-1 64K blocks need 52-bit output addresses, not offered). */
static bool block_allowed(unsigned gshift, unsigned level)
{
    if (gshift == 12)
        return level == 1 || level == 2;
    return level == 2;
}

int va_walk(const va_walk_req *rq, va_fetch_fn fetch, void *ctx,
            va_walk_res *res, vmaccel_smmu_fault *f)
{
    unsigned g = rq->gshift, stride = g - 3;
    unsigned bits0 = va_level_bits(rq->ias, g, rq->start, rq->start);
    /* Table base bits below the start table's size are ignored. */
    uint64_t table = rq->ttb & ~((1ull << (bits0 + 3)) - 1);
    res->aptable = res->pxntable = res->uxntable = 0;
    if (table >> rq->oas) {
        va_fault_set(f, EVT_F_ADDR_SIZE, rq->stage, 0);
        return VMACCEL_EFAULT;
    }
    /* One level-3 table spans 2^span bytes of input. */
    unsigned span = g + stride, first = rq->start;
    uint64_t prefix = rq->ia >> span;
    unsigned attrs;
    if (rq->wc && rq->start < 3 && va_wc_get(rq->wc, prefix, &table, &attrs)) {
        res->aptable = attrs >> 2;
        res->pxntable = (attrs >> 1) & 1;
        res->uxntable = attrs & 1;
        first = 3;
    }
    for (unsigned level = first; level <= 3; level++) {
        unsigned bits = va_level_bits(rq->ias, g, rq->start, level);
        unsigned shift = g + stride * (3 - level);
        uint64_t idx = (rq->ia >> shift) & ((1ull << bits) - 1);
        uint64_t d;
        int rc = fetch(ctx, table + idx * 8, (int)level, &d, f);
        if (rc)
            return rc;
        if (!DESC_VALID(d)) {
            va_fault_set(f, EVT_F_TRANSLATION, rq->stage, (int)level);
            return VMACCEL_EFAULT;
        }
        if (level < 3 && DESC_TABLE(d)) {
            uint64_t next = d & VA_MASK(DESC_OA_TOP, g);
            if (next >> rq->oas) {
                va_fault_set(f, EVT_F_ADDR_SIZE, rq->stage, (int)level);
                return VMACCEL_EFAULT;
            }
            if (rq->stage == 1 && !rq->had) {
                res->aptable |= (unsigned)DESC_APTABLE(d);
                res->pxntable |= DESC_PXNTABLE(d);
                res->uxntable |= DESC_UXNTABLE(d);
            }
            table = next;
            if (level == 2 && rq->wc)
                va_wc_put(rq->wc, prefix, next,
                          res->aptable << 2 | res->pxntable << 1 | res->uxntable);
            continue;
        }
        /* A leaf: a page at level 3 (0b11), a block above (0b01). */
        if ((level == 3 && !DESC_TABLE(d)) || (level < 3 && !block_allowed(g, level))) {
            va_fault_set(f, EVT_F_TRANSLATION, rq->stage, (int)level);
            return VMACCEL_EFAULT;
        }
        uint64_t oa = d & VA_MASK(DESC_OA_TOP, shift);
        if (oa >> rq->oas) {
            va_fault_set(f, EVT_F_ADDR_SIZE, rq->stage, (int)level);
            return VMACCEL_EFAULT;
        }
        if (!DESC_AF(d) && !rq->affd && !rq->ha) {
            va_fault_set(f, EVT_F_ACCESS, rq->stage, (int)level);
            return VMACCEL_EFAULT;
        }
        res->oa = oa | (rq->ia & ((1ull << shift) - 1));
        res->shift = (uint8_t)shift;
        res->level = (uint8_t)level;
        res->desc = d;
        res->desc_addr = table + idx * 8;
        return 0;
    }
    va_fault_set(f, EVT_F_TRANSLATION, rq->stage, 3); /* not reached */
    return VMACCEL_EFAULT;
}

unsigned va_s1_perms(const va_walk_res *r, bool single_priv, bool wxn, bool pan,
                     bool had)
{
    uint64_t d = r->desc;
    unsigned ap2 = VA_BIT(d, 7), ap1 = VA_BIT(d, 6);
    unsigned aptable = had ? 0 : r->aptable;
    if (aptable & 2)
        ap2 = 1;          /* APTable[1]: no writes below */
    if (single_priv) {
        /* One privilege level: AP[1] and PXN do not apply, bit 54 is XN. */
        unsigned xn = DESC_UXN(d) | (had ? 0 : r->uxntable);
        unsigned w = !ap2, x = !xn && !(wxn && w);
        unsigned p = 1u | w << 1 | x << 2;
        return p | p << 3;
    }
    if (aptable & 1)
        ap1 = 0;          /* APTable[0]: no EL0 access below */
    unsigned pxn = DESC_PXN(d) | (had ? 0 : r->pxntable);
    unsigned uxn = DESC_UXN(d) | (had ? 0 : r->uxntable);
    unsigned pw = !ap2, uw = ap1 && !ap2, ur = ap1;
    /* Privileged execution is never allowed where EL0 can write. */
    unsigned px = !pxn && !uw && !(wxn && pw);
    unsigned ux = !uxn && !(wxn && uw);
    unsigned pr = 1;
    if (pan && ap1)
        pr = pw = 0;      /* PAN: no privileged data access to EL0 pages */
    return (pr | pw << 1 | px << 2) | (ur | uw << 1 | ux << 2) << 3;
}

unsigned va_s2_perms(uint64_t desc)
{
    unsigned r = VA_BIT(desc, 6), w = VA_BIT(desc, 7), x = !DESC_UXN(desc);
    unsigned p = r | w << 1 | x << 2;
    return p | p << 3;
}
