/* Internal: the SMMUv3 model object. */
#ifndef VA_SMMU_MODEL_H
#define VA_SMMU_MODEL_H

#include "core/handle.h"
#include "vmaccel/smmu.h"

#include <stdbool.h>

#define VA_SMMU_DEFAULT_IOTLB 4096

struct vmaccel_smmu {
    va_handle handle;
    bool owned_by_manager;   /* vmaccel_smmu_free refuses it */
    unsigned iotlb_capacity;
};

int va_smmu_create(const vmaccel_smmu_options *opts, vmaccel_smmu **out);
void va_smmu_destroy(vmaccel_smmu *smmu);

#endif
