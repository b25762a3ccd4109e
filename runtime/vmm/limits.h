/*
 * Internal: reading and judging each vCPU's limits and the operator's
 * placement (the data and its rules: va_vcpu_limits in vm_internal.h).
 *
 * va_vm_refresh_limits() gathers the facts through the VM's platform seam
 * (the thread's cgroup cpuset, its affinity, and for a VM owned by a
 * management layer such as libvirt, that layer's placement), then
 * va_limits_judge(), a pure function, turns one vCPU's facts into its
 * limits. Tests drive the judge directly and the refresh on the sim.
 */
#ifndef VA_VMM_LIMITS_H
#define VA_VMM_LIMITS_H

#include "vmm/vm_internal.h"

/* One vCPU's facts. Pointers may be NULL where noted. */
typedef struct va_limits_input {
    const va_thread_cpuset *cg;        /* its cgroup cpuset */
    const va_cpumask *affinity;        /* its affinity now */
    const va_cpumask *original;        /* its affinity before vm-accel's first
                                          change (NULL: vm-accel never changed it) */
    const va_cpumask *applied;         /* what vm-accel set (NULL: not pinned by it) */
    const va_managed_vcpu *managed;    /* the management layer's view of it (NULL: none) */
    const va_cpumask *own_cpus;        /* the cpuset vm-accel itself runs in (NULL: unknown) */
    const va_limit *vm_mem_pin;        /* the operator's placement of the VM's memory,
                                          from the layer or QEMU (NULL: none) */
} va_limits_input;

/* Judges one vCPU (rules in vm_internal.h). Pure. */
void va_limits_judge(const va_limits_input *in, va_vcpu_limits *out);

/* Refreshes vm->vcpus[].limits. Locking: takes vm->lock to copy what it
 * needs (pid, tids, saved and applied masks) and again to store the
 * results; the OS reads and any management-layer call (libvirt: one
 * virDomainGetXMLDesc) are made without it, so a slow libvirt never holds
 * the VM's lock. Call it without vm->lock held. A vCPU whose thread exits
 * meanwhile keeps its old limits (and is marked gone by the next guard).
 * Returns 0, VMACCEL_EGONE when the VMM has exited, or the management
 * layer's failure (the limits read from the OS are stored even then).
 * Called at attach, by vmaccel_vm_pin before planning and by
 * vmaccel_vm_refresh; the NUMA engine may call it each period. */
int va_vm_refresh_limits(vmaccel_vm *vm);

/* Whether the operator placed every vCPU of the VM. Takes vm->lock. */
bool va_vm_all_vcpus_pinned(vmaccel_vm *vm);

/* How many vCPUs the last pin left to the operator's placement. Takes
 * vm->lock. */
unsigned va_vm_kept(vmaccel_vm *vm);

/* Whether the operator placed the VM's memory: 1 with the first source
 * written into why (may be NULL), else 0. Takes vm->lock. */
int va_vm_memory_pinned(vmaccel_vm *vm, char *why, size_t len);

#endif
