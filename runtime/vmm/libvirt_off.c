/* libvirt support not built (no libvirt found by pkg-config): every
 * libvirt call says so (see libvirt.h). Left out of builds with libvirt. */
#include "vmm/libvirt.h"

#include "core/error.h"

static int not_built(void)
{
    return va_fail(VMACCEL_ENOTSUP, "this libvmaccel was built without libvirt support "
                   "(install libvirt-dev and rebuild)");
}

int va_libvirt_take_vm(vmaccel_vm *vm, const char *uri)
{
    (void)vm;
    (void)uri;
    return not_built();
}

int va_libvirt_bind_vcpus(vmaccel_vm *vm)
{
    (void)vm;
    return not_built();
}

int va_libvirt_find_vcpus(vmaccel_vm *vm)
{
    (void)vm;
    return not_built();
}

VMACCEL_API int vmaccel_vm_attach_libvirt(vmaccel_manager *m, const char *uri,
                                          const char *domain, const vmaccel_vm_options *opts,
                                          vmaccel_vm **out)
{
    (void)m;
    (void)uri;
    (void)domain;
    (void)opts;
    if (out)
        *out = NULL;
    return not_built();
}

VMACCEL_API int vmaccel_libvirt_domains(const char *uri, vmaccel_buf *out)
{
    (void)uri;
    if (out)
        *out = (vmaccel_buf){0};
    return not_built();
}
