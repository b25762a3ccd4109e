/*
 * The register front end (SMMUv3 section 6). The ID registers say exactly
 * what the model implements: AArch64 stage 1 and stage 2 with nesting,
 * 4K/16K/64K granules, 48-bit OAS, 16-bit SIDs (linear and 2-level stream
 * tables), 20-bit SSIDs with 2-level CD tables, 16-bit ASIDs and VMIDs,
 * EL2 streams (HYP), MSIs, range invalidation (RIL), HAD, HTTU of the
 * Access flag and dirty state, the Stall and Terminate models (abort only),
 * ATS (full, not split-stage) and PRI; no Secure state, ATOS or 52-bit
 * addresses.
 *
 * Enables take effect at once (CR0ACK follows CR0, IRQ_CTRLACK follows
 * IRQ_CTRL, GBPA.Update completes immediately).
 */
#include "smmu/smmu_model.h"

#include "core/error.h"
#include "smmu/smmu_spec.h"

static uint32_t idr(unsigned n)
{
    switch (n) {
    case 0:
        return IDR0_S2P | IDR0_S1P | IDR0_TTF_AARCH64 | IDR0_COHACC |
               IDR0_HTTU_AF_DIRTY | IDR0_HYP | IDR0_ATS | IDR0_NS1ATS |
               IDR0_ASID16 | IDR0_MSI | IDR0_PRI | IDR0_VMID16 | IDR0_CD2L |
               IDR0_TTENDIAN_LE | IDR0_STALL_BOTH | IDR0_TERM_MODEL |
               IDR0_ST_LEVEL_2LVL;
    case 1:
        return VA_SMMU_SID_BITS << IDR1_SIDSIZE_SHIFT |
               VA_SMMU_SSID_BITS << IDR1_SSIDSIZE_SHIFT |
               VA_SMMU_PRIQ_BITS << IDR1_PRIQS_SHIFT |
               VA_SMMU_EVTQ_BITS << IDR1_EVENTQS_SHIFT |
               VA_SMMU_CMDQ_BITS << IDR1_CMDQS_SHIFT;
    case 3:
        return IDR3_HAD | IDR3_PPS | IDR3_RIL;
    case 5:
        return VA_STALL_SLOTS << IDR5_STALL_MAX_SHIFT | IDR5_OAS_48 |
               IDR5_GRAN4K | IDR5_GRAN16K | IDR5_GRAN64K;
    default:
        return 0;
    }
}

/* 64-bit registers, addressable as a whole or as two 32-bit halves. */
static uint64_t *reg64(vmaccel_smmu *s, uint64_t off)
{
    switch (off) {
    case SMMU_GERROR_IRQ_CFG0: return &s->regs.gerror_irq_cfg0;
    case SMMU_STRTAB_BASE: return &s->regs.strtab_base;
    case SMMU_CMDQ_BASE: return &s->regs.cmdq_base;
    case SMMU_EVENTQ_BASE: return &s->regs.evtq_base;
    case SMMU_EVENTQ_IRQ_CFG0: return &s->regs.evtq_irq_cfg0;
    case SMMU_PRIQ_BASE: return &s->regs.priq_base;
    case SMMU_PRIQ_IRQ_CFG0: return &s->regs.priq_irq_cfg0;
    default: return NULL;
    }
}

static uint32_t read32(vmaccel_smmu *s, uint64_t off)
{
    const va_regs *g = &s->regs;
    if (off <= SMMU_IDR5)
        return idr((unsigned)off / 4);
    switch (off) {
    case SMMU_AIDR: return 0x02; /* SMMUv3.2 (range invalidation) */
    case SMMU_CR0: case SMMU_CR0ACK: return g->cr0;
    case SMMU_CR1: return g->cr1;
    case SMMU_CR2: return g->cr2;
    case SMMU_GBPA: return g->gbpa;
    case SMMU_IRQ_CTRL: case SMMU_IRQ_CTRLACK: return g->irq_ctrl;
    case SMMU_GERROR: return g->gerror;
    case SMMU_GERRORN: return g->gerrorn;
    case SMMU_GERROR_IRQ_CFG1: return g->gerror_irq_cfg1;
    case SMMU_GERROR_IRQ_CFG2: return g->gerror_irq_cfg2;
    case SMMU_STRTAB_BASE_CFG: return g->strtab_cfg;
    case SMMU_CMDQ_PROD: return g->cmdq_prod;
    case SMMU_CMDQ_CONS: return g->cmdq_cons;
    case SMMU_EVENTQ_IRQ_CFG1: return g->evtq_irq_cfg1;
    case SMMU_EVENTQ_IRQ_CFG2: return g->evtq_irq_cfg2;
    case SMMU_EVENTQ_PROD: return g->evtq_prod;
    case SMMU_EVENTQ_CONS: return g->evtq_cons;
    case SMMU_PRIQ_IRQ_CFG1: return g->priq_irq_cfg1;
    case SMMU_PRIQ_IRQ_CFG2: return g->priq_irq_cfg2;
    case SMMU_PRIQ_PROD: return g->priq_prod;
    case SMMU_PRIQ_CONS: return g->priq_cons;
    default: break;
    }
    uint64_t *r = reg64(s, off & ~7ull);
    if (r)
        return (uint32_t)(*r >> (off & 4 ? 32 : 0));
    return 0; /* reserved and unimplemented registers read as zero */
}

/* Writable bits of the 64-bit registers, and whether a write is allowed
 * in the current state (bases are fixed while their unit is enabled). */
static uint64_t mask64(vmaccel_smmu *s, uint64_t off)
{
    uint32_t cr0 = s->regs.cr0;
    switch (off) {
    case SMMU_GERROR_IRQ_CFG0:
    case SMMU_EVENTQ_IRQ_CFG0:
    case SMMU_PRIQ_IRQ_CFG0:
        return VA_MASK(51, 2);
    case SMMU_STRTAB_BASE:
        return cr0 & CR0_SMMUEN ? 0 : STRTAB_BASE_RA | STRTAB_BASE_ADDR;
    case SMMU_CMDQ_BASE:
        return cr0 & CR0_CMDQEN ? 0 : Q_BASE_ALLOC | Q_BASE_ADDR | VA_MASK(4, 0);
    case SMMU_EVENTQ_BASE:
        return cr0 & CR0_EVENTQEN ? 0 : Q_BASE_ALLOC | Q_BASE_ADDR | VA_MASK(4, 0);
    case SMMU_PRIQ_BASE: /* Guarded by the actual PRIQEN, not the effective */
        return cr0 & CR0_PRIQEN ? 0 : Q_BASE_ALLOC | Q_BASE_ADDR | VA_MASK(4, 0);
    default:
        return 0;
    }
}

static void write_cr0(vmaccel_smmu *s, uint32_t v)
{
    uint32_t old = s->regs.cr0;
    s->regs.cr0 = v & (CR0_SMMUEN | CR0_PRIQEN | CR0_EVENTQEN | CR0_CMDQEN | CR0_ATSCHK);
    uint32_t on = ~old & s->regs.cr0, off = old & ~s->regs.cr0;
    if ((on | off) & CR0_SMMUEN)
        va_smmu_stale_all(s, true);
    if (off & CR0_SMMUEN)
        va_stall_abort_all(s); /* stalled transactions terminate (6.3.9.6) */
    if (on & CR0_EVENTQEN)
        va_stall_flush(s);
    if (on & CR0_CMDQEN)
        va_smmu_cmdq_run(s);
}

static void write32(vmaccel_smmu *s, uint64_t off, uint32_t v)
{
    va_regs *g = &s->regs;
    switch (off) {
    case SMMU_CR0: write_cr0(s, v); return;
    case SMMU_CR1: g->cr1 = v & 0xfff; return;
    case SMMU_CR2:
        if ((g->cr2 ^ v) & CR2_E2H)
            va_smmu_stale_all(s, false);
        g->cr2 = v & (CR2_E2H | CR2_RECINVSID | CR2_PTM);
        return;
    case SMMU_GBPA:
        if (v & GBPA_UPDATE) /* the update completes at once: Update reads 0 */
            g->gbpa = v & 0x001fff3fu & ~GBPA_UPDATE;
        return;
    case SMMU_IRQ_CTRL:
        g->irq_ctrl = v & (IRQ_CTRL_GERROR | IRQ_CTRL_PRIQ | IRQ_CTRL_EVENTQ);
        return;
    case SMMU_GERRORN: {
        uint32_t was = g->gerror ^ g->gerrorn;
        g->gerrorn = v & 0x1fdu;
        uint32_t acked = was & ~(g->gerror ^ g->gerrorn);
        if (acked & GERROR_EVTQ_ABT_ERR)
            va_stall_flush(s); /* the event queue is writable again */
        if (acked & GERROR_CMDQ_ERR)
            va_smmu_cmdq_run(s); /* acknowledged: the queue may go on */
        return;
    }
    case SMMU_GERROR_IRQ_CFG1: g->gerror_irq_cfg1 = v; return;
    case SMMU_GERROR_IRQ_CFG2: g->gerror_irq_cfg2 = v & 0x3f; return;
    case SMMU_STRTAB_BASE_CFG:
        if (!(g->cr0 & CR0_SMMUEN))
            g->strtab_cfg = v & (uint32_t)(VA_MASK(17, 16) | VA_MASK(10, 0));
        return;
    case SMMU_CMDQ_PROD:
        g->cmdq_prod = v & Q_IDX_MASK;
        va_smmu_cmdq_run(s);
        return;
    case SMMU_CMDQ_CONS:
        if (!(g->cr0 & CR0_CMDQEN)) /* software sets CONS while disabled */
            g->cmdq_cons = v & (Q_IDX_MASK | 0x7fu << CMDQ_CONS_ERR_SHIFT);
        return;
    case SMMU_EVENTQ_IRQ_CFG1: g->evtq_irq_cfg1 = v; return;
    case SMMU_EVENTQ_IRQ_CFG2: g->evtq_irq_cfg2 = v & 0x3f; return;
    case SMMU_EVENTQ_PROD:
        if (!(g->cr0 & CR0_EVENTQEN))
            g->evtq_prod = v & (Q_IDX_MASK | Q_OVFLG);
        return;
    case SMMU_EVENTQ_CONS:
        g->evtq_cons = v & (Q_IDX_MASK | Q_OVFLG);
        va_stall_flush(s); /* space for records that had none */
        return;
    case SMMU_PRIQ_IRQ_CFG1: g->priq_irq_cfg1 = v; return;
    case SMMU_PRIQ_IRQ_CFG2: g->priq_irq_cfg2 = v & (PRIQ_IRQ_CFG2_LO | 0x3f); return;
    case SMMU_PRIQ_PROD:
        if (!(g->cr0 & CR0_PRIQEN))
            g->priq_prod = v & (Q_IDX_MASK | Q_OVFLG);
        return;
    case SMMU_PRIQ_CONS: g->priq_cons = v & (Q_IDX_MASK | Q_OVFLG); return;
    default: break;
    }
    uint64_t *r = reg64(s, off & ~7ull);
    if (!r)
        return; /* RO, reserved or unimplemented: ignored */
    uint64_t m = mask64(s, off & ~7ull);
    unsigned sh = off & 4 ? 32 : 0;
    uint64_t half = 0xffffffffull << sh;
    *r = (*r & ~(m & half)) | (((uint64_t)v << sh) & m & half);
    if ((off & ~7ull) == SMMU_STRTAB_BASE && m)
        va_smmu_stale_all(s, true);
}

static int check(vmaccel_smmu *s, uint64_t off, unsigned size)
{
    int rc = va_handle_check(s, VA_HANDLE_SMMU, "SMMU");
    if (rc)
        return rc;
    if (size != 4 && size != 8)
        return va_fail(VMACCEL_EINVAL, "SMMU register access of %u bytes", size);
    if (off >= SMMU_REG_SPACE || off % size)
        return va_fail(VMACCEL_EINVAL, "SMMU register offset 0x%llx (size %u) "
                       "outside the register space or unaligned",
                       (unsigned long long)off, size);
    if (size == 8 && !reg64(s, off))
        return va_fail(VMACCEL_EINVAL, "SMMU register 0x%llx is not 64-bit",
                       (unsigned long long)off);
    return 0;
}

VMACCEL_API int vmaccel_smmu_mmio_read(vmaccel_smmu *smmu, uint64_t offset,
                                       unsigned size, uint64_t *value)
{
    int rc = check(smmu, offset, size);
    if (rc)
        return rc;
    if (!value)
        return va_fail(VMACCEL_EINVAL, "vmaccel_smmu_mmio_read: value is NULL");
    pthread_mutex_lock(&smmu->lock);
    if (size == 8)
        *value = *reg64(smmu, offset);
    else
        *value = read32(smmu, offset);
    pthread_mutex_unlock(&smmu->lock);
    return 0;
}

VMACCEL_API int vmaccel_smmu_mmio_write(vmaccel_smmu *smmu, uint64_t offset,
                                        unsigned size, uint64_t value)
{
    int rc = check(smmu, offset, size);
    if (rc)
        return rc;
    pthread_mutex_lock(&smmu->lock);
    va_smmu_write_begin(smmu);
    if (size == 8) {
        write32(smmu, offset, (uint32_t)value);
        write32(smmu, offset + 4, (uint32_t)(value >> 32));
    } else {
        write32(smmu, offset, (uint32_t)value);
    }
    va_smmu_write_end(smmu);
    pthread_mutex_unlock(&smmu->lock);
    return 0;
}
