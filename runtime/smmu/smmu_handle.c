/* SMMUv3 model handle: creation and destruction. */
#include "smmu_model.h"

#include "core/aligned.h"
#include "core/error.h"
#include "smmu/smmu_spec.h"

#include <stdlib.h>

VMACCEL_API void vmaccel_smmu_options_init(vmaccel_smmu_options *opts)
{
    if (opts) {
        vmaccel_smmu_options init = VMACCEL_SMMU_OPTIONS_INIT;
        *opts = init;
    }
}

static void free_model(vmaccel_smmu *s)
{
    for (uint32_t i = 0; i < s->nstreams; i++)
        va_aligned_free(s->list[i]);
    free(s->list);
    for (size_t i = 0; i < sizeof s->dir / sizeof s->dir[0]; i++)
        free((void *)atomic_load_explicit(&s->dir[i], memory_order_relaxed));
    va_iotlb_fini(&s->tlb);
    va_atc_fini(s);
    pthread_cond_destroy(&s->stall_cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int va_smmu_create(const vmaccel_smmu_options *opts, vmaccel_smmu **out)
{
    vmaccel_smmu_options defaults = VMACCEL_SMMU_OPTIONS_INIT;
    const vmaccel_smmu_options *o = opts ? opts : &defaults;
    if (o->version != VMACCEL_SMMU_OPTIONS_VERSION)
        return va_fail(VMACCEL_EINVAL, "SMMU options version %u, expected %u",
                       o->version, VMACCEL_SMMU_OPTIONS_VERSION);
    unsigned cap = o->iotlb_entries ? o->iotlb_entries : VA_SMMU_DEFAULT_IOTLB;
    if (cap < 16 || cap > VA_SMMU_MAX_IOTLB)
        return va_fail(VMACCEL_ERANGE, "IOTLB of %u entries (16..%u)", cap,
                       VA_SMMU_MAX_IOTLB);
    vmaccel_smmu *s = calloc(1, sizeof *s);
    if (!s)
        return va_fail(VMACCEL_ENOMEM, "out of memory for an SMMU model");
    s->iotlb_capacity = cap;
    if (va_iotlb_init(&s->tlb, cap)) {
        free(s);
        return va_fail(VMACCEL_ENOMEM, "out of memory for a %u-entry IOTLB", cap);
    }
    pthread_mutex_init(&s->lock, NULL);
    va_stall_init(s);
    /* Reset state: everything disabled; with SMMUEN=0 GBPA aborts, so that
     * an unattached stream never reaches memory untranslated by default. */
    s->regs.gbpa = GBPA_ABORT;
    s->mem = (vmaccel_smmu_memory)VMACCEL_SMMU_MEMORY_INIT;
    s->ep = (vmaccel_smmu_endpoint_ops)VMACCEL_SMMU_ENDPOINT_OPS_INIT;
    int rc = va_handle_register(&s->handle, VA_HANDLE_SMMU);
    if (rc) {
        free_model(s);
        return rc;
    }
    *out = s;
    return 0;
}

void va_smmu_destroy(vmaccel_smmu *s)
{
    if (!s || !va_handle_unregister(s, VA_HANDLE_SMMU))
        return;
    free_model(s);
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
