/*
 * ATS invalidation (IHI 0070 4.5.1, 3.9.1.4): CMD_ATC_INV becomes an ATS
 * Invalidate Request delivered to the endpoint callback, which completes
 * it at once or later (vmaccel_smmu_atc_inv_done). A CMD_SYNC completes
 * only after every earlier invalidation has; one that failed (the
 * endpoint's timeout) makes that CMD_SYNC a CERROR_ATC_INV_SYNC, so that
 * software never believes a translation gone while an ATC may hold it.
 */
#include "smmu/smmu_model.h"

#include "core/error.h"
#include "smmu/smmu_spec.h"

#include <stdlib.h>

static void forget(va_atc *a, uint32_t i)
{
    a->pending[i] = a->pending[--a->npending];
}

static void add_pending(vmaccel_smmu *s, uint64_t id)
{
    va_atc *a = &s->atc;
    if (!a->pending)
        a->pending = malloc(VA_ATC_PENDING_MAX * sizeof *a->pending);
    if (!a->pending || a->npending == VA_ATC_PENDING_MAX) {
        a->failed = true; /* cannot track it: treat it as timed out */
        return;
    }
    a->pending[a->npending++] = id;
}

int va_atc_cmd_inv(vmaccel_smmu *s, const uint64_t c[2])
{
    unsigned size = (unsigned)CMD_ATC_SIZE(c);
    if (size > 52)
        return CERROR_ILL; /* a span beyond 2^64 bytes (permitted: 4.5.1) */
    /* IGNORED with SMMUEN == 0, or without ATS endpoints. */
    if (!(s->regs.cr0 & CR0_SMMUEN) || !s->ep.atc_inv)
        return CERROR_NONE;
    unsigned log2 = 12 + size;
    uint64_t addr = CMD_ATC_ADDR(c);
    if (log2 < 64)
        addr &= ~((1ull << log2) - 1);
    else
        addr = 0;
    bool ssv = CMD_SSV(c);
    vmaccel_smmu_atc_inv inv = {
        .id = ++s->atc.next_id,
        .sid = (uint32_t)CMD_SID(c),
        .ssid = ssv ? (uint32_t)CMD_SSID(c) : VMACCEL_SMMU_NO_SSID,
        .global = ssv && CMD_ATC_GLOBAL(c), /* Global is IGNORED without SSV */
        .addr = addr,
        .log2size = log2,
    };
    int rc = s->ep.atc_inv(s->ep.ctx, &inv);
    if (rc == VMACCEL_EAGAIN)
        add_pending(s, inv.id);
    else if (rc)
        s->atc.failed = true;
    return CERROR_NONE;
}

int va_atc_sync(vmaccel_smmu *s)
{
    va_atc *a = &s->atc;
    if (a->npending)
        return VA_CMD_WAIT;
    if (a->failed) {
        a->failed = false;
        return CERROR_ATC_INV_SYNC;
    }
    return CERROR_NONE;
}

void va_atc_fail_all(vmaccel_smmu *s)
{
    if (s->atc.npending)
        s->atc.failed = true;
    s->atc.npending = 0;
}

void va_atc_fini(vmaccel_smmu *s)
{
    free(s->atc.pending);
    s->atc.pending = NULL;
}

VMACCEL_API int vmaccel_smmu_atc_inv_done(vmaccel_smmu *smmu, uint64_t id, int status)
{
    int rc = va_handle_check(smmu, VA_HANDLE_SMMU, "SMMU");
    if (rc)
        return rc;
    pthread_mutex_lock(&smmu->lock);
    va_smmu_write_begin(smmu);
    va_atc *a = &smmu->atc;
    uint32_t i = 0;
    while (i < a->npending && a->pending[i] != id)
        i++;
    if (i == a->npending) {
        rc = va_fail(VMACCEL_ENOENT, "ATC invalidation %llu is not outstanding",
                     (unsigned long long)id);
    } else {
        forget(a, i);
        if (status)
            a->failed = true;
        if (!a->npending)
            va_smmu_cmdq_run(smmu); /* a CMD_SYNC may be waiting */
    }
    va_smmu_write_end(smmu);
    pthread_mutex_unlock(&smmu->lock);
    return rc;
}

VMACCEL_API int vmaccel_smmu_set_endpoint_ops(vmaccel_smmu *smmu,
                                              const vmaccel_smmu_endpoint_ops *ops)
{
    if (ops && ops->version != VMACCEL_SMMU_ENDPOINT_OPS_VERSION)
        return va_fail(VMACCEL_EINVAL, "SMMU endpoint ops version %u, expected %u",
                       ops->version, VMACCEL_SMMU_ENDPOINT_OPS_VERSION);
    int rc = va_handle_check(smmu, VA_HANDLE_SMMU, "SMMU");
    if (rc)
        return rc;
    pthread_mutex_lock(&smmu->lock);
    va_smmu_write_begin(smmu);
    smmu->ep = ops ? *ops : (vmaccel_smmu_endpoint_ops)VMACCEL_SMMU_ENDPOINT_OPS_INIT;
    /* The endpoints that owed completions are gone. */
    if (smmu->atc.npending) {
        va_atc_fail_all(smmu);
        va_smmu_cmdq_run(smmu);
    }
    va_smmu_write_end(smmu);
    pthread_mutex_unlock(&smmu->lock);
    return 0;
}
