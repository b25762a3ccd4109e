/* Finding a QEMU's vCPU threads and RAM backends through QMP, for a QEMU
 * whose threads carry no names (started without -name ...,debug-threads=on). */
#include "vmm/qmp.h"
#include "vmm/vm_internal.h"

#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int va_vm_take_qmp_cpus(vmaccel_vm *vm, const char *reply, size_t len, const char *via)
{
    size_t n = 0;
    va_qmp_cpu *cpus = calloc(VA_QMP_MAX_CPUS, sizeof *cpus);
    int rc = cpus ? va_qmp_parse_cpus(reply, len, cpus, VA_QMP_MAX_CPUS, &n)
                  : va_fail(VMACCEL_ENOMEM, "out of memory for QMP vCPUs");
    va_vcpu *vcpus = rc ? NULL : calloc(n, sizeof *vcpus);
    if (!rc && !vcpus)
        rc = va_fail(VMACCEL_ENOMEM, "out of memory for vCPUs");
    for (size_t i = 0; !rc && i < n; i++) {
        rc = va_vcpu_fill(vm, &vcpus[i], cpus[i].index, cpus[i].tid);
        if (rc == VMACCEL_EGONE)
            rc = va_fail(VMACCEL_EPARSE, "%s says vCPU %u runs on thread %d, which is not a "
                         "thread of process %d (another QEMU's monitor?)", via, cpus[i].index,
                         cpus[i].tid, vm->pid);
        vcpus[i].guest_node = cpus[i].node;
    }
    free(cpus);
    if (rc) {
        free(vcpus);
        return rc;
    }
    free(vm->vcpus);
    vm->vcpus = vcpus;
    vm->nvcpus = n;
    vm->vmm = VMACCEL_VMM_QEMU;
    rc = va_vm_check_indices(vm);
    if (rc) {
        free(vm->vcpus);
        vm->vcpus = NULL;
        vm->nvcpus = 0;
    }
    return rc;
}

/* A backend bound to host nodes is the operator's memory placement. */
static void judge_memdevs(vmaccel_vm *vm)
{
    va_limit *pin = &vm->qemu_mem_pin;
    memset(pin, 0, sizeof *pin);
    for (size_t i = 0; i < vm->nmemdevs; i++) {
        const va_memdev *d = &vm->memdevs[i];
        if (!strcmp(d->policy, "default") || va_cpumask_empty(&d->host_nodes))
            continue;
        char nodes[64];
        va_cpumask_format(&d->host_nodes, nodes, sizeof nodes);
        if (!pin->set)
            snprintf(pin->source, sizeof pin->source, "QEMU memory backend %s: policy %s, "
                     "host-nodes %s", d->id[0] ? d->id : "(no id)", d->policy, nodes);
        pin->set = true;
        pin->origin = VA_ORIGIN_QEMU;
        for (unsigned n = 0; n < VA_MAX_CPUS; n++)
            if (va_cpumask_isset(&d->host_nodes, n))
                va_cpumask_set(&pin->mask, n);
    }
}

int va_vm_take_qmp_memdevs(vmaccel_vm *vm, const char *reply, size_t len)
{
    size_t n = 0;
    int rc = va_qmp_parse_memdevs(reply, len, vm->memdevs, VA_VM_MAX_MEMDEVS, &n);
    vm->nmemdevs = rc ? 0 : n;
    judge_memdevs(vm);
    return rc;
}

static int query(va_qmp *q, const char *command, char **reply, size_t *len)
{
    int rc = va_qmp_query(q, command, reply, len);
    if (rc)
        *reply = NULL;
    return rc;
}

int va_vm_find_vcpus_qmp(vmaccel_vm *vm, const char *socket_path)
{
    va_qmp q;
    int rc = va_qmp_open(socket_path, &q);
    if (rc)
        return rc;
    char *cpus = NULL, *memdevs = NULL;
    size_t clen = 0, mlen = 0;
    if (q.peer_pid != vm->pid)
        rc = va_fail(VMACCEL_EINVAL, "QMP socket %s is served by process %d, not by %d",
                     socket_path, q.peer_pid, vm->pid);
    if (!rc)
        rc = query(&q, "query-cpus-fast", &cpus, &clen);
    /* query-memdev is optional (QEMU < 2.1 lacks it): the vCPUs suffice. */
    int mrc = rc ? rc : query(&q, "query-memdev", &memdevs, &mlen);
    va_qmp_close(&q);
    char via[160];
    snprintf(via, sizeof via, "QMP socket %s", socket_path);
    if (!rc)
        rc = va_vm_take_qmp_cpus(vm, cpus, clen, via);
    if (!rc && !mrc)
        rc = va_vm_take_qmp_memdevs(vm, memdevs, mlen);
    else if (!rc && mrc != VMACCEL_ENOTSUP)
        rc = mrc; /* a bad reply, not a missing command */
    if (!rc)
        vm->discovery = VMACCEL_DISCOVERY_QMP;
    free(cpus);
    free(memdevs);
    return rc;
}
