/*
 * The PRI queue (IHI 0070 chapter 8): PCIe Page Requests (PPRs) from
 * endpoints become 16-byte records in the guest's PRI queue, and the
 * guest answers page request groups with CMD_PRI_RESP.
 *
 * The queue has its own overflow rules, unlike the event queue's: while an
 * overflow is active (PRIQ_PROD.OVFLG != PRIQ_CONS.OVACKFLG) nothing is
 * written; PPRs are discarded, and one with Last == 1 gets an automatic
 * Success response so the endpoint retries later (8.1). With the queue off
 * (PRIQEN == 0, or SMMUEN == 0) or an unacknowledged PRIQ_ABT_ERR, every
 * PPR is discarded with an automatic Failure response (8.2). Stop PASID
 * markers never get a response.
 */
#include "smmu/smmu_model.h"

#include "core/error.h"
#include "smmu/queue.h"
#include "smmu/smmu_spec.h"
#include "smmu/xlate.h"

typedef struct ppr {
    uint32_t sid, ssid;   /* ssid: VA_SSID_NONE without a PASID */
    uint64_t addr;
    unsigned access, prgi;
    bool last, stop;
} ppr;

static void respond(vmaccel_smmu *s, uint32_t sid, uint32_t ssid, unsigned prgi,
                    unsigned code, bool automatic)
{
    if (!s->ep.prg_response)
        return;
    vmaccel_smmu_prg_response r = {
        .sid = sid,
        .ssid = ssid == VA_SSID_NONE ? VMACCEL_SMMU_NO_SSID : ssid,
        .prg_index = prgi,
        .code = (vmaccel_smmu_prg_code)code,
        .automatic = automatic,
    };
    s->ep.prg_response(s->ep.ctx, &r);
}

/* The automatic response to a discarded PPR: none for Stop markers; on
 * overflow, Success for Last == 1 with its PASID (IDR3.PPS == 1); Failure
 * without a PASID otherwise (8.2). */
static void auto_respond(vmaccel_smmu *s, const ppr *p, bool overflow)
{
    if (p->stop)
        return;
    if (overflow) {
        if (p->last)
            respond(s, p->sid, p->ssid, p->prgi, PRG_SUCCESS, true);
        return;
    }
    respond(s, p->sid, VA_SSID_NONE, p->prgi, PRG_FAILURE, true);
}

static void record(const ppr *p, uint64_t r[2])
{
    bool ssv = p->ssid != VA_SSID_NONE;
    r[0] = p->sid;
    if (ssv) {
        r[0] |= PRIQ0_SSV | (uint64_t)p->ssid << PRIQ0_SSID_SHIFT;
        /* X and Priv are 0 without a PASID. */
        if (p->access & VMACCEL_SMMU_PRIV)
            r[0] |= PRIQ0_PRIV;
        if (p->access & VMACCEL_SMMU_EXEC)
            r[0] |= PRIQ0_EXEC;
    }
    if (p->last)
        r[0] |= PRIQ0_LAST;
    if (!p->stop) { /* a Stop marker is L=1, W=0, R=0 */
        if (p->access & VMACCEL_SMMU_READ)
            r[0] |= PRIQ0_READ;
        if (p->access & VMACCEL_SMMU_WRITE)
            r[0] |= PRIQ0_WRITE;
    }
    r[1] = p->prgi | (p->addr & VA_MASK(63, 12));
}

static bool overflow_active(const va_regs *g)
{
    return (g->priq_prod & Q_OVFLG) != (g->priq_cons & Q_OVFLG);
}

/* PRIQ_IRQ_CFG2.LO: interrupt for every Last == 1 message (also one lost to
 * overflow), else when the queue goes from empty to non-empty. */
static void priq_irq(vmaccel_smmu *s, bool was_empty, const ppr *p)
{
    bool lo = s->regs.priq_irq_cfg2 & PRIQ_IRQ_CFG2_LO;
    if (lo ? p->last : was_empty)
        va_smmu_irq(s, VMACCEL_SMMU_IRQ_PRIQ);
}

static vmaccel_smmu_ppr_outcome enqueue(vmaccel_smmu *s, const ppr *p)
{
    va_regs *g = &s->regs;
    bool enabled = (g->cr0 & CR0_PRIQEN) && (g->cr0 & CR0_SMMUEN);
    if (!enabled || ((g->gerror ^ g->gerrorn) & GERROR_PRIQ_ABT_ERR)) {
        auto_respond(s, p, false);
        return VMACCEL_SMMU_PPR_DISABLED;
    }
    va_queue q = va_queue_of(g->priq_base, VA_SMMU_PRIQ_BITS);
    if (!overflow_active(g) && va_queue_full(&q, g->priq_prod, g->priq_cons))
        g->priq_prod ^= Q_OVFLG; /* this PPR makes the overflow active */
    if (overflow_active(g)) {
        auto_respond(s, p, true);
        if ((g->priq_irq_cfg2 & PRIQ_IRQ_CFG2_LO) && p->last)
            va_smmu_irq(s, VMACCEL_SMMU_IRQ_PRIQ);
        return VMACCEL_SMMU_PPR_OVERFLOW;
    }
    uint64_t r[2];
    record(p, r);
    if (va_mem_write_dwords(s, va_queue_slot(&q, g->priq_prod, 16), r, 2)) {
        /* A synchronous abort: Failure for this PPR (8.2). */
        va_smmu_gerror(s, GERROR_PRIQ_ABT_ERR);
        auto_respond(s, p, false);
        return VMACCEL_SMMU_PPR_ABORT;
    }
    bool was_empty = va_queue_empty(&q, g->priq_prod, g->priq_cons);
    g->priq_prod = va_queue_next(&q, g->priq_prod & (Q_OVFLG | q.wrapmask));
    priq_irq(s, was_empty, p);
    return VMACCEL_SMMU_PPR_QUEUED;
}

VMACCEL_API int vmaccel_smmu_page_request(vmaccel_smmu *smmu, uint32_t sid,
                                          uint32_t ssid, uint64_t addr,
                                          unsigned access, unsigned prg_index,
                                          unsigned flags,
                                          vmaccel_smmu_ppr_outcome *outcome)
{
    uint32_t ss;
    int rc = va_smmu_check_request(smmu, ssid, access, &ss);
    if (rc)
        return rc;
    if (flags & ~(VMACCEL_SMMU_PRI_LAST | VMACCEL_SMMU_PRI_STOP))
        return va_fail(VMACCEL_EINVAL, "page request flags 0x%x: unknown bits", flags);
    if (prg_index > 511)
        return va_fail(VMACCEL_EINVAL, "PRG index %u beyond 9 bits", prg_index);
    bool stop = flags & VMACCEL_SMMU_PRI_STOP;
    if (stop && ss == VA_SSID_NONE)
        return va_fail(VMACCEL_EINVAL, "a Stop PASID marker needs a PASID (ssid)");
    ppr p = {
        .sid = sid,
        .ssid = ss,
        .addr = addr,
        .access = access,
        .prgi = prg_index,
        .last = stop || (flags & VMACCEL_SMMU_PRI_LAST),
        .stop = stop,
    };
    pthread_mutex_lock(&smmu->lock);
    vmaccel_smmu_ppr_outcome o = enqueue(smmu, &p);
    pthread_mutex_unlock(&smmu->lock);
    if (outcome)
        *outcome = o;
    return 0;
}

int va_pri_cmd_resp(vmaccel_smmu *s, const uint64_t c[2])
{
    static const unsigned code[3] = {
        [PRI_RESP_FAILURE] = PRG_FAILURE,
        [PRI_RESP_INVALID] = PRG_INVALID_REQUEST,
        [PRI_RESP_SUCCESS] = PRG_SUCCESS,
    };
    unsigned resp = (unsigned)CMD_PRI_RESP_CODE(c);
    if (resp > PRI_RESP_SUCCESS)
        return CERROR_ILL; /* Resp 0b11 is Reserved: ILLEGAL */
    if (!(s->regs.cr0 & CR0_SMMUEN))
        return CERROR_NONE; /* IGNORED while SMMUEN == 0 */
    respond(s, (uint32_t)CMD_SID(c), CMD_SSV(c) ? (uint32_t)CMD_SSID(c) : VA_SSID_NONE,
            (unsigned)CMD_PRI_PRGI(c), code[resp], false);
    return CERROR_NONE;
}
