/*
 * Internal: the applier. It carries out a placement on a VM's vCPU threads
 * through the platform seam and never decides anything: the masks come
 * from the planner (or a caller). Called with vm->lock held.
 *
 * Before each action it checks, through the VM's pidfd, that the VMM is
 * still the process attached, and that the thread id still names the
 * thread discovered (start time). Each thread gets its own result; a
 * failing thread does not stop the others. The first change to a thread
 * saves its original affinity, nice and policy.
 */
#ifndef VA_AFFINITY_APPLY_H
#define VA_AFFINITY_APPLY_H

#include "vmm/vm_internal.h"

typedef struct va_apply_req {
    bool dry_run;
    bool set_nice;
    int nice;                 /* -20..19 */
    int policy;               /* -1: unchanged; else SCHED_OTHER/FIFO/RR */
    int rt_priority;
} va_apply_req;

/* Pins vCPUs [0, n) to targets[i] (clipped to the VMM's cpuset); an empty
 * targets[i] leaves vCPU i alone (its result unchanged). Returns 0
 * when every thread succeeded, else the first failure's code with a message
 * listing the failures; VMACCEL_EGONE without any change when the VMM has
 * exited. */
int va_apply(vmaccel_vm *vm, const va_cpumask *targets, size_t n,
             const va_apply_req *req);

/* Reads the originals of vCPUs [0, n) that are not saved yet and marks
 * what `req` will change on each, without changing any thread (nothing on
 * a dry run). Same per-thread results and summary as va_apply. */
int va_capture(vmaccel_vm *vm, size_t n, const va_apply_req *req);

/* Gives back the saved originals of every thread vmaccel changed. */
int va_restore(vmaccel_vm *vm);

#endif
