/* The SMMU section of the diagnostic report: the manager's model, its IOTLB
 * capacity and per-stream statistics with the adaptive IOTLB's quotas. */
#include "report/smmu_section.h"

#include "smmu/smmu_report.h"

#include <stdlib.h>

/* A report lists at most this many streams (a guest may describe 2^32). */
#define VA_REPORT_MAX_STREAMS 1024

static Vmaccel__V1__SmmuStream *stream_msg(const vmaccel_smmu_stream_stats *st,
                                           va_arena *a)
{
    Vmaccel__V1__SmmuStream *s = va_arena_alloc(a, sizeof *s);
    if (!s)
        return NULL;
    vmaccel__v1__smmu_stream__init(s);
    s->sid = st->sid;
    s->hits = st->hits;
    s->misses = st->misses;
    s->walks = st->walks;
    s->faults = st->faults;
    s->iotlb_quota = st->iotlb_quota;
    return s;
}

int va_report_smmu(vmaccel_smmu *smmu, Vmaccel__V1__DiagnosticReport *r, va_arena *a)
{
    Vmaccel__V1__Smmu *msg = va_arena_alloc(a, sizeof *msg);
    if (!msg)
        return VMACCEL_ENOMEM;
    vmaccel__v1__smmu__init(msg);
    r->smmu = msg;
    if (!smmu)
        return 0;
    vmaccel_smmu_stream_stats *stats = calloc(VA_REPORT_MAX_STREAMS, sizeof *stats);
    if (!stats)
        return VMACCEL_ENOMEM;
    size_t n = 0, total = 0;
    unsigned capacity = 0;
    int rc = va_smmu_stats_snapshot(smmu, &capacity, stats, VA_REPORT_MAX_STREAMS, &n,
                                    &total);
    if (rc == 0) {
        msg->initialized = 1;
        msg->iotlb_capacity = capacity;
        msg->streams = va_arena_array(a, n, sizeof *msg->streams);
        for (size_t i = 0; msg->streams && i < n; i++)
            msg->streams[msg->n_streams++] = stream_msg(&stats[i], a);
    }
    free(stats);
    return rc;
}
