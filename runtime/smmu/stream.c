/*
 * Streams: the SID directory, and resolving (StreamID, SubstreamID) to a
 * translation context through the guest's stream table and CD tables
 * (linear and 2-level), caching the decoded STE and CDs until a CMD_CFGI_*
 * says otherwise (the spec's configuration cache).
 */
#include "smmu/smmu_model.h"

#include "core/aligned.h"
#include "smmu/smmu_spec.h"
#include "smmu/walk.h"
#include "smmu/xlate.h"

#include <stdlib.h>
#include <string.h>

va_stream *va_smmu_stream_get(vmaccel_smmu *s, uint32_t sid)
{
    va_stream *st = va_smmu_stream_peek(s, sid);
    if (st || sid >> VA_SMMU_SID_BITS)
        return st;
    _Atomic(va_stream *) *chunk = atomic_load_explicit(&s->dir[sid >> 8], memory_order_relaxed);
    if (!chunk) {
        chunk = calloc(256, sizeof *chunk);
        if (!chunk)
            return NULL;
        atomic_store_explicit(&s->dir[sid >> 8], chunk, memory_order_release);
    }
    if (s->nstreams == s->list_cap) {
        uint32_t n = s->list_cap ? 2 * s->list_cap : 16;
        va_stream **l = realloc(s->list, n * sizeof *l);
        if (!l)
            return NULL;
        s->list = l;
        s->list_cap = n;
    }
    st = va_aligned_alloc(_Alignof(va_stream), sizeof *st);
    if (st)
        memset(st, 0, sizeof *st);
    if (!st || va_iotlb_add_part(&s->tlb, s->nstreams)) {
        va_aligned_free(st);
        return NULL;
    }
    st->sid = sid;
    st->part = s->nstreams;
    s->list[s->nstreams++] = st;
    atomic_store_explicit(&chunk[sid & 0xff], st, memory_order_release);
    return st;
}

void va_smmu_stream_forget(vmaccel_smmu *s, va_stream *st, bool ste_too)
{
    (void)s;
    for (unsigned w = 0; w < VA_CTX_WAYS; w++) {
        if (!st->host)
            st->ctx[w].valid = false; /* host contexts are not a cache */
        atomic_store_explicit(&st->fast[w].tag, 0, memory_order_relaxed);
    }
    if (ste_too && !st->host)
        st->ste_valid = false;
}

static int cfg_fault(vmaccel_smmu_fault *f, unsigned event)
{
    va_fault_set(f, event, 0, -1);
    return VMACCEL_EFAULT;
}

static int fetch_fault(vmaccel_smmu_fault *f, unsigned event, uint64_t addr)
{
    f->fetch_addr = addr;
    return cfg_fault(f, event);
}

/* Finds and reads the STE of `sid` (linear or 2-level stream table). */
static int ste_fetch(vmaccel_smmu *s, uint32_t sid, uint64_t d[8],
                     vmaccel_smmu_fault *f)
{
    uint64_t base = s->regs.strtab_base & STRTAB_BASE_ADDR;
    uint32_t cfg = s->regs.strtab_cfg;
    unsigned log2 = (unsigned)STRTAB_CFG_LOG2SIZE(cfg);
    if (log2 > VA_SMMU_SID_BITS)
        log2 = VA_SMMU_SID_BITS; /* capped at IDR1.SIDSIZE */
    if ((uint64_t)sid >> log2)
        return cfg_fault(f, EVT_C_BAD_STREAMID);
    uint64_t addr;
    switch (STRTAB_CFG_FMT(cfg)) {
    case 0:
        addr = base + (uint64_t)sid * 64;
        break;
    case 1: {
        unsigned split = (unsigned)STRTAB_CFG_SPLIT(cfg);
        if (split != 6 && split != 8 && split != 10)
            return cfg_fault(f, EVT_C_BAD_STREAMID); /* reserved SPLIT */
        uint64_t l1a = base + (uint64_t)(sid >> split) * 8, l1;
        if (va_mem_read64(s, l1a, &l1))
            return fetch_fault(f, EVT_F_STE_FETCH, l1a);
        unsigned span = (unsigned)L1STD_SPAN(l1);
        uint32_t low = sid & ((1u << split) - 1);
        /* Span 0: no L2 table; above SPLIT+1: reserved. */
        if (!span || span > split + 1 || (low >> (span - 1)))
            return cfg_fault(f, EVT_C_BAD_STREAMID);
        addr = L1STD_L2PTR(l1) + (uint64_t)low * 64;
        break;
    }
    default:
        return cfg_fault(f, EVT_C_BAD_STREAMID); /* reserved FMT */
    }
    if (va_mem_read_dwords(s, addr, d, 8))
        return fetch_fault(f, EVT_F_STE_FETCH, addr);
    return 0;
}

/* Reads `n` dwords at a context-table address, an IPA when stage 2 is on. */
static int cd_read(vmaccel_smmu *s, const va_ste *ste, uint64_t addr,
                   uint64_t *d, unsigned n, vmaccel_smmu_fault *f)
{
    uint64_t pa = addr;
    if (ste->s2) {
        uint8_t shift;
        unsigned perms;
        if (va_s2_xlate(s, &ste->s2c, addr, 1u, EVT_CLASS_CD, VA_NIL, &pa, &shift,
                        &perms, f))
            return VMACCEL_EFAULT;
    }
    if (va_mem_read_dwords(s, pa, d, n))
        return fetch_fault(f, EVT_F_CD_FETCH, pa);
    return 0;
}

/* Finds and reads the CD for `ssid` (VA_SSID_NONE: the stream's default). */
static int cd_fetch(vmaccel_smmu *s, const va_ste *ste, uint32_t ssid,
                    uint64_t d[8], vmaccel_smmu_fault *f)
{
    uint64_t addr = ste->ctxptr;
    if (ste->cdmax) {
        if (ssid >> ste->cdmax)
            return cfg_fault(f, EVT_C_BAD_SUBSTREAMID);
        if (ste->s1fmt == 0) {
            addr += (uint64_t)ssid * 64;
        } else {
            unsigned split = ste->s1fmt == 1 ? 6 : 10; /* 4KB or 64KB leaves */
            uint64_t l1;
            int rc = cd_read(s, ste, addr + (uint64_t)(ssid >> split) * 8, &l1, 1, f);
            if (rc)
                return rc;
            if (!L1CD_V(l1))
                return cfg_fault(f, EVT_C_BAD_SUBSTREAMID);
            addr = L1CD_L2PTR(l1) + (uint64_t)(ssid & ((1u << split) - 1)) * 64;
        }
    }
    return cd_read(s, ste, addr, d, 8, f);
}

static void set_tags(va_xcfg *x, const va_ste *ste, bool e2h)
{
    bool el2 = ste->s1 && ste->strw == STRW_EL2;
    x->vmid_tag = el2 ? VA_VMID_EL2 : ste->vmid;
    x->asid_tag = x->s1 && !(el2 && !e2h) ? x->s1c.asid : VA_ASID_NONE;
}

/* Builds the context for `ssid` of a guest stream whose STE is cached. */
static int guest_ctx(vmaccel_smmu *s, va_stream *st, uint32_t ssid,
                     va_route *route, va_xcfg *x, vmaccel_smmu_fault *f)
{
    const va_ste *ste = &st->ste;
    bool e2h = s->regs.cr2 & CR2_E2H;
    *x = (va_xcfg){.s2 = ste->s2, .s2c = ste->s2c};
    *route = VA_ROUTE_XLATE;
    if (!ste->s1) {
        if (ssid != VA_SSID_NONE)
            return cfg_fault(f, EVT_C_BAD_SUBSTREAMID);
        set_tags(x, ste, e2h);
        return 0;
    }
    uint32_t cd_ssid = ssid;
    if (!ste->cdmax && ssid != VA_SSID_NONE)
        return cfg_fault(f, EVT_C_BAD_SUBSTREAMID); /* substreams disabled */
    if (ste->cdmax && ssid == VA_SSID_NONE) {
        switch (ste->s1dss) { /* S1DSS: transactions without a SubstreamID */
        case 0:
            return cfg_fault(f, EVT_F_STREAM_DISABLED);
        case 1:
            set_tags(x, ste, e2h); /* stage 1 bypassed */
            return 0;
        default:
            cd_ssid = 0;
        }
    } else if (ste->cdmax && ste->s1dss == 2 && ssid == 0) {
        /* Substream 0 serves transactions without one: SSID 0 is refused. */
        return cfg_fault(f, EVT_F_STREAM_DISABLED);
    }
    uint64_t d[8];
    int rc = cd_fetch(s, ste, cd_ssid == VA_SSID_NONE ? 0 : cd_ssid, d, f);
    if (rc)
        return rc;
    if (va_cd_decode(d, ste->strw, e2h, ste->s1stalld, &x->s1c))
        return cfg_fault(f, EVT_C_BAD_CD);
    x->s1 = true;
    set_tags(x, ste, e2h);
    return 0;
}

int va_smmu_ste_load(vmaccel_smmu *s, va_stream *st, vmaccel_smmu_fault *f)
{
    if (st->ste_valid)
        return 0; /* cached, or attached by the host */
    uint64_t d[8];
    int rc = ste_fetch(s, st->sid, d, f);
    if (rc)
        return rc;
    if (va_ste_decode(d, &st->ste))
        return cfg_fault(f, EVT_C_BAD_STE);
    st->ste_valid = true;
    return 0;
}

int va_smmu_resolve(vmaccel_smmu *s, va_stream *st, uint32_t ssid,
                    va_route *route, va_ctx **ctx, vmaccel_smmu_fault *f)
{
    va_ctx *c = &st->ctx[va_ctx_way(ssid)];
    if (c->valid && c->ssid == ssid) {
        *ctx = c;
        *route = VA_ROUTE_XLATE;
        return 0;
    }
    if (st->host) {
        /* Host attachments have one context and no substreams. */
        if (ssid != VA_SSID_NONE)
            return cfg_fault(f, EVT_C_BAD_SUBSTREAMID);
        *route = st->ste.config == STE_CFG_ABORT ? VA_ROUTE_ABORT : VA_ROUTE_BYPASS;
        return 0; /* host translating contexts are always cached */
    }
    int rc = va_smmu_ste_load(s, st, f);
    if (rc)
        return rc;
    if (st->ste.config == STE_CFG_ABORT) {
        *route = VA_ROUTE_ABORT;
        return 0;
    }
    if (st->ste.config == STE_CFG_BYPASS) {
        *route = VA_ROUTE_BYPASS;
        return 0;
    }
    va_xcfg x;
    rc = guest_ctx(s, st, ssid, route, &x, f);
    if (rc)
        return rc;
    c->ssid = ssid;
    c->x = x;
    c->valid = true;
    atomic_store_explicit(&st->fast[va_ctx_way(ssid)].tag, 0, memory_order_relaxed);
    *ctx = c;
    return 0;
}
