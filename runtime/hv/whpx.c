/* Windows Hypervisor Platform probe: compiled for real only on Windows. */
#include "probe.h"

#if defined(_WIN32)
#include <windows.h>
#include <WinHvPlatform.h>

void va_probe_whpx(vmaccel_hv_info *out)
{
    WHV_CAPABILITY cap;
    UINT32 written = 0;
    if (FAILED(WHvGetCapability(WHvCapabilityCodeHypervisorPresent, &cap,
                                sizeof cap, &written)) ||
        !cap.HypervisorPresent) {
        out->status = VMACCEL_HV_UNAVAILABLE;
        va_hv_reason(out, "the Windows Hypervisor Platform feature is off");
        return;
    }
    out->status = VMACCEL_HV_AVAILABLE;
}
#else
void va_probe_whpx(vmaccel_hv_info *out)
{
    out->status = VMACCEL_HV_NOT_APPLICABLE;
    va_hv_reason(out, "the Windows Hypervisor Platform exists only on Windows");
}
#endif
