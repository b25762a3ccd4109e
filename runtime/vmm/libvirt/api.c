/* Attaching libvirt domains and listing them (the public API), and the
 * calls vm.c makes for VMs under libvirt (see vmm/libvirt.h). */
#include "vmm/libvirt/lv.h"

#include "core/error.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int take_vm(vmaccel_vm *vm, const char *uri)
{
    virConnectPtr conn;
    virDomainPtr dom = NULL;
    char uuid[40] = "";
    char *cmdline = NULL;
    size_t len = 0;
    int rc = vm->plat->read_proc(vm->plat, vm->pid, 0, "cmdline", &cmdline, &len);
    if (!rc && !va_qemu_uuid(cmdline, len, uuid, sizeof uuid))
        rc = va_fail(VMACCEL_EINVAL, "process %d is no libvirt domain's QEMU (no -uuid on "
                     "its command line)", vm->pid);
    free(cmdline);
    if (rc || (rc = lv_open(uri, &conn)) != 0)
        return rc;
    rc = lv_lookup(conn, uuid, &dom);
    if (!rc)
        rc = lv_check_domain_pid(dom, vm->plat, vm->pid);
    lv_vm *v = NULL;
    if (!rc)
        rc = lv_vm_new(conn, dom, uri, &v);
    if (rc) {
        if (dom)
            lv_api.virDomainFree(dom);
        lv_api.virConnectClose(conn);
        return rc;
    }
    vm->own_plat = lv_vm_platform(v);
    vm->own_plat_free = lv_vm_free;
    vm->plat = vm->own_plat;
    vm->control = VMACCEL_CONTROL_LIBVIRT;
    snprintf(vm->domain, sizeof vm->domain, "%s", lv_api.virDomainGetName(dom));
    return 0;
}

int va_libvirt_take_vm(vmaccel_vm *vm, const char *uri)
{
    lv_quiet q;
    lv_quiet_begin(&q);
    int rc = take_vm(vm, uri);
    lv_quiet_end(&q);
    return rc;
}

int va_libvirt_bind_vcpus(vmaccel_vm *vm)
{
    if (vm->control != VMACCEL_CONTROL_LIBVIRT || !vm->own_plat)
        return va_fail(VMACCEL_ESTATE, "VM %d is not under libvirt control", vm->pid);
    lv_vm *v = lv_vm_of(vm->own_plat);
    int rc = lv_vm_bind(v, vm->vcpus, vm->nvcpus);
    return rc ? rc : lv_vm_guest_nodes(v, vm->vcpus, vm->nvcpus);
}

static int find_vcpus(vmaccel_vm *vm)
{
    if (vm->control != VMACCEL_CONTROL_LIBVIRT || !vm->own_plat)
        return va_fail(VMACCEL_ESTATE, "VM %d is not under libvirt control", vm->pid);
    virDomainPtr dom = lv_vm_domain(lv_vm_of(vm->own_plat));
    char *reply = NULL;
    size_t len = 0;
    int rc = lv_monitor_query(dom, "query-cpus-fast", &reply, &len);
    char via[128];
    snprintf(via, sizeof via, "libvirt domain %s's QEMU monitor", vm->domain);
    if (!rc)
        rc = va_vm_take_qmp_cpus(vm, reply, len, via);
    free(reply);
    reply = NULL;
    if (!rc && lv_monitor_query(dom, "query-memdev", &reply, &len) == 0)
        rc = va_vm_take_qmp_memdevs(vm, reply, len);
    free(reply);
    if (!rc)
        vm->discovery = VMACCEL_DISCOVERY_LIBVIRT_MONITOR;
    return rc;
}

int va_libvirt_find_vcpus(vmaccel_vm *vm)
{
    lv_quiet q;
    lv_quiet_begin(&q);
    int rc = find_vcpus(vm);
    lv_quiet_end(&q);
    return rc;
}

static int attach_libvirt(vmaccel_manager *m, const char *uri, const char *domain,
                          const vmaccel_vm_options *opts, vmaccel_vm **out)
{
    if (!out || !domain)
        return va_fail(VMACCEL_EINVAL, "vmaccel_vm_attach_libvirt: domain or out is NULL");
    *out = NULL;
    virConnectPtr conn;
    virDomainPtr dom;
    int rc = lv_open(uri, &conn), pid = 0;
    if (rc)
        return rc;
    char uuid[VIR_UUID_STRING_BUFLEN] = "", *actual = NULL;
    rc = lv_lookup(conn, domain, &dom);
    if (!rc) {
        if (lv_api.virDomainGetUUIDString(dom, uuid) < 0)
            rc = lv_fail(VMACCEL_EIO, "libvirt domain %s: UUID", domain);
        if (!rc)
            rc = lv_domain_pid(uuid, lv_api.virDomainGetName(dom), &pid);
        lv_api.virDomainFree(dom);
    }
    /* The VM opens its own connection, to the URI this one resolved to. */
    if (!rc && !(actual = lv_api.virConnectGetURI(conn)))
        rc = lv_fail(VMACCEL_EIO, "libvirt: the connection's URI");
    lv_api.virConnectClose(conn);
    if (!rc) {
        vmaccel_vm_options defaults = VMACCEL_VM_OPTIONS_INIT, o = defaults;
        if (opts && opts->version == VMACCEL_VM_OPTIONS_VERSION)
            o = *opts;
        else if (opts && opts->version == 1)
            memcpy(&o, opts, offsetof(vmaccel_vm_options, qmp_socket));
        o.version = VMACCEL_VM_OPTIONS_VERSION;
        o.libvirt_uri = actual;
        rc = vmaccel_vm_attach_pid(m, pid, &o, out);
    }
    free(actual);
    return rc;
}

VMACCEL_API int vmaccel_vm_attach_libvirt(vmaccel_manager *m, const char *uri,
                                          const char *domain, const vmaccel_vm_options *opts,
                                          vmaccel_vm **out)
{
    lv_quiet q;
    lv_quiet_begin(&q);
    int rc = attach_libvirt(m, uri, domain, opts, out);
    lv_quiet_end(&q);
    return rc;
}

static int list_domains(const char *uri, vmaccel_buf *out)
{
    if (!out)
        return va_fail(VMACCEL_EINVAL, "vmaccel_libvirt_domains: out is NULL");
    *out = (vmaccel_buf){0};
    virConnectPtr conn;
    int rc = lv_open(uri, &conn);
    if (rc)
        return rc;
    virDomainPtr *doms = NULL;
    int n = lv_api.virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
    if (n < 0)
        rc = lv_fail(VMACCEL_EIO, "listing libvirt's running domains");
    char *text = n >= 0 ? malloc((size_t)n * VIR_UUID_STRING_BUFLEN + 1) : NULL;
    if (n >= 0 && !text)
        rc = va_fail(VMACCEL_ENOMEM, "out of memory listing domains");
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        char uuid[VIR_UUID_STRING_BUFLEN];
        if (text && lv_api.virDomainGetUUIDString(doms[i], uuid) == 0)
            used += (size_t)sprintf(text + used, "%s\n", uuid);
        lv_api.virDomainFree(doms[i]);
    }
    free(doms);
    lv_api.virConnectClose(conn);
    if (rc) {
        free(text);
        return rc;
    }
    text[used] = '\0';
    *out = (vmaccel_buf){(uint8_t *)text, used};
    va_clear_error();
    return 0;
}

VMACCEL_API int vmaccel_libvirt_domains(const char *uri, vmaccel_buf *out)
{
    lv_quiet q;
    lv_quiet_begin(&q);
    int rc = list_domains(uri, out);
    lv_quiet_end(&q);
    return rc;
}
