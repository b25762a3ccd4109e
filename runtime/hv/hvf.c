/* Hypervisor.framework probe: compiled for real only on macOS. */
#include "probe.h"

#if defined(__APPLE__)
#include <sys/sysctl.h>

void va_probe_hvf(vmaccel_hv_info *out)
{
    int supported = 0;
    size_t len = sizeof supported;
    if (sysctlbyname("kern.hv_support", &supported, &len, NULL, 0) != 0 ||
        !supported) {
        out->status = VMACCEL_HV_UNAVAILABLE;
        va_hv_reason(out, "kern.hv_support is 0: this Mac cannot run HVF guests");
        return;
    }
    out->status = VMACCEL_HV_AVAILABLE;
}
#else
void va_probe_hvf(vmaccel_hv_info *out)
{
    out->status = VMACCEL_HV_NOT_APPLICABLE;
    va_hv_reason(out, "Hypervisor.framework exists only on macOS");
}
#endif
