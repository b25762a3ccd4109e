/* One address through stage 1, stage 2 or both. */
#include "smmu/xlate.h"

#include "smmu/httu.h"
#include "smmu/smmu_model.h"
#include "smmu/smmu_spec.h"
#include "smmu/walk.h"

static uint64_t le64(const uint8_t *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

int va_mem_read_dwords(vmaccel_smmu *s, uint64_t addr, uint64_t *d, unsigned n)
{
    uint8_t buf[64];
    if (!s->have_mem || n > 8 || addr + 8ull * n < addr)
        return -1;
    if (s->mem.read(s->mem.ctx, addr, buf, 8u * n))
        return -1;
    for (unsigned i = 0; i < n; i++)
        d[i] = le64(buf + 8 * i);
    return 0;
}

int va_mem_read64(vmaccel_smmu *s, uint64_t addr, uint64_t *v)
{
    return va_mem_read_dwords(s, addr, v, 1);
}

int va_mem_write_dwords(vmaccel_smmu *s, uint64_t addr, const uint64_t *d,
                        unsigned n)
{
    uint8_t buf[64];
    if (!s->have_mem || !s->mem.write || n > 8)
        return -1;
    for (unsigned i = 0; i < n; i++)
        for (int b = 0; b < 8; b++)
            buf[8 * i + b] = (uint8_t)(d[i] >> (8 * b));
    return s->mem.write(s->mem.ctx, addr, buf, 8u * n) ? -1 : 0;
}

typedef struct fetch_ctx {
    vmaccel_smmu *s;
    const va_s2cfg *s2;  /* nested stage 1: table addresses are IPAs */
    unsigned stage;
    uint32_t vslot;      /* for the stage-2 walk cache */
} fetch_ctx;

/* Walk-cache tags: the regime (space, granule, TTB range, stage). */
static uint64_t wc_tag(uint64_t space, unsigned g, unsigned range, unsigned stage)
{
    return space << 9 | (uint64_t)g << 2 | range << 1 | (stage - 1);
}

static int eabt(vmaccel_smmu_fault *f, unsigned stage, int level, uint64_t pa,
                unsigned cls)
{
    va_fault_set(f, EVT_F_WALK_EABT, stage, level);
    f->fetch_addr = pa;
    f->fault_class = cls;
    return VMACCEL_EFAULT;
}

/* The physical address of a stage-1 table address (an IPA when nested),
 * for reading (`need` 1) or for an HTTU write (2). */
static int table_pa(fetch_ctx *c, uint64_t addr, unsigned need, uint64_t *pa,
                    vmaccel_smmu_fault *f)
{
    *pa = addr;
    if (!c->s2)
        return 0;
    uint8_t shift;
    unsigned perms;
    int rc = va_s2_xlate(c->s, c->s2, addr, need, EVT_CLASS_TT, c->vslot, pa,
                         &shift, &perms, f);
    /* A stage-2 Permission fault of a descriptor write says so (TTRnW). */
    if (rc && (need & VMACCEL_SMMU_WRITE) && f->event == EVT_F_PERMISSION)
        c->s->fault_tt_write = true;
    return rc;
}

static int fetch(void *vctx, uint64_t addr, int level, uint64_t *desc,
                 vmaccel_smmu_fault *f)
{
    fetch_ctx *c = vctx;
    uint64_t pa;
    if (table_pa(c, addr, VMACCEL_SMMU_READ, &pa, f))
        return VMACCEL_EFAULT;
    if (va_mem_read64(c->s, pa, desc))
        return eabt(f, c->stage, level, pa, EVT_CLASS_TT);
    return 0;
}

/* Stores an HTTU update of the leaf the walk read: 0 stored, 1 the guest
 * changed it first (walk again), VMACCEL_EFAULT with f. `cls` is the CLASS
 * an abort is reported with. */
static int store_leaf(fetch_ctx *c, const va_walk_res *r, uint64_t want,
                      unsigned cls, vmaccel_smmu_fault *f)
{
    uint64_t pa, expected = r->desc;
    int rc = table_pa(c, r->desc_addr, VMACCEL_SMMU_WRITE, &pa, f);
    if (rc)
        return rc;
    rc = va_mem_cas64(c->s, pa, &expected, want);
    if (rc < 0)
        return eabt(f, c->stage, r->level, pa, cls);
    return rc;
}

/* After VA_HTTU_MAX_TRIES lost races, the walk gives up (see httu.h). */
static int too_many_races(unsigned tries, const va_walk_res *r, unsigned stage,
                          unsigned cls, vmaccel_smmu_fault *f)
{
    if (tries + 1 < VA_HTTU_MAX_TRIES)
        return 0;
    return eabt(f, stage, r->level, r->desc_addr, cls);
}

/* S2PTW: CD fetches and stage-1 walks must not reach Device memory
 * (stage-2 MemAttr[3:2] == 0b00). */
static bool device_for_walk(const va_s2cfg *c, uint64_t desc, unsigned cls)
{
    return c->ptw && cls != EVT_CLASS_IN && VA_BITS(desc, 5, 4) == 0;
}

int va_s2_xlate(vmaccel_smmu *s, const va_s2cfg *c, uint64_t ipa,
                unsigned need, unsigned cls, uint32_t vslot, uint64_t *pa,
                uint8_t *shift, unsigned *perms, vmaccel_smmu_fault *f)
{
    f->ipa = ipa;
    f->fault_class = cls;
    if (ipa >> c->ias) {
        /* Outside the S2T0SZ input range. */
        va_fault_set(f, EVT_F_TRANSLATION, 2, 0);
        return VMACCEL_EFAULT;
    }
    va_walk_req rq = {.ttb = c->ttb, .ia = ipa, .ias = c->ias,
                      .gshift = c->gshift, .start = c->start, .oas = c->oas,
                      .stage = 2, .affd = c->affd, .ha = c->ha};
    va_wc_ref wr;
    if (vslot != VA_NIL) {
        /* Stage-2 tables belong to the VMID: no ASID generation. */
        wr = (va_wc_ref){&s->wc,
                         wc_tag((uint64_t)c->vmid << 17 | VA_ASID_NONE, c->gshift, 0, 2),
                         atomic_load_explicit(&s->tlb.vmid[vslot].gen, memory_order_relaxed) +
                             atomic_load_explicit(&s->tlb.global_gen, memory_order_relaxed) +
                             s->wc.epoch};
        rq.wc = &wr;
    }
    fetch_ctx fc = {s, NULL, 2, VA_NIL};
    for (unsigned tries = 0;; tries++) {
        va_walk_res r;
        int rc = va_walk(&rq, fetch, &fc, &r, f);
        if (!rc && device_for_walk(c, r.desc, cls)) {
            va_fault_set(f, EVT_F_PERMISSION, 2, r.level);
            rc = VMACCEL_EFAULT;
        }
        uint64_t want = rc ? 0 : va_httu_s2_leaf(r.desc, c, need, cls, perms);
        bool probe = need & VA_XLATE_PROBE;
        if (!rc && !probe && (need & ~*perms & 7u)) {
            va_fault_set(f, EVT_F_PERMISSION, 2, r.level);
            rc = VMACCEL_EFAULT;
        }
        /* A probe that grants nothing leaves the descriptor alone. */
        if (!rc && want != r.desc && (!probe || (need & *perms & 7u))) {
            rc = store_leaf(&fc, &r, want, cls, f);
            if (rc == 1 && !(rc = too_many_races(tries, &r, 2, cls, f)))
                continue;
        }
        if (rc) {
            f->ipa = ipa;
            f->fault_class = cls;
            f->stage = 2;
            return rc;
        }
        *pa = r.oa;
        *shift = r.shift;
        return 0;
    }
}

/* Picks TTB0 or TTB1 by VA[55] and checks the VA lies in that range. */
static int s1_range(const va_s1cfg *c, uint64_t va, int *range, uint64_t *ia)
{
    int r = (int)VA_BIT(va, 55);
    if (c->epd[r])
        return -1;
    unsigned ias = c->ias[r];
    unsigned top = (c->tbi >> r) & 1 ? 55 : 63; /* TBI: top byte ignored */
    uint64_t hi = VA_BITS(va, top, ias);
    uint64_t all = VA_BITS(~0ull, top, ias);
    if (hi != (r ? all : 0))
        return -1;
    *range = r;
    *ia = va & ((1ull << ias) - 1);
    return 0;
}

static int stage1(vmaccel_smmu *s, const va_xcfg *x, uint64_t iova,
                  unsigned access, uint32_t slots, bool probe, va_xout *o,
                  vmaccel_smmu_fault *f)
{
    const va_s1cfg *c = &x->s1c;
    int r;
    uint64_t ia;
    f->fault_class = EVT_CLASS_IN;
    if (s1_range(c, iova, &r, &ia)) {
        va_fault_set(f, EVT_F_TRANSLATION, 1, 0);
        return VMACCEL_EFAULT;
    }
    va_walk_req rq = {.ttb = c->ttb[r], .ia = ia, .ias = c->ias[r],
                      .gshift = c->gshift[r], .start = c->start[r],
                      .oas = c->oas, .stage = 1, .had = c->had[r],
                      .affd = c->affd, .ha = c->ha};
    uint32_t vslot = slots == VA_NIL ? VA_NIL : slots >> 16;
    fetch_ctx fc = {s, x->s2 ? &x->s2c : NULL, 1, vslot};
    va_wc_ref wr;
    if (slots != VA_NIL) {
        uint64_t space = (uint64_t)x->vmid_tag << 17 | x->asid_tag;
        wr = (va_wc_ref){&s->wc, wc_tag(space, c->gshift[r], (unsigned)r, 1),
                         va_iotlb_gen(&s->tlb, slots & 0xffff, vslot) + s->wc.epoch};
        rq.wc = &wr;
    }
    for (unsigned tries = 0;; tries++) {
        va_walk_res w;
        o->walks++;
        int rc = va_walk(&rq, fetch, &fc, &w, f);
        if (rc)
            return rc;
        uint64_t want = va_httu_s1_leaf(&w, c, r, access, &o->perms);
        unsigned p = access & VMACCEL_SMMU_PRIV ? o->perms : o->perms >> 3;
        if (!probe && (va_need(access) & ~p & 7u)) {
            /* No update: whether AF is set on a Permission fault is
             * UNKNOWN (3.13.2), and no write is allowed to dirty. */
            va_fault_set(f, EVT_F_PERMISSION, 1, w.level);
            return VMACCEL_EFAULT;
        }
        /* A probe that grants nothing leaves the descriptor alone. */
        if (want != w.desc && (!probe || (va_need(access) & p))) {
            rc = store_leaf(&fc, &w, want, EVT_CLASS_TT, f);
            if (rc == 1 && !(rc = too_many_races(tries, &w, 1, EVT_CLASS_TT, f)))
                continue;
            if (rc)
                return rc;
        }
        o->global = !DESC_NG(w.desc);
        o->pa = w.oa;
        o->shift = w.shift;
        return 0;
    }
}

int va_xlate(vmaccel_smmu *s, const va_xcfg *x, uint64_t iova, unsigned access,
             uint32_t slots, bool probe, va_xout *o, vmaccel_smmu_fault *f)
{
    *o = (va_xout){.pa = iova, .shift = 12, .perms = 0x3f, .global = false};
    f->input_addr = iova;
    int rc = 0;
    if (x->s1) {
        rc = stage1(s, x, iova, access, slots, probe, o, f);
    } else if (iova >> VA_SMMU_OAS) {
        /* Stage 1 bypassed: an input beyond the IAS (= OAS here) is a
         * stage 1 Address Size fault (IHI 0070 3.4). */
        f->fault_class = EVT_CLASS_IN;
        va_fault_set(f, EVT_F_ADDR_SIZE, 1, 0);
        rc = VMACCEL_EFAULT;
    }
    unsigned s1p = access & VMACCEL_SMMU_PRIV ? o->perms : o->perms >> 3;
    /* A probe goes on to stage 2 with what stage 1 grants, if anything. */
    unsigned need = probe ? va_need(access) & s1p : va_need(access);
    if (!rc && x->s2 && probe && !need) {
        o->perms = 0; /* stage 1 granted nothing: no stage-2 translation */
    } else if (!rc && x->s2) {
        uint64_t pa;
        uint8_t shift;
        unsigned perms;
        o->walks++;
        rc = va_s2_xlate(s, &x->s2c, o->pa, need | (probe ? VA_XLATE_PROBE : 0),
                         EVT_CLASS_IN, slots == VA_NIL ? VA_NIL : slots >> 16, &pa,
                         &shift, &perms, f);
        if (!rc) {
            o->pa = pa;
            if (!x->s1 || shift < o->shift)
                o->shift = shift;
            o->perms &= perms;
        }
    }
    if (rc)
        f->input_addr = iova;
    return rc;
}
