/* Finding a VM's vCPU threads: by thread name, or from a caller's list. */
#include "vmm/procfs.h"
#include "vmm/vm_internal.h"

#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int va_vcpu_fill(vmaccel_vm *vm, va_vcpu *v, unsigned index, int tid)
{
    memset(v, 0, sizeof *v);
    v->index = index;
    v->tid = tid;
    v->planned_cpu = -1;
    v->guest_node = -1;
    int rc = va_thread_start(vm->plat, vm->pid, tid, &v->start);
    if (!rc)
        rc = va_thread_comm(vm->plat, vm->pid, tid, v->name, sizeof v->name);
    return rc;
}

static int by_index(const void *a, const void *b)
{
    const va_vcpu *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Indices must be exactly 0..n-1: a gap or a duplicate means the names
 * were not what we think (or a thread exited while we looked). */
int va_vm_check_indices(const vmaccel_vm *vm)
{
    for (size_t i = 0; i < vm->nvcpus; i++) {
        const va_vcpu *v = &vm->vcpus[i];
        if (i > 0 && v->index == v[-1].index)
            return va_fail(VMACCEL_EPARSE, "process %d: threads %d and %d both claim "
                           "vCPU %u (\"%s\")", vm->pid, v[-1].tid, v->tid, v->index, v->name);
        if (v->index != i)
            return va_fail(VMACCEL_EPARSE, "process %d: vCPU %zu is missing (found "
                           "%zu vCPU threads, the highest is vCPU %u)", vm->pid, i,
                           vm->nvcpus, vm->vcpus[vm->nvcpus - 1].index);
    }
    return 0;
}

static void note_name(char *seen, size_t len, const char *name, unsigned *count)
{
    if (strstr(seen, name) || *count >= 8)
        return;
    size_t used = strlen(seen);
    snprintf(seen + used, len - used, "%s\"%s\"", used ? ", " : "", name);
    (*count)++;
}

/* Matches every thread of the process by name; threads that exit while
 * we look are skipped. */
static int match_threads(vmaccel_vm *vm, const int *tids, size_t n, char *seen,
                         size_t seen_len)
{
    unsigned names = 0;
    for (size_t i = 0; i < n; i++) {
        char comm[16];
        vmaccel_vmm_kind kind;
        unsigned index;
        int rc = va_thread_comm(vm->plat, vm->pid, tids[i], comm, sizeof comm);
        if (rc == VMACCEL_EGONE)
            continue;
        if (rc)
            return rc;
        if (!va_vcpu_name_match(comm, &kind, &index)) {
            note_name(seen, seen_len, comm, &names);
            continue;
        }
        if (vm->nvcpus && kind != vm->vmm)
            return va_fail(VMACCEL_EPARSE, "process %d mixes vCPU thread names of "
                           "two VMMs (\"%s\")", vm->pid, comm);
        vm->vmm = kind;
        rc = va_vcpu_fill(vm, &vm->vcpus[vm->nvcpus], index, tids[i]);
        if (rc == VMACCEL_EGONE)
            continue;
        if (rc)
            return rc;
        vm->nvcpus++;
    }
    return 0;
}

int va_vm_find_vcpus(vmaccel_vm *vm)
{
    int *tids = NULL;
    size_t n = 0;
    char seen[512] = "";
    int rc = vm->plat->list_threads(vm->plat, vm->pid, &tids, &n);
    if (rc)
        return rc;
    if (n > VA_VM_MAX_VCPUS)
        n = VA_VM_MAX_VCPUS;
    vm->vcpus = calloc(n + 1, sizeof *vm->vcpus);
    if (!vm->vcpus)
        rc = va_fail(VMACCEL_ENOMEM, "out of memory for vCPUs");
    if (!rc)
        rc = match_threads(vm, tids, n, seen, sizeof seen);
    free(tids);
    if (!rc && vm->nvcpus == 0)
        return va_fail(VMACCEL_ENOENT, "process %d has no vCPU thread (QEMU \"CPU n/KVM\", "
                       "cloud-hypervisor \"vcpuN\", Firecracker \"fc_vcpu N\", crosvm "
                       "\"crosvm_vcpuN\"); its threads are named %s%s", vm->pid, seen,
                       strstr(seen, "qemu") ? " (QEMU names its threads only when started "
                       "with -name NAME,debug-threads=on; give its QMP socket (--qmp), "
                       "or pass the thread ids)" : "");
    if (!rc) {
        qsort(vm->vcpus, vm->nvcpus, sizeof *vm->vcpus, by_index);
        rc = va_vm_check_indices(vm);
    }
    return rc;
}

int va_vm_take_vcpus(vmaccel_vm *vm, const int *tids, size_t n)
{
    if (n == 0 || n > VA_VM_MAX_VCPUS)
        return va_fail(VMACCEL_EINVAL, "%zu vCPU thread ids (1..%d)", n, VA_VM_MAX_VCPUS);
    vm->vcpus = calloc(n, sizeof *vm->vcpus);
    if (!vm->vcpus)
        return va_fail(VMACCEL_ENOMEM, "out of memory for vCPUs");
    vm->vmm = VMACCEL_VMM_EXPLICIT;
    vm->discovery = VMACCEL_DISCOVERY_EXPLICIT;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++)
            if (tids[j] == tids[i])
                return va_fail(VMACCEL_EINVAL, "thread %d is given twice (vCPUs %zu "
                               "and %zu)", tids[i], j, i);
        int rc = tids[i] > 0 ? va_vcpu_fill(vm, &vm->vcpus[i], (unsigned)i, tids[i])
                             : VMACCEL_EGONE;
        if (rc == VMACCEL_EGONE)
            return va_fail(VMACCEL_EINVAL, "vCPU %zu: %d is not a thread of process %d",
                           i, tids[i], vm->pid);
        if (rc)
            return rc;
        vm->nvcpus++;
    }
    return 0;
}
