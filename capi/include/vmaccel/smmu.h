/*
 * vmaccel/smmu.h - a software model of an Arm SMMUv3 that a VMM can embed.
 *
 * Thread safety is stated per function.
 */
#ifndef VMACCEL_SMMU_H
#define VMACCEL_SMMU_H

#include "common.h"

VMACCEL_BEGIN_DECLS

typedef struct vmaccel_smmu vmaccel_smmu;

#define VMACCEL_SMMU_OPTIONS_VERSION 1
typedef struct vmaccel_smmu_options {
    unsigned version;          /* VMACCEL_SMMU_OPTIONS_VERSION */
    unsigned iotlb_entries;    /* IOTLB capacity; 0: the default (4096) */
} vmaccel_smmu_options;
#define VMACCEL_SMMU_OPTIONS_INIT { VMACCEL_SMMU_OPTIONS_VERSION, 0 }
VMACCEL_API void vmaccel_smmu_options_init(vmaccel_smmu_options *opts);

/* Creates a model. opts may be NULL. Thread safety: any thread. */
VMACCEL_API int vmaccel_smmu_new(const vmaccel_smmu_options *opts,
                                 vmaccel_smmu **out);

/* Frees a model made by vmaccel_smmu_new. NULL is a no-op; the manager's
 * model (vmaccel_manager_smmu) is freed with the manager, not this way. */
VMACCEL_API void vmaccel_smmu_free(vmaccel_smmu *smmu);

VMACCEL_END_DECLS

#endif /* VMACCEL_SMMU_H */
