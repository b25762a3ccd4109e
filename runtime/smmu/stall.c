/*
 * The Stall fault model (IHI 0070 3.12.2): a transaction whose
 * translation-related fault the guest configured to stall (CD.S, STE.S2S)
 * waits in one of VA_STALL_SLOTS slots. Its event is always recorded, with
 * STALL = 1 and a STAG naming the slot; the guest ends it with CMD_RESUME
 * (retry or terminate) or CMD_STALL_TERM, and clearing SMMUEN terminates
 * every stall. The host device learns the end through the endpoint
 * stall_end callback or vmaccel_smmu_stall_wait, and on RETRY translates
 * again "as though it had just arrived".
 *
 * A stall whose record the event queue cannot take (disabled, full,
 * aborted) is not lost: it ends with RETRY once the queue is writable
 * again (7.2.1), so the retried transaction faults and records afresh.
 */
#include "smmu/smmu_model.h"

#include "core/cond_clock.h"
#include "core/error.h"
#include "smmu/smmu_spec.h"

#include <errno.h>
#include <time.h>

#define SLOT_MASK (VA_STALL_SLOTS - 1)

static uint32_t stall_id(const va_stall *st, uint32_t slot)
{
    return st->gen << 8 | slot;
}

static uint32_t stag(const va_stall *st, uint32_t slot)
{
    return (st->gen & 0xffu) << 8 | slot;
}

void va_stall_init(vmaccel_smmu *s)
{
    s->stall_clock = va_cond_init_timed(&s->stall_cond);
}

int va_stall_begin(vmaccel_smmu *s, uint32_t sid, uint32_t ssid, unsigned access,
                   const vmaccel_smmu_fault *f, uint32_t *id)
{
    uint32_t slot = 0;
    while (slot < VA_STALL_SLOTS && s->stalls[slot].state != VA_STALL_FREE)
        slot++;
    if (slot == VA_STALL_SLOTS)
        return -1; /* all in use: the caller terminates instead */
    va_stall *st = &s->stalls[slot];
    st->gen = (st->gen + 1) & 0xffffffu;
    st->state = VA_STALL_WAITING;
    st->sid = sid;
    uint64_t r[4];
    va_smmu_event_fill(s, r, sid, ssid, access, f);
    r[1] |= EVT1_STALL | stag(st, slot);
    st->recorded = va_smmu_event_put(s, r, true) == 0;
    *id = stall_id(st, slot);
    return 0;
}

/* Ends a waiting stall: the callback takes it, or stall_wait will. */
static void end(vmaccel_smmu *s, uint32_t slot, vmaccel_smmu_stall_end how)
{
    va_stall *st = &s->stalls[slot];
    if (st->state != VA_STALL_WAITING)
        return;
    if (s->ep.stall_end) {
        st->state = VA_STALL_FREE;
        s->ep.stall_end(s->ep.ctx, stall_id(st, slot), how);
        return;
    }
    st->state = VA_STALL_ENDED;
    st->end = (uint8_t)how;
    pthread_cond_broadcast(&s->stall_cond);
}

void va_stall_resume(vmaccel_smmu *s, uint32_t sid, uint32_t tag, bool retry)
{
    uint32_t slot = tag & SLOT_MASK;
    va_stall *st = &s->stalls[slot];
    /* The StreamID and the whole STAG must match a stall whose record the
     * guest can have seen; anything else is a no-op (4.7.1). */
    if (st->state != VA_STALL_WAITING || !st->recorded || st->sid != sid ||
        stag(st, slot) != (tag & 0xffffu))
        return;
    /* IDR0.TERM_MODEL == 1: a terminated transaction always aborts. */
    end(s, slot, retry ? VMACCEL_SMMU_STALL_RETRY : VMACCEL_SMMU_STALL_ABORT);
}

void va_stall_term_sid(vmaccel_smmu *s, uint32_t sid)
{
    for (uint32_t i = 0; i < VA_STALL_SLOTS; i++)
        if (s->stalls[i].state == VA_STALL_WAITING && s->stalls[i].sid == sid)
            end(s, i, VMACCEL_SMMU_STALL_ABORT);
}

void va_stall_abort_all(vmaccel_smmu *s)
{
    for (uint32_t i = 0; i < VA_STALL_SLOTS; i++)
        end(s, i, VMACCEL_SMMU_STALL_ABORT);
}

void va_stall_flush(vmaccel_smmu *s)
{
    for (uint32_t i = 0; i < VA_STALL_SLOTS; i++)
        if (s->stalls[i].state == VA_STALL_WAITING && !s->stalls[i].recorded)
            end(s, i, VMACCEL_SMMU_STALL_RETRY);
}

VMACCEL_API int vmaccel_smmu_stall_wait(vmaccel_smmu *smmu, uint32_t id,
                                        int timeout_ms, vmaccel_smmu_stall_end *how)
{
    int rc = va_handle_check(smmu, VA_HANDLE_SMMU, "SMMU");
    if (rc)
        return rc;
    if (!how)
        return va_fail(VMACCEL_EINVAL, "vmaccel_smmu_stall_wait: how is NULL");
    *how = VMACCEL_SMMU_STALL_PENDING;
    uint32_t slot = id & SLOT_MASK;
    struct timespec deadline;
    if (timeout_ms > 0)
        deadline = va_deadline_in(smmu->stall_clock, (uint64_t)timeout_ms * 1000000u);
    pthread_mutex_lock(&smmu->lock);
    va_stall *st = &smmu->stalls[slot];
    for (;;) {
        if (st->state == VA_STALL_FREE || stall_id(st, slot) != id) {
            rc = va_fail(VMACCEL_ENOENT, "SMMU stall 0x%x is unknown or already "
                         "collected", id);
            break;
        }
        if (st->state == VA_STALL_ENDED) {
            *how = (vmaccel_smmu_stall_end)st->end;
            st->state = VA_STALL_FREE;
            rc = 0;
            break;
        }
        int w = 0;
        if (timeout_ms < 0)
            w = pthread_cond_wait(&smmu->stall_cond, &smmu->lock);
        else if (timeout_ms > 0)
            w = pthread_cond_timedwait(&smmu->stall_cond, &smmu->lock, &deadline);
        if (timeout_ms == 0 || w == ETIMEDOUT) {
            rc = va_fail(VMACCEL_ETIMEDOUT, "SMMU stall 0x%x still waits for the "
                         "guest (CMD_RESUME or CMD_STALL_TERM)", id);
            break;
        }
    }
    pthread_mutex_unlock(&smmu->lock);
    return rc;
}
