/*
 * Internal: re-planning a VM after the host's usable CPUs shrank (a CPU
 * went offline, vmaccel's cpuset shrank). Called by the NUMA engine's
 * topology watch (runtime/numa/topology_watch.c).
 *
 * Only the vCPUs planned on (or pinned to) a CPU outside `usable` move;
 * the others stay where they are and count as load. The planner places
 * the moving vCPUs LOCAL_FIRST toward the node each was on, so a vCPU
 * stays on its node when that node has a free usable CPU under the
 * planner's even-load rule, and goes to the nearest node otherwise. Every
 * CPU outside `usable`, outside the VMM's cpuset or offline now is
 * reserved. Pinned vCPUs are re-pinned by the applier (unless dry_run);
 * vCPUs only planned (a dry-run pin) get the new plan. A vCPU whose thread
 * has gone is skipped (marked gone), never acted on.
 */
#ifndef VA_AFFINITY_REPLAN_H
#define VA_AFFINITY_REPLAN_H

#include "vmm/vm_internal.h"

typedef struct va_replan_result {
    unsigned affected;   /* vCPUs planned on a CPU outside `usable` */
    unsigned moved;      /* of them, given a new CPU (re-pinned or planned) */
    char vcpus[128];     /* the affected vCPU indices: "1,3" */
    char moves[256];     /* "vCPU 1: CPU 3 -> 0 (node 0)", "; "-separated */
} va_replan_result;

/* Re-plans `vm` as above. 0 when every affected vCPU got a new CPU (also
 * when none was affected); otherwise the first failure's code with a
 * message (VMACCEL_EGONE: the VMM exited; VMACCEL_ENOENT: no usable CPU
 * left for it; or a thread's failure from the applier). Takes the
 * manager's lock, then VM locks: call with none of them held. */
int va_vm_replan_unusable(vmaccel_vm *vm, const va_cpumask *usable, bool dry_run,
                          va_replan_result *out);

#endif
