#include "probe.h"

#include <stdarg.h>
#include <stdio.h>

void va_hv_reason(vmaccel_hv_info *info, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(info->reason, sizeof info->reason, fmt, ap);
    va_end(ap);
}

void va_probe_hypervisors(const va_roots *roots,
                          vmaccel_hv_info out[VMACCEL_HV_COUNT_])
{
    for (int i = 0; i < VMACCEL_HV_COUNT_; i++) {
        vmaccel_hv_info init = VMACCEL_HV_INFO_INIT;
        out[i] = init;
    }
    va_probe_kvm(roots, &out[VMACCEL_HV_KVM]);
    va_probe_hvf(&out[VMACCEL_HV_HVF]);
    va_probe_whpx(&out[VMACCEL_HV_WHPX]);
}
