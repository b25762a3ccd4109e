/* KVM probe: /dev/kvm, its API version, a few capabilities, and whether a
 * VM can actually be created (a present but unusable device is common in
 * containers and nested setups). */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if defined(__linux__)
#include <linux/kvm.h>
#include <sys/ioctl.h>

/* The only stable KVM API version since Linux 2.6.22. */
#define VA_KVM_API_VERSION 12

static void explain_open_failure(vmaccel_hv_info *out, const char *path, int err)
{
    if (err == ENOENT)
        va_hv_reason(out, "no %s: the kvm module is not loaded, or the CPU has "
                     "no VT-x/AMD-V (or nested virtualisation is off)", path);
    else if (err == EACCES || err == EPERM)
        va_hv_reason(out, "no permission to open %s (join its group, usually "
                     "'kvm')", path);
    else
        va_hv_reason(out, "cannot open %s: %s", path, strerror(err));
}

static void query(int fd, const char *path, vmaccel_hv_info *out)
{
    int api = ioctl(fd, KVM_GET_API_VERSION, 0);
    if (api < 0) {
        va_hv_reason(out, "%s is not a KVM device: KVM_GET_API_VERSION: %s",
                     path, strerror(errno));
        return;
    }
    out->api_version = api;
    if (api != VA_KVM_API_VERSION) {
        va_hv_reason(out, "%s speaks KVM API %d, expected %d", path, api,
                     VA_KVM_API_VERSION);
        return;
    }
    int max = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
    int rec = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
    out->max_vcpus = max > 0 ? (unsigned)max : 0;
    out->recommended_vcpus = rec > 0 ? (unsigned)rec : 0;
    int vm = ioctl(fd, KVM_CREATE_VM, 0);
    if (vm < 0) {
        va_hv_reason(out, "%s answers but KVM_CREATE_VM fails: %s", path,
                     strerror(errno));
        return;
    }
    close(vm);
    out->status = VMACCEL_HV_AVAILABLE;
}

void va_probe_kvm(const va_roots *roots, vmaccel_hv_info *out)
{
    char path[VA_PATH_LEN + 8];
    snprintf(path, sizeof path, "%s/kvm", roots->devfs);
    out->status = VMACCEL_HV_UNAVAILABLE;
    int fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        explain_open_failure(out, path, errno);
        return;
    }
    query(fd, path, out);
    close(fd);
}
#else
void va_probe_kvm(const va_roots *roots, vmaccel_hv_info *out)
{
    (void)roots;
    out->status = VMACCEL_HV_NOT_APPLICABLE;
    va_hv_reason(out, "KVM exists only on Linux");
}
#endif
