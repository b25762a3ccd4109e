/* Internal: host probes for hypervisors and IOMMUs, run at manager creation.
 * They read only under the manager's roots so tests can use fixture trees. */
#ifndef VA_HV_PROBE_H
#define VA_HV_PROBE_H

#include "core/manager_internal.h"
#include "core/printf_attr.h"

/* Fills one entry per vmaccel_hypervisor. Never fails: every outcome is a
 * status with a reason. */
void va_probe_hypervisors(const va_roots *roots,
                          vmaccel_hv_info out[VMACCEL_HV_COUNT_]);

void va_probe_kvm(const va_roots *roots, vmaccel_hv_info *out);
void va_probe_hvf(vmaccel_hv_info *out);
void va_probe_whpx(vmaccel_hv_info *out);

/* Fills the IOMMU probe. Never fails. */
void va_probe_iommu(const va_roots *roots, va_iommu_probe *out);

/* printf into info->reason. */
void va_hv_reason(vmaccel_hv_info *info, const char *fmt, ...)
    VA_PRINTF(2, 3);

#endif
