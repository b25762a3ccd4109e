/*
 * PCIe ATS (IHI 0070 3.9.1): Translation Requests from endpoints' ATCs and
 * the check of Translated transactions.
 *
 * A Translation Request translates like a transaction but never faults or
 * stalls: translation, access and address-size faults give a Success
 * completion granting nothing, a permission the tables do not give is
 * simply not granted, and no event is recorded. Configuration errors give
 * Completer Abort (not recorded: CR2.REC_CFG_ATS is not implemented); a
 * stream whose STE does not enable ATS, or SMMUEN == 0, gives Unsupported
 * Request and F_BAD_ATS_TREQ. Translated transactions pass unchecked with
 * CR0.ATSCHK == 0; with ATSCHK == 1 only streams with STE.EATS != 0 may
 * send them (F_TRANSL_FORBIDDEN otherwise).
 */
#include "smmu/smmu_model.h"

#include "core/error.h"
#include "smmu/smmu_spec.h"
#include "smmu/xlate.h"

/* F_BAD_ATS_TREQ (7.3.6): the permissions asked for, a span of one STU. */
static void bad_treq(vmaccel_smmu *s, uint32_t sid, uint32_t ssid, uint64_t iova,
                     unsigned access)
{
    uint64_t r[4] = {EVT_F_BAD_ATS_TREQ | (uint64_t)sid << 32, 1 | EVT1_ATS_R, 0, 0};
    if (ssid != VA_SSID_NONE)
        r[0] |= 1ull << 11 | (uint64_t)ssid << 12;
    if (access & VMACCEL_SMMU_WRITE)
        r[1] |= EVT1_ATS_W;
    if (access & VMACCEL_SMMU_EXEC)
        r[1] |= EVT1_ATS_X;
    if (access & VMACCEL_SMMU_PRIV)
        r[1] |= EVT1_ATS_P;
    r[2] = iova & VA_MASK(63, 12);
    (void)va_smmu_event_put(s, r, false);
}

static bool translation_related(const vmaccel_smmu_fault *f)
{
    return f->event == EVT_F_TRANSLATION || f->event == EVT_F_ADDR_SIZE ||
           f->event == EVT_F_ACCESS || f->event == EVT_F_PERMISSION;
}

/* A fault during the request's translation: R == W == 0 for the
 * translation-related ones (either stage, CD fetch and walks included),
 * Completer Abort for the rest (F_WALK_EABT and configuration errors). */
static void failed(const vmaccel_smmu_fault *f, vmaccel_smmu_ats_result *out)
{
    out->status = translation_related(f) ? VMACCEL_SMMU_ATS_SUCCESS : VMACCEL_SMMU_ATS_CA;
    out->size = 4096;
}

static void ats_locked(vmaccel_smmu *s, uint32_t sid, uint32_t ssid, uint64_t iova,
                       unsigned access, vmaccel_smmu_ats_result *out)
{
    vmaccel_smmu_fault f = {.level = -1, .input_addr = iova};
    s->fault_tt_write = false;
    va_stream *st;
    int rc = va_smmu_stream_for(s, sid, &st, &f);
    if (rc == VMACCEL_EFAULT && !f.event) { /* SMMUEN == 0: ATS is off */
        out->status = VMACCEL_SMMU_ATS_UR;
        bad_treq(s, sid, ssid, iova, access);
        return;
    }
    va_route route;
    va_ctx *c = NULL;
    if (rc || (rc = va_smmu_resolve(s, st, ssid, &route, &c, &f))) {
        failed(&f, out);
        return;
    }
    if (route != VA_ROUTE_XLATE || st->ste.eats == EATS_OFF) {
        /* Config abort: UR silently; bypass and EATS == 0: UR, recorded. */
        out->status = VMACCEL_SMMU_ATS_UR;
        if (st->ste.config != STE_CFG_ABORT)
            bad_treq(s, sid, ssid, iova, access);
        return;
    }
    va_xout o;
    if (va_xlate(s, &c->x, iova, access, VA_NIL, true, &o, &f)) {
        failed(&f, out);
        return;
    }
    unsigned p = access & VMACCEL_SMMU_PRIV ? o.perms : o.perms >> 3;
    out->status = VMACCEL_SMMU_ATS_SUCCESS;
    out->size = 1ull << o.shift;
    out->addr = o.pa & ~(out->size - 1);
    out->perm = p & va_need(access);
}

VMACCEL_API int vmaccel_smmu_ats_translate(vmaccel_smmu *smmu, uint32_t sid,
                                           uint32_t ssid, uint64_t iova,
                                           unsigned access,
                                           vmaccel_smmu_ats_result *out)
{
    uint32_t ss;
    int rc = va_smmu_check_request(smmu, ssid, access, &ss);
    if (rc)
        return rc;
    if (!out)
        return va_fail(VMACCEL_EINVAL, "vmaccel_smmu_ats_translate: out is NULL");
    /* Read is always asked; Exe and Priv travel only with a PASID. */
    access |= VMACCEL_SMMU_READ;
    if (ss == VA_SSID_NONE)
        access &= ~(VMACCEL_SMMU_EXEC | VMACCEL_SMMU_PRIV);
    *out = (vmaccel_smmu_ats_result){0};
    pthread_mutex_lock(&smmu->lock);
    va_smmu_write_begin(smmu);
    ats_locked(smmu, sid, ss, iova, access, out);
    va_smmu_write_end(smmu);
    pthread_mutex_unlock(&smmu->lock);
    return 0;
}

/* ATSCHK == 1: the STE decides; 0 passes, else VMACCEL_EFAULT (with f
 * recorded when it says F_TRANSL_FORBIDDEN). */
static int checked(vmaccel_smmu *s, va_stream *st, vmaccel_smmu_fault *f)
{
    if (va_smmu_ste_load(s, st, f)) {
        f->event = 0; /* configuration errors abort without a record */
        return VMACCEL_EFAULT;
    }
    const va_ste *ste = &st->ste;
    if (ste->config == STE_CFG_ABORT)
        return VMACCEL_EFAULT;
    if (ste->config == STE_CFG_BYPASS || ste->eats == EATS_OFF) {
        f->event = EVT_F_TRANSL_FORBIDDEN;
        return VMACCEL_EFAULT;
    }
    /* No PASID on Translated transactions (IDR3.PASIDTT == 0): a stream
     * that disables non-substream traffic refuses them, unrecorded. */
    if (ste->s1 && ste->cdmax && ste->s1dss == 0)
        return VMACCEL_EFAULT;
    return 0;
}

static int translated_locked(vmaccel_smmu *s, uint32_t sid, uint64_t pa,
                             unsigned access)
{
    vmaccel_smmu_fault f = {.level = -1, .input_addr = pa};
    va_stream *st;
    int rc = va_smmu_stream_for(s, sid, &st, &f);
    if (rc == VMACCEL_EFAULT && !f.event) {
        f.event = EVT_F_TRANSL_FORBIDDEN; /* SMMUEN == 0 */
    } else if (rc == VMACCEL_EFAULT) {
        f.event = 0; /* C_BAD_STREAMID: not recorded for Translated */
    } else if (!rc && (s->regs.cr0 & CR0_ATSCHK)) {
        rc = checked(s, st, &f);
    }
    /* Addresses beyond the OAS abort, unrecorded (3.9.1.1). */
    if (!rc && pa >> VA_SMMU_OAS)
        return VMACCEL_EFAULT;
    if (rc == VMACCEL_EFAULT && f.event == EVT_F_TRANSL_FORBIDDEN)
        va_smmu_event(s, sid, VA_SSID_NONE, access & ~(unsigned)(VMACCEL_SMMU_EXEC | VMACCEL_SMMU_PRIV), &f);
    return rc;
}

VMACCEL_API int vmaccel_smmu_ats_translated(vmaccel_smmu *smmu, uint32_t sid,
                                            uint64_t pa, unsigned access)
{
    int rc = va_handle_check(smmu, VA_HANDLE_SMMU, "SMMU");
    if (rc)
        return rc;
    if (access & ~15u)
        return va_fail(VMACCEL_EINVAL, "access flags 0x%x: unknown bits", access);
    pthread_mutex_lock(&smmu->lock);
    va_smmu_write_begin(smmu);
    rc = translated_locked(smmu, sid, pa, access);
    va_smmu_write_end(smmu);
    pthread_mutex_unlock(&smmu->lock);
    if (rc == VMACCEL_EFAULT)
        return va_fail(rc, "Translated transaction of stream %u to 0x%llx aborted", sid,
                       (unsigned long long)pa);
    return rc;
}
