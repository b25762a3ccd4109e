/* VMs: attach by pid, register in-process, detach, the pidfd guard. */
#include "vmm/vm_internal.h"
#include "numa/engine.h"

#include "core/error.h"
#include "loop/events.h"
#include "vmm/libvirt.h"
#include "vmm/limits.h"
#include "vmm/procfs.h"
#include "vmm/qmp.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int va_vm_check(const vmaccel_vm *vm)
{
    return va_handle_check(vm, VA_HANDLE_VM, "VM");
}

const va_platform *va_manager_platform(const vmaccel_manager *m)
{
    return m->platform ? m->platform : va_platform_os();
}

VMACCEL_API void vmaccel_vm_options_init(vmaccel_vm_options *opts)
{
    if (opts) {
        vmaccel_vm_options init = VMACCEL_VM_OPTIONS_INIT;
        *opts = init;
    }
}

/* The caller's options as the current version: an older, shorter struct
 * is read only as far as it goes, the rest keeps its defaults. */
static int check_options(const vmaccel_vm_options *in, vmaccel_vm_options *o)
{
    vmaccel_vm_options init = VMACCEL_VM_OPTIONS_INIT;
    *o = init;
    if (in->version == 1)
        memcpy(o, in, offsetof(vmaccel_vm_options, qmp_socket));
    else if (in->version == VMACCEL_VM_OPTIONS_VERSION)
        *o = *in;
    else
        return va_fail(VMACCEL_EINVAL, "VM options version %u, expected 1..%u "
                       "(initialise with VMACCEL_VM_OPTIONS_INIT)", in->version,
                       VMACCEL_VM_OPTIONS_VERSION);
    o->version = VMACCEL_VM_OPTIONS_VERSION;
    if ((o->nvcpu_tids && !o->vcpu_tids) || (o->nmemory && !o->memory))
        return va_fail(VMACCEL_EINVAL, "a VM option has a count but no array");
    if (o->nmemory > VA_VM_MAX_REGIONS)
        return va_fail(VMACCEL_EINVAL, "%zu memory ranges (at most %d)", o->nmemory,
                       VA_VM_MAX_REGIONS);
    for (size_t i = 0; i < o->nmemory; i++)
        if (!o->memory[i].length || o->memory[i].start + o->memory[i].length < o->memory[i].start)
            return va_fail(VMACCEL_EINVAL, "memory range %zu is empty or wraps", i);
    return 0;
}

static void destroy(vmaccel_vm *vm)
{
    if (vm->pidfd >= 0)
        vm->plat->pidfd_close(vm->plat, vm->pidfd);
    if (vm->own_plat && vm->own_plat_free)
        vm->own_plat_free(vm->own_plat);
    pthread_mutex_destroy(&vm->lock);
    va_vm_free_cells(vm);
    free(vm->vcpus);
    free(vm);
}

static vmaccel_vm *alloc_vm(vmaccel_manager *m, int pid, bool in_process)
{
    vmaccel_vm *vm = calloc(1, sizeof *vm);
    if (!vm)
        return NULL;
    pthread_mutex_init(&vm->lock, NULL);
    vm->m = m;
    vm->pid = pid;
    vm->pidfd = -1;
    vm->in_process = in_process;
    vm->plat = va_manager_platform(m);
    return vm;
}

static void set_name(vmaccel_vm *vm, const vmaccel_vm_options *o)
{
    if (o->name) {
        snprintf(vm->name, sizeof vm->name, "%s", o->name);
        return;
    }
    /* QEMU's -name is what its user calls the VM; else the process name. */
    char *cmdline = NULL;
    size_t len = 0;
    bool named = !vm->in_process &&
                 vm->plat->read_proc(vm->plat, vm->pid, 0, "cmdline", &cmdline, &len) == 0 &&
                 va_qemu_guest_name(cmdline, len, vm->name, sizeof vm->name);
    free(cmdline);
    if (named)
        return;
    char comm[16] = "";
    va_thread_comm(vm->plat, vm->pid, 0, comm, sizeof comm);
    snprintf(vm->name, sizeof vm->name, "%s", comm);
}

static void take_memory(vmaccel_vm *vm, const vmaccel_vm_options *o)
{
    for (size_t i = 0; i < o->nmemory; i++) {
        vm->regions[i].start = o->memory[i].start;
        vm->regions[i].length = o->memory[i].length;
    }
    vm->nregions = o->nmemory;
}

/* Registers the handle and links the VM into the manager's list. */
static int publish(vmaccel_manager *m, vmaccel_vm *vm, vmaccel_vm **out)
{
    int rc = va_handle_register(&vm->handle, VA_HANDLE_VM);
    if (rc)
        return rc;
    pthread_mutex_lock(&m->lock);
    vm->id = ++m->next_vm_id;
    vm->next = m->vms;
    m->vms = vm;
    size_t nvms = ++m->nvms;
    pthread_mutex_unlock(&m->lock);
    va_events_fit_vms(m, nvms); /* before its VM_ATTACHED, which it makes room for */
    va_vm_emit(vm, VMACCEL_EVENT_VM_ATTACHED, "VM %llu \"%s\" (pid %d, %zu vCPUs) attached",
               (unsigned long long)vm->id, vm->name, vm->pid, vm->nvcpus);
    va_clear_error();
    *out = vm;
    return 0;
}

/* Guest NUMA nodes are a help, not a need: a layout that cannot be read
 * leaves the VM one client, and says why where the report shows it. */
static void note_cells(vmaccel_vm *vm)
{
    if (va_vm_find_cells(vm) != 0)
        snprintf(vm->cells_source, sizeof vm->cells_source, "unread: %s",
                 vmaccel_error_last());
    va_clear_error();
}

/* Through libvirt when asked, or when the process is a libvirt domain's
 * QEMU (and libvirt answers); directly otherwise, saying why. */
static int choose_control(vmaccel_vm *vm, const vmaccel_vm_options *o)
{
    char uuid[40];
    if (o->libvirt_uri && !*o->libvirt_uri)
        return 0;
    if (o->libvirt_uri)
        return va_libvirt_take_vm(vm, o->libvirt_uri);
    if (!va_libvirt_looks_managed(vm->plat, vm->pid, uuid, sizeof uuid))
        return 0;
    int rc = va_libvirt_take_vm(vm, NULL);
    if (rc)
        snprintf(vm->control_note, sizeof vm->control_note, "a libvirt domain's QEMU (UUID "
                 "%s), acted on directly: %s; libvirt's view (virsh vcpupin) will not "
                 "show vm-accel's changes", uuid, vmaccel_error_last());
    return 0;
}

static int find_vcpus(vmaccel_vm *vm, const vmaccel_vm_options *o)
{
    if (o->vcpu_tids)
        return va_vm_take_vcpus(vm, o->vcpu_tids, o->nvcpu_tids);
    if (o->qmp_socket)
        return va_vm_find_vcpus_qmp(vm, o->qmp_socket);
    int rc = va_vm_find_vcpus(vm);
    /* No thread names: libvirt's monitor knows them (query-cpus-fast). */
    if (rc == VMACCEL_ENOENT && vm->control == VMACCEL_CONTROL_LIBVIRT)
        rc = va_libvirt_find_vcpus(vm);
    return rc;
}

static int attach(vmaccel_vm *vm, const vmaccel_vm_options *o)
{
    int rc = vm->plat->pidfd_open(vm->plat, vm->pid, &vm->pidfd);
    if (!rc)
        rc = va_thread_start(vm->plat, vm->pid, vm->pid, &vm->start);
    if (!rc)
        rc = choose_control(vm, o);
    if (!rc)
        rc = find_vcpus(vm, o);
    if (!rc && vm->control == VMACCEL_CONTROL_LIBVIRT)
        rc = va_libvirt_bind_vcpus(vm);
    if (!rc && o->memory)
        take_memory(vm, o);
    else if (!rc)
        rc = va_vm_find_memory(vm);
    if (!rc && !o->memory)
        note_cells(vm);
    /* The process may have exited and its pid been reused while we read:
     * the pidfd still names the process we opened. */
    if (!rc)
        rc = vm->plat->pidfd_alive(vm->plat, vm->pidfd);
    if (!rc)
        set_name(vm, o);
    if (!rc)
        rc = va_vm_refresh_limits(vm);
    return rc;
}

VMACCEL_API int vmaccel_vm_attach_pid(vmaccel_manager *m, int pid,
                                      const vmaccel_vm_options *opts, vmaccel_vm **out)
{
    vmaccel_vm_options defaults = VMACCEL_VM_OPTIONS_INIT, o;
    int rc = va_manager_check(m);
    if (rc)
        return rc;
    if (!out)
        return va_fail(VMACCEL_EINVAL, "vmaccel_vm_attach_pid: out is NULL");
    *out = NULL;
    if (pid <= 0)
        return va_fail(VMACCEL_EINVAL, "pid %d is not a process id", pid);
    if ((rc = check_options(opts ? opts : &defaults, &o)))
        return rc;
    vmaccel_vm *vm = alloc_vm(m, pid, false);
    if (!vm)
        return va_fail(VMACCEL_ENOMEM, "out of memory for a VM");
    rc = attach(vm, &o);
    if (!rc)
        rc = publish(m, vm, out);
    if (rc)
        destroy(vm);
    return rc;
}

VMACCEL_API int vmaccel_vm_register(vmaccel_manager *m, const vmaccel_vm_options *opts,
                                    vmaccel_vm **out)
{
    int rc = va_manager_check(m);
    if (rc)
        return rc;
    if (!opts || !out)
        return va_fail(VMACCEL_EINVAL, "vmaccel_vm_register: options or out is NULL");
    *out = NULL;
    vmaccel_vm_options o;
    if ((rc = check_options(opts, &o)))
        return rc;
    if (!o.vcpu_tids)
        return va_fail(VMACCEL_EINVAL, "vmaccel_vm_register needs the vCPU thread ids");
    vmaccel_vm *vm = alloc_vm(m, (int)getpid(), true);
    if (!vm)
        return va_fail(VMACCEL_ENOMEM, "out of memory for a VM");
    rc = va_vm_take_vcpus(vm, o.vcpu_tids, o.nvcpu_tids);
    if (!rc) {
        take_memory(vm, &o);
        set_name(vm, &o);
        rc = va_vm_refresh_limits(vm);
    }
    if (!rc)
        rc = publish(m, vm, out);
    if (rc)
        destroy(vm);
    return rc;
}

static void unlink_vm(vmaccel_manager *m, vmaccel_vm *vm)
{
    for (vmaccel_vm **p = &m->vms; *p; p = &(*p)->next)
        if (*p == vm) {
            *p = vm->next;
            m->nvms--;
            return;
        }
}

VMACCEL_API void vmaccel_vm_detach(vmaccel_vm *vm)
{
    if (!vm)
        return;
    if (!va_handle_unregister(vm, VA_HANDLE_VM)) {
        va_fail(VMACCEL_EINVAL, "vmaccel_vm_detach: freed or foreign VM handle");
        return;
    }
    pthread_mutex_lock(&vm->m->lock);
    unlink_vm(vm->m, vm);
    pthread_mutex_unlock(&vm->m->lock);
    va_numa_vm_detached(vm); /* waits for an engine period using it */
    destroy(vm);
}

void va_vm_detach_all(vmaccel_manager *m)
{
    pthread_mutex_lock(&m->lock);
    vmaccel_vm *vm = m->vms;
    m->vms = NULL;
    m->nvms = 0;
    pthread_mutex_unlock(&m->lock);
    while (vm) {
        vmaccel_vm *next = vm->next;
        va_handle_unregister(vm, VA_HANDLE_VM);
        va_numa_vm_detached(vm); /* its migration stops before its pidfd closes */
        destroy(vm);
        vm = next;
    }
}

void va_vm_mark_gone(vmaccel_vm *vm, const char *why)
{
    if (vm->gone)
        return;
    vm->gone = true;
    va_vm_emit(vm, VMACCEL_EVENT_VM_GONE, "VM %llu \"%s\" (pid %d) is gone: %s",
               (unsigned long long)vm->id, vm->name, vm->pid, why);
}

int va_vm_guard(vmaccel_vm *vm)
{
    if (vm->gone)
        return va_fail(VMACCEL_EGONE, "VM %llu (pid %d) is gone",
                       (unsigned long long)vm->id, vm->pid);
    if (vm->in_process)
        return 0; /* our own pid cannot be recycled while we run */
    int rc = vm->plat->pidfd_alive(vm->plat, vm->pidfd);
    if (rc == VMACCEL_EGONE) {
        char why[160];
        snprintf(why, sizeof why, "process %d exited", vm->pid);
        va_vm_mark_gone(vm, why);
        return va_fail(VMACCEL_EGONE, "VM %llu: the VMM process %d exited (its pid "
                       "may now name another process, which is left alone)",
                       (unsigned long long)vm->id, vm->pid);
    }
    return rc;
}

int va_vcpu_guard(vmaccel_vm *vm, va_vcpu *v)
{
    unsigned long long start;
    if (v->gone)
        return va_fail(VMACCEL_EGONE, "vCPU %u thread %d has exited", v->index, v->tid);
    int rc = va_thread_start(vm->plat, vm->pid, v->tid, &start);
    if (rc == VMACCEL_EGONE || (!rc && start != v->start)) {
        v->gone = true;
        return va_fail(VMACCEL_EGONE, "vCPU %u thread %d has exited%s", v->index, v->tid,
                       rc ? "" : " (its tid now names another thread)");
    }
    return rc;
}

VMACCEL_API int vmaccel_vm_refresh(vmaccel_vm *vm)
{
    int rc = va_vm_check(vm);
    if (rc)
        return rc;
    pthread_mutex_lock(&vm->lock);
    rc = va_vm_guard(vm);
    size_t alive = 0;
    for (size_t i = 0; !rc && i < vm->nvcpus; i++) {
        int r = va_vcpu_guard(vm, &vm->vcpus[i]);
        if (r && r != VMACCEL_EGONE)
            rc = r;
        alive += r == 0;
    }
    if (!rc && alive == 0) {
        va_vm_mark_gone(vm, "every vCPU thread exited");
        rc = va_fail(VMACCEL_EGONE, "VM %llu: every vCPU thread exited",
                     (unsigned long long)vm->id);
    }
    pthread_mutex_unlock(&vm->lock);
    if (!rc)
        rc = va_vm_refresh_limits(vm);
    if (!rc)
        va_clear_error();
    return rc;
}

VMACCEL_API int vmaccel_vm_attach_qmp(vmaccel_manager *m, const char *path,
                                      const vmaccel_vm_options *opts, vmaccel_vm **out)
{
    vmaccel_vm_options defaults = VMACCEL_VM_OPTIONS_INIT, o;
    int rc = va_manager_check(m);
    if (!rc && (!out || !path))
        rc = va_fail(VMACCEL_EINVAL, "vmaccel_vm_attach_qmp: path or out is NULL");
    if (!rc)
        rc = check_options(opts ? opts : &defaults, &o);
    if (rc)
        return rc;
    *out = NULL;
    va_qmp q;
    if ((rc = va_qmp_open(path, &q)) != 0)
        return rc;
    int pid = q.peer_pid;
    va_qmp_close(&q);
    o.qmp_socket = path;
    return vmaccel_vm_attach_pid(m, pid, &o, out);
}
