/*
 * IOTLB repartitioning decisions as events: the manager's model emits
 * VMACCEL_EVENT_IOTLB_REPARTITIONED when quotas moved by more than 1/16 of
 * the IOTLB in total since the last event, so that periodic re-computation
 * with stable results stays quiet.
 */
#include "smmu/smmu_model.h"

#include "loop/events.h"

#include <stdio.h>

void va_smmu_set_manager(vmaccel_smmu *s, struct vmaccel_manager *m)
{
    s->manager = m;
}

static void report(vmaccel_smmu *s)
{
    va_iotlb *t = &s->tlb;
    uint64_t moved = 0;
    for (uint32_t i = 0; i < t->nparts; i++) {
        va_part *p = &t->part[i];
        moved += p->quota > p->reported ? p->quota - p->reported : p->reported - p->quota;
    }
    if (moved * 16 <= t->cap)
        return;
    char msg[512];
    size_t n = (size_t)snprintf(msg, sizeof msg, "IOTLB %u entries, quotas:", t->cap);
    for (uint32_t i = 0; i < s->nstreams && n < sizeof msg; i++) {
        va_stream *st = s->list[i];
        n += (size_t)snprintf(msg + n, sizeof msg - n, " sid %u=%u", st->sid,
                              t->part[st->part].quota);
    }
    for (uint32_t i = 0; i < t->nparts; i++)
        t->part[i].reported = t->part[i].quota;
    if (s->manager)
        va_event_emitf(s->manager, VMACCEL_EVENT_IOTLB_REPARTITIONED, 0, 0, "%s", msg);
}

void va_smmu_repartition_locked(vmaccel_smmu *s)
{
    if (!s->tlb.adaptive)
        return;
    for (uint32_t i = 0; i < s->nstreams; i++)
        va_smmu_umon_drain(s, s->list[i]);
    va_iotlb_repartition(&s->tlb);
    report(s);
}
