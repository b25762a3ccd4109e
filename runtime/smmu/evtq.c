/*
 * The event queue (written to guest memory as the spec's 32-byte records,
 * overflow flagged through EVENTQ_PROD.OVFLG instead of silently dropped;
 * stall records are never dropped, see stall.c), global errors and
 * interrupts (wired through the host callback, and MSIs
 * written to guest memory when an IRQ_CFG0 address is programmed).
 */
#include "smmu/smmu_model.h"

#include "smmu/queue.h"
#include "smmu/smmu_spec.h"
#include "smmu/xlate.h"

static void msi(vmaccel_smmu *s, uint64_t cfg0, uint32_t data, uint32_t err)
{
    uint64_t addr = cfg0 & VA_MASK(51, 2);
    if (!addr)
        return;
    uint8_t b[4] = {(uint8_t)data, (uint8_t)(data >> 8), (uint8_t)(data >> 16),
                    (uint8_t)(data >> 24)};
    if (!s->have_mem || !s->mem.write || s->mem.write(s->mem.ctx, addr, b, 4))
        if (err)
            va_smmu_gerror(s, err);
}

void va_smmu_irq(vmaccel_smmu *s, vmaccel_smmu_irq irq)
{
    if (irq == VMACCEL_SMMU_IRQ_EVENTQ) {
        if (!(s->regs.irq_ctrl & IRQ_CTRL_EVENTQ))
            return;
        msi(s, s->regs.evtq_irq_cfg0, s->regs.evtq_irq_cfg1, GERROR_MSI_EVTQ_ABT);
    } else if (irq == VMACCEL_SMMU_IRQ_PRIQ) {
        if (!(s->regs.irq_ctrl & IRQ_CTRL_PRIQ))
            return;
        msi(s, s->regs.priq_irq_cfg0, s->regs.priq_irq_cfg1, GERROR_MSI_PRIQ_ABT);
    } else if (irq == VMACCEL_SMMU_IRQ_GERROR) {
        if (!(s->regs.irq_ctrl & IRQ_CTRL_GERROR))
            return;
        /* An MSI abort of the GERROR interrupt itself is latched only. */
        uint64_t addr = s->regs.gerror_irq_cfg0 & VA_MASK(51, 2);
        if (addr) {
            uint32_t d = s->regs.gerror_irq_cfg1;
            uint8_t b[4] = {(uint8_t)d, (uint8_t)(d >> 8), (uint8_t)(d >> 16),
                            (uint8_t)(d >> 24)};
            if (!s->have_mem || !s->mem.write || s->mem.write(s->mem.ctx, addr, b, 4))
                if (!((s->regs.gerror ^ s->regs.gerrorn) & GERROR_MSI_GERROR_ABT))
                    s->regs.gerror ^= GERROR_MSI_GERROR_ABT;
        }
    }
    if (s->mem.irq)
        s->mem.irq(s->mem.ctx, irq);
}

void va_smmu_gerror(vmaccel_smmu *s, uint32_t bit)
{
    /* An error is active while GERROR and GERRORN differ in its bit. */
    if ((s->regs.gerror ^ s->regs.gerrorn) & bit)
        return;
    s->regs.gerror ^= bit;
    va_smmu_irq(s, VMACCEL_SMMU_IRQ_GERROR);
}

/* Access attributes of a translation-related record (dword 1). */
static uint64_t attrs(unsigned access)
{
    bool read = !(access & VMACCEL_SMMU_WRITE);
    uint64_t w = read ? EVT1_RNW : 0;
    if (access & VMACCEL_SMMU_PRIV)
        w |= EVT1_PNU;
    if ((access & VMACCEL_SMMU_EXEC) && read)
        w |= EVT1_IND; /* InD == 0 when RnW == 0 */
    return w;
}

/* An event record (IHI 0070 7.3): dword 0 type, SSV, SubstreamID,
 * StreamID; translation-related events add PnU/InD/RnW/S2/CLASS in dword 1,
 * InputAddr in dword 2 and the IPA or fetch address in dword 3. */
void va_smmu_event_fill(vmaccel_smmu *s, uint64_t r[4], uint32_t sid, uint32_t ssid,
                        unsigned access, const vmaccel_smmu_fault *f)
{
    bool ssv = ssid != VA_SSID_NONE;
    r[0] = f->event | (uint64_t)sid << 32;
    r[1] = r[2] = r[3] = 0;
    switch (f->event) {
    case EVT_C_BAD_SUBSTREAMID:
        /* SubstreamID always valid here, no SSV bit; 0 for none. */
        r[0] |= (uint64_t)(ssv ? ssid & 0xfffff : 0) << 12;
        return;
    case EVT_F_STREAM_DISABLED:
        return; /* StreamID only */
    case EVT_F_STE_FETCH:
    case EVT_F_CD_FETCH:
        r[3] = f->fetch_addr & VA_MASK(51, 3);
        break;
    case EVT_F_TRANSL_FORBIDDEN:
        r[1] = attrs(access) & EVT1_RNW;
        r[2] = f->input_addr;
        break;
    case EVT_F_WALK_EABT:
    case EVT_F_TRANSLATION:
    case EVT_F_ADDR_SIZE:
    case EVT_F_ACCESS:
    case EVT_F_PERMISSION:
        r[1] = attrs(access);
        if (f->stage == 2)
            r[1] |= EVT1_S2;
        r[1] |= (uint64_t)(f->fault_class & 3) << EVT1_CLASS_SHIFT;
        /* TTRnW: which descriptor access a stage-2 Permission fault of a
         * stage-1 walk came from (an HTTU update writes). */
        if (f->event == EVT_F_PERMISSION && f->fault_class == EVT_CLASS_TT &&
            !s->fault_tt_write)
            r[1] |= EVT1_TTRNW;
        r[2] = f->input_addr;
        if (f->event == EVT_F_WALK_EABT)
            r[3] = f->fetch_addr & VA_MASK(51, 3);
        else if (f->stage == 2)
            r[3] = f->ipa & VA_MASK(51, 12);
        break;
    default:
        break;
    }
    if (ssv)
        r[0] |= 1ull << 11 | (uint64_t)(ssid & 0xfffff) << 12;
}

int va_smmu_event_put(vmaccel_smmu *s, const uint64_t r[4], bool stall)
{
    va_regs *g = &s->regs;
    /* Writable: enabled, not full, no unacknowledged EVENTQ_ABT_ERR. */
    if (!(g->cr0 & CR0_EVENTQEN) || ((g->gerror ^ g->gerrorn) & GERROR_EVTQ_ABT_ERR))
        return -1;
    va_queue q = va_queue_of(g->evtq_base, VA_SMMU_EVTQ_BITS);
    if (va_queue_full(&q, g->evtq_prod, g->evtq_cons)) {
        /* Full: the record is lost and the overflow flagged (OVFLG made
         * to differ from CONS.OVACKFLG) until software acknowledges. A
         * stall's record is never lost: the stall waits (7.2.1). */
        if (stall)
            return -1;
        s->events_lost++;
        if ((g->evtq_prod & Q_OVFLG) == (g->evtq_cons & Q_OVFLG))
            g->evtq_prod ^= Q_OVFLG;
        return -1;
    }
    if (va_mem_write_dwords(s, va_queue_slot(&q, g->evtq_prod, 32), r, 4)) {
        va_smmu_gerror(s, GERROR_EVTQ_ABT_ERR);
        return -1;
    }
    s->events_written++;
    g->evtq_prod = va_queue_next(&q, g->evtq_prod & (Q_OVFLG | q.wrapmask));
    va_smmu_irq(s, VMACCEL_SMMU_IRQ_EVENTQ);
    return 0;
}

void va_smmu_event(vmaccel_smmu *s, uint32_t sid, uint32_t ssid,
                   unsigned access, const vmaccel_smmu_fault *f)
{
    uint64_t r[4];
    va_smmu_event_fill(s, r, sid, ssid, access, f);
    (void)va_smmu_event_put(s, r, false);
}
