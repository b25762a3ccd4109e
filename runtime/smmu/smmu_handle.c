/* SMMUv3 model handle: creation and destruction. */
#include "smmu_model.h"

#include "core/error.h"

#include <stdlib.h>

VMACCEL_API void vmaccel_smmu_options_init(vmaccel_smmu_options *opts)
{
    if (opts) {
        vmaccel_smmu_options init = VMACCEL_SMMU_OPTIONS_INIT;
        *opts = init;
    }
}

int va_smmu_create(const vmaccel_smmu_options *opts, vmaccel_smmu **out)
{
    vmaccel_smmu_options defaults = VMACCEL_SMMU_OPTIONS_INIT;
    const vmaccel_smmu_options *o = opts ? opts : &defaults;
    if (o->version != VMACCEL_SMMU_OPTIONS_VERSION)
        return va_fail(VMACCEL_EINVAL, "SMMU options version %u, expected %u",
                       o->version, VMACCEL_SMMU_OPTIONS_VERSION);
    vmaccel_smmu *s = calloc(1, sizeof *s);
    if (!s)
        return va_fail(VMACCEL_ENOMEM, "out of memory for an SMMU model");
    s->iotlb_capacity = o->iotlb_entries ? o->iotlb_entries : VA_SMMU_DEFAULT_IOTLB;
    int rc = va_handle_register(&s->handle, VA_HANDLE_SMMU);
    if (rc) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void va_smmu_destroy(vmaccel_smmu *s)
{
    if (!s || !va_handle_unregister(s, VA_HANDLE_SMMU))
        return;
    free(s);
}

VMACCEL_API int vmaccel_smmu_new(const vmaccel_smmu_options *opts,
                                 vmaccel_smmu **out)
{
    if (!out)
        return va_fail(VMACCEL_EINVAL, "vmaccel_smmu_new: out is NULL");
    *out = NULL;
    return va_smmu_create(opts, out);
}

VMACCEL_API void vmaccel_smmu_free(vmaccel_smmu *smmu)
{
    if (!smmu)
        return;
    if (!va_handle_is_live(smmu, VA_HANDLE_SMMU) || smmu->owned_by_manager) {
        va_fail(VMACCEL_EINVAL, "vmaccel_smmu_free: not a model from "
                "vmaccel_smmu_new (freed, foreign or the manager's)");
        return;
    }
    va_smmu_destroy(smmu);
}
