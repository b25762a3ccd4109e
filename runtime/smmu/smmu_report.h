/*
 * Internal: what the manager and the report read from an SMMU model. Plain
 * C declarations only (no atomics), so C++ tests can include it too.
 */
#ifndef VA_SMMU_REPORT_H
#define VA_SMMU_REPORT_H

#include "vmaccel/smmu.h"

#include <stddef.h>

struct vmaccel_manager;

/* Lets the manager's model emit VMACCEL_EVENT_IOTLB_REPARTITIONED. Call
 * once after va_smmu_create, before the model is shared. */
void va_smmu_set_manager(vmaccel_smmu *s, struct vmaccel_manager *m);

/* Statistics for the report: fills up to `max` entries of `out` (sorted by
 * SID), sets *n to the number filled and *total to the number of streams
 * the model knows, *iotlb_capacity to its IOTLB size. 0, or VMACCEL_EINVAL
 * for a dead handle, VMACCEL_ENOMEM. Takes the model's lock; any thread. */
int va_smmu_stats_snapshot(vmaccel_smmu *s, unsigned *iotlb_capacity,
                           vmaccel_smmu_stream_stats *out, size_t max,
                           size_t *n, size_t *total);

#endif
