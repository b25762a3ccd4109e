/* Read-only queries on a manager. */
#include "core/manager_internal.h"

#include "core/error.h"
#include "smmu/smmu_model.h"
#include "topology/topo.h"

#include <stddef.h>

static int check_out(const void *p, const char *what)
{
    return p ? 0 : va_fail(VMACCEL_EINVAL, "%s pointer is NULL", what);
}

VMACCEL_API int vmaccel_manager_topology(const vmaccel_manager *m,
                                         const vmaccel_topology **topo)
{
    int rc = va_manager_check(m);
    if (!rc)
        rc = check_out(topo, "topology");
    if (!rc)
        *topo = m->topology;
    return rc;
}

static int component_on(const vmaccel_manager *m, vmaccel_component c, int *out)
{
    int rc = va_manager_check(m);
    if (!rc)
        rc = check_out(out, "result");
    if (rc)
        return rc;
    vmaccel_manager *mm = (vmaccel_manager *)m;
    pthread_mutex_lock(&mm->lock);
    *out = m->component[c].state == VMACCEL_COMPONENT_ON;
    pthread_mutex_unlock(&mm->lock);
    return 0;
}

VMACCEL_API int vmaccel_manager_numa_enabled(const vmaccel_manager *m, int *enabled)
{
    return component_on(m, VMACCEL_COMPONENT_NUMA, enabled);
}

VMACCEL_API int vmaccel_manager_smmu_initialized(const vmaccel_manager *m,
                                                 int *initialized)
{
    return component_on(m, VMACCEL_COMPONENT_SMMU, initialized);
}

VMACCEL_API int vmaccel_manager_vcpu_affinity_initialized(const vmaccel_manager *m,
                                                          int *initialized)
{
    return component_on(m, VMACCEL_COMPONENT_VCPU_AFFINITY, initialized);
}

VMACCEL_API int vmaccel_manager_smmu(vmaccel_manager *m, vmaccel_smmu **smmu)
{
    int rc = va_manager_check(m);
    if (!rc)
        rc = check_out(smmu, "smmu");
    if (rc)
        return rc;
    pthread_mutex_lock(&m->lock);
    *smmu = m->smmu;
    pthread_mutex_unlock(&m->lock);
    if (!*smmu)
        return va_fail(VMACCEL_ESTATE, "the SMMU model is not initialised: call "
                       "vmaccel_manager_init_smmu or vmaccel_manager_setup_full");
    return 0;
}

VMACCEL_API int vmaccel_manager_hypervisor(const vmaccel_manager *m,
                                           vmaccel_hypervisor hv,
                                           vmaccel_hv_info *info)
{
    int rc = va_manager_check(m);
    if (rc)
        return rc;
    if ((unsigned)hv >= VMACCEL_HV_COUNT_)
        return va_fail(VMACCEL_EINVAL, "unknown hypervisor %d", (int)hv);
    if (!info || info->version != VMACCEL_HV_INFO_VERSION)
        return va_fail(VMACCEL_EINVAL, "info is NULL or not initialised with "
                       "VMACCEL_HV_INFO_INIT");
    *info = m->hv[hv];
    return 0;
}

VMACCEL_API int vmaccel_manager_iommu(const vmaccel_manager *m,
                                      vmaccel_iommu_info *info)
{
    int rc = va_manager_check(m);
    if (rc)
        return rc;
    if (!info || info->version != VMACCEL_IOMMU_INFO_VERSION)
        return va_fail(VMACCEL_EINVAL, "info is NULL or not initialised with "
                       "VMACCEL_IOMMU_INFO_INIT");
    *info = m->iommu.info;
    return 0;
}
