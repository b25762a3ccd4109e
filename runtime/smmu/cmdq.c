/*
 * The command queue: consumes 16-byte commands from CMDQ_CONS to CMDQ_PROD
 * in guest memory. An illegal command (unknown opcode, a feature this SMMU
 * does not have, CMD_SYNC with CS=0b11) or a fetch abort stops the queue
 * with CMDQ_CONS pointing at it, CMDQ_CONS.ERR set and GERROR.CMDQ_ERR
 * raised, until software acknowledges through GERRORN. A CMD_SYNC that
 * waits for ATS invalidations the endpoints have not completed stops the
 * queue at itself without an error; their completion runs it on.
 */
#include "smmu/smmu_model.h"

#include "smmu/queue.h"
#include "smmu/smmu_spec.h"
#include "smmu/xlate.h"

static void forget_sid_range(vmaccel_smmu *s, uint64_t first, uint64_t count,
                             bool ste_too)
{
    for (uint32_t i = 0; i < s->nstreams; i++) {
        va_stream *st = s->list[i];
        if (st->sid >= first && st->sid - first < count)
            va_smmu_stream_forget(s, st, ste_too);
    }
}

/* Address range of a TLBI *_VA / S2_IPA: one address when TG is 0, else
 * (NUM+1) * 2^SCALE granules (range invalidation, IDR3.RIL). */
static void tlbi_range(const uint64_t c[2], uint64_t *lo, uint64_t *len)
{
    uint64_t addr = CMD_TLBI_ADDR(c);
    unsigned tg = (unsigned)CMD_TLBI_TG(c);
    if (!tg) {
        *lo = addr;
        *len = 1;
        return;
    }
    unsigned g = tg == 1 ? 12 : tg == 2 ? 14 : 16;
    uint64_t pages = (CMD_TLBI_NUM(c) + 1) << CMD_TLBI_SCALE(c);
    *lo = addr & ~((1ull << g) - 1);
    *len = pages << g;
}

static void prefetch(vmaccel_smmu *s, const uint64_t c[2])
{
    uint32_t sid = (uint32_t)CMD_SID(c);
    if (!(s->regs.cr0 & CR0_SMMUEN) || sid >> VA_SMMU_SID_BITS)
        return; /* a hint: nothing to report */
    va_stream *st = va_smmu_stream_get(s, sid);
    if (!st || st->host)
        return;
    uint32_t ssid = CMD_SSV(c) ? (uint32_t)CMD_SSID(c) : VA_SSID_NONE;
    va_route route;
    va_ctx *ctx;
    vmaccel_smmu_fault f = {.level = -1};
    (void)va_smmu_resolve(s, st, ssid, &route, &ctx, &f);
}

static int sync(vmaccel_smmu *s, const uint64_t c[2], uint32_t index)
{
    unsigned cs = (unsigned)CMD_SYNC_CS(c);
    if (cs == 3)
        return CERROR_ILL; /* CS=0b11 is reserved */
    int atc = va_atc_sync(s);
    if (atc)
        return atc; /* waiting for the endpoints, or CERROR_ATC_INV_SYNC */
    if (cs == SYNC_CS_IRQ) {
        uint64_t addr = CMD_SYNC_MSIADDR(c);
        if (addr) {
            uint32_t d = (uint32_t)CMD_SYNC_MSIDATA(c);
            uint8_t b[4] = {(uint8_t)d, (uint8_t)(d >> 8), (uint8_t)(d >> 16),
                            (uint8_t)(d >> 24)};
            if (!s->have_mem || !s->mem.write || s->mem.write(s->mem.ctx, addr, b, 4))
                va_smmu_gerror(s, GERROR_MSI_CMDQ_ABT);
        }
        if (s->mem.irq)
            s->mem.irq(s->mem.ctx, VMACCEL_SMMU_IRQ_CMD_SYNC);
    }
    if (s->mem.sync)
        s->mem.sync(s->mem.ctx, index);
    return CERROR_NONE;
}

static int tlbi(vmaccel_smmu *s, unsigned op, const uint64_t c[2])
{
    uint32_t vmid = (uint32_t)CMD_TLBI_VMID(c), asid = (uint32_t)CMD_TLBI_ASID(c);
    uint64_t lo, len;
    /* TG=16K with TTL=0b01 needs IDR5.DS, which this SMMU does not have. */
    bool by_addr = op == CMD_TLBI_NH_VA || op == CMD_TLBI_NH_VAA ||
                   op == CMD_TLBI_EL2_VA || op == CMD_TLBI_EL2_VAA ||
                   op == CMD_TLBI_S2_IPA;
    if (by_addr && CMD_TLBI_TG(c) == 2 && CMD_TLBI_TTL(c) == 1)
        return CERROR_ILL;
    tlbi_range(c, &lo, &len);
    switch (op) {
    case CMD_TLBI_NH_ALL:
        va_smmu_tlbi_vmid(s, vmid); /* over-invalidates stage 2: allowed */
        break;
    case CMD_TLBI_NH_ASID:
        va_smmu_tlbi_asid(s, vmid, asid);
        break;
    case CMD_TLBI_NH_VA:
    case CMD_TLBI_NH_VAA:
        va_smmu_tlbi_va(s, vmid, asid, op == CMD_TLBI_NH_VAA, lo, len);
        break;
    case CMD_TLBI_EL2_ALL:
        va_smmu_tlbi_vmid(s, VA_VMID_EL2);
        break;
    case CMD_TLBI_EL2_ASID:
        va_smmu_tlbi_asid(s, VA_VMID_EL2, asid);
        break;
    case CMD_TLBI_EL2_VA:
    case CMD_TLBI_EL2_VAA:
        va_smmu_tlbi_va(s, VA_VMID_EL2, asid, op == CMD_TLBI_EL2_VAA, lo, len);
        break;
    case CMD_TLBI_S12_VMALL:
        va_smmu_tlbi_vmid(s, vmid);
        break;
    case CMD_TLBI_S2_IPA:
        va_smmu_tlbi_ipa(s, vmid, lo & VA_MASK(51, 0), len);
        break;
    case CMD_TLBI_NSNH_ALL:
        va_smmu_tlbi_all(s);
        break;
    default:
        return CERROR_ILL;
    }
    return CERROR_NONE;
}

static int execute(vmaccel_smmu *s, const uint64_t c[2], uint32_t index)
{
    unsigned op = (unsigned)CMD_OP(c);
    uint32_t sid = (uint32_t)CMD_SID(c);
    switch (op) {
    case CMD_PREFETCH_CONFIG:
    case CMD_PREFETCH_ADDR:
        prefetch(s, c);
        return CERROR_NONE;
    case CMD_CFGI_STE:
        forget_sid_range(s, sid, 1, true);
        return CERROR_NONE;
    case CMD_CFGI_STE_RANGE: {
        /* 2^(Range+1) StreamIDs aligned to their size; Range 31 is all. */
        unsigned range = (unsigned)CMD_STE_RANGE(c);
        uint64_t n = 1ull << (range + 1);
        forget_sid_range(s, sid & ~(n - 1), n, true);
        if (range == 31)
            atomic_fetch_add_explicit(&s->epoch, 1, memory_order_relaxed);
        return CERROR_NONE;
    }
    case CMD_CFGI_CD:
    case CMD_CFGI_CD_ALL:
        forget_sid_range(s, sid, 1, false);
        return CERROR_NONE;
    case CMD_SYNC:
        return sync(s, c, index);
    case CMD_ATC_INV:
        return va_atc_cmd_inv(s, c);
    case CMD_PRI_RESP:
        return va_pri_cmd_resp(s, c);
    case CMD_RESUME:
        va_stall_resume(s, sid, (uint32_t)CMD_RESUME_STAG(c), CMD_RESUME_RETRY(c));
        return CERROR_NONE;
    case CMD_STALL_TERM:
        va_stall_term_sid(s, sid);
        return CERROR_NONE;
    case CMD_TLBI_NH_ALL: case CMD_TLBI_NH_ASID: case CMD_TLBI_NH_VA:
    case CMD_TLBI_NH_VAA: case CMD_TLBI_EL2_ALL: case CMD_TLBI_EL2_ASID:
    case CMD_TLBI_EL2_VA: case CMD_TLBI_EL2_VAA: case CMD_TLBI_S12_VMALL:
    case CMD_TLBI_S2_IPA: case CMD_TLBI_NSNH_ALL:
        return tlbi(s, op, c);
    default:
        /* Unknown opcodes, and EL3 (no Secure state) and VMS commands
         * this SMMU does not implement. */
        return CERROR_ILL;
    }
}

void va_smmu_cmdq_run(vmaccel_smmu *s)
{
    va_regs *g = &s->regs;
    if (!(g->cr0 & CR0_CMDQEN) || ((g->gerror ^ g->gerrorn) & GERROR_CMDQ_ERR))
        return;
    va_queue q = va_queue_of(g->cmdq_base, VA_SMMU_CMDQ_BITS);
    /* At most one lap per doorbell, whatever PROD says. */
    for (uint32_t n = 0; n <= q.wrapmask; n++) {
        uint32_t cons = g->cmdq_cons & q.wrapmask;
        if (va_queue_empty(&q, g->cmdq_prod, cons))
            return;
        uint64_t c[2];
        int err = va_mem_read_dwords(s, va_queue_slot(&q, cons, 16), c, 2)
                      ? CERROR_ABT
                      : execute(s, c, cons);
        if (err == VA_CMD_WAIT)
            return; /* consumed later, when the endpoints answer */
        if (err) {
            g->cmdq_cons = cons | (uint32_t)err << CMDQ_CONS_ERR_SHIFT;
            va_smmu_gerror(s, GERROR_CMDQ_ERR);
            return;
        }
        g->cmdq_cons = va_queue_next(&q, cons);
    }
}
