/* Windows Hypervisor Platform probe: compiled for real only on Windows.
 * WinHvPlatform.dll exists only where the optional Windows feature
 * "Windows Hypervisor Platform" is on, so it is loaded at run time (from
 * System32 only): a missing DLL is a probe result, not a load failure of
 * libvmaccel.dll. */
#include "probe.h"

#if defined(_WIN32)
#include <string.h>
#include <windows.h>
#include <winhvplatform.h>

typedef HRESULT(WINAPI *get_capability_fn)(WHV_CAPABILITY_CODE code, VOID *buf,
                                           UINT32 size, UINT32 *written);

static void query(get_capability_fn get_capability, vmaccel_hv_info *out)
{
    WHV_CAPABILITY cap;
    UINT32 written = 0;
    memset(&cap, 0, sizeof cap);
    HRESULT hr = get_capability(WHvCapabilityCodeHypervisorPresent, &cap, sizeof cap,
                                &written);
    if (FAILED(hr)) {
        va_hv_reason(out, "WHvGetCapability(HypervisorPresent) failed: HRESULT 0x%08lx",
                     (unsigned long)hr);
        return;
    }
    if (!cap.HypervisorPresent) {
        va_hv_reason(out, "the Windows Hypervisor Platform is installed but no "
                     "hypervisor runs (Hyper-V off, virtualisation disabled in "
                     "firmware, or a VM without nested virtualisation)");
        return;
    }
    out->status = VMACCEL_HV_AVAILABLE;
}

void va_probe_whpx(vmaccel_hv_info *out)
{
    out->status = VMACCEL_HV_UNAVAILABLE;
    HMODULE dll = LoadLibraryExW(L"WinHvPlatform.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
    if (!dll) {
        va_hv_reason(out, "WinHvPlatform.dll cannot be loaded (error %lu): turn on the "
                     "Windows feature \"Windows Hypervisor Platform\"",
                     (unsigned long)GetLastError());
        return;
    }
    FARPROC sym = GetProcAddress(dll, "WHvGetCapability");
    if (sym) {
        get_capability_fn get_capability;
        memcpy(&get_capability, &sym, sizeof get_capability); /* no cast warning */
        query(get_capability, out);
    } else {
        va_hv_reason(out, "WinHvPlatform.dll has no WHvGetCapability (error %lu)",
                     (unsigned long)GetLastError());
    }
    FreeLibrary(dll);
}
#else
void va_probe_whpx(vmaccel_hv_info *out)
{
    out->status = VMACCEL_HV_NOT_APPLICABLE;
    va_hv_reason(out, "the Windows Hypervisor Platform exists only on Windows");
}
#endif
