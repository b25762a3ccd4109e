/* Read-only queries on a VM: info, vCPUs, memory regions. */
#include "vmm/vm_internal.h"

#include "core/error.h"
#include "vmm/procfs.h"

#include <stdio.h>
#include <string.h>

static int check_version(unsigned have, unsigned want, const char *what)
{
    return have == want ? 0 : va_fail(VMACCEL_EINVAL, "%s version %u, expected %u",
                                      what, have, want);
}

VMACCEL_API int vmaccel_vm_info_get(const vmaccel_vm *vm, vmaccel_vm_info *info)
{
    int rc = va_vm_check(vm);
    if (!rc && !info)
        rc = va_fail(VMACCEL_EINVAL, "info is NULL");
    if (!rc && info->version != 1) /* version 1 stops at name: fill no further */
        rc = check_version(info->version, VMACCEL_VM_INFO_VERSION, "vmaccel_vm_info");
    if (rc)
        return rc;
    vmaccel_vm *v = (vmaccel_vm *)vm;
    pthread_mutex_lock(&v->lock);
    info->id = vm->id;
    info->pid = vm->pid;
    info->in_process = vm->in_process;
    info->gone = vm->gone;
    info->vmm = vm->vmm;
    info->vcpu_count = (unsigned)vm->nvcpus;
    info->memory_regions = (unsigned)vm->nregions;
    info->memory_bytes = 0;
    for (size_t i = 0; i < vm->nregions; i++)
        info->memory_bytes += vm->regions[i].length;
    snprintf(info->name, sizeof info->name, "%s", vm->name);
    if (info->version >= 2) {
        info->discovery = vm->discovery;
        info->control = vm->control;
        snprintf(info->domain, sizeof info->domain, "%s", vm->domain);
        snprintf(info->control_note, sizeof info->control_note, "%s", vm->control_note);
    }
    pthread_mutex_unlock(&v->lock);
    return 0;
}

static int vcpu_args(const vmaccel_vm *vm, unsigned index)
{
    int rc = va_vm_check(vm);
    if (!rc && index >= vm->nvcpus)
        rc = va_fail(VMACCEL_ERANGE, "vCPU %u: the VM has %zu vCPUs", index, vm->nvcpus);
    return rc;
}

VMACCEL_API int vmaccel_vm_vcpu(const vmaccel_vm *vm, unsigned index,
                                vmaccel_vcpu_info *info)
{
    int rc = vcpu_args(vm, index);
    if (!rc && !info)
        rc = va_fail(VMACCEL_EINVAL, "info is NULL");
    if (!rc)
        rc = check_version(info->version, VMACCEL_VCPU_INFO_VERSION, "vmaccel_vcpu_info");
    if (rc)
        return rc;
    vmaccel_vm *v = (vmaccel_vm *)vm;
    pthread_mutex_lock(&v->lock);
    const va_vcpu *c = &vm->vcpus[index];
    info->index = c->index;
    info->tid = c->tid;
    info->gone = c->gone || vm->gone;
    info->planned_cpu = c->planned_cpu;
    info->planned_node = c->planned_node;
    info->result = c->result;
    info->pinned = c->pinned;
    snprintf(info->thread_name, sizeof info->thread_name, "%s", c->name);
    info->last_cpu = -1;
    if (!info->gone)
        va_thread_last_cpu(vm->plat, vm->pid, c->tid, &info->last_cpu);
    pthread_mutex_unlock(&v->lock);
    va_clear_error();
    return 0;
}

VMACCEL_API int vmaccel_vm_vcpu_allowed_cpus(const vmaccel_vm *vm, unsigned index,
                                             unsigned *cpus, size_t cap, size_t *count)
{
    int rc = vcpu_args(vm, index);
    if (!rc && (!count || (cap && !cpus)))
        rc = va_fail(VMACCEL_EINVAL, "count is NULL, or cpus is NULL with cap > 0");
    if (rc)
        return rc;
    vmaccel_vm *v = (vmaccel_vm *)vm;
    va_cpumask m;
    pthread_mutex_lock(&v->lock);
    rc = va_vm_guard(v);
    if (!rc)
        rc = va_vcpu_guard(v, &v->vcpus[index]);
    if (!rc)
        rc = vm->plat->get_affinity(vm->plat, vm->vcpus[index].tid, &m);
    pthread_mutex_unlock(&v->lock);
    if (rc)
        return rc;
    size_t n = 0;
    for (unsigned c = 0; c < VA_MAX_CPUS; c++)
        if (va_cpumask_isset(&m, c)) {
            if (n < cap)
                cpus[n] = c;
            n++;
        }
    *count = n;
    return 0;
}

VMACCEL_API int vmaccel_vm_memory_region(const vmaccel_vm *vm, unsigned index,
                                         vmaccel_memory_region_info *info)
{
    int rc = va_vm_check(vm);
    if (!rc && !info)
        rc = va_fail(VMACCEL_EINVAL, "info is NULL");
    if (!rc)
        rc = check_version(info->version, VMACCEL_MEMORY_REGION_INFO_VERSION,
                           "vmaccel_memory_region_info");
    if (!rc && index >= vm->nregions)
        rc = va_fail(VMACCEL_ERANGE, "memory region %u: the VM has %zu", index,
                     vm->nregions);
    if (rc)
        return rc;
    info->start = vm->regions[index].start;
    info->length = vm->regions[index].length;
    snprintf(info->name, sizeof info->name, "%s", vm->regions[index].name);
    return 0;
}
