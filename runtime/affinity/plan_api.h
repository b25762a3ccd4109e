/* Internal: the public plan object and the Placement messages of reports. */
#ifndef VA_AFFINITY_PLAN_API_H
#define VA_AFFINITY_PLAN_API_H

#include "affinity/planner.h"
#include "report/arena.h"
#include "vmaccel.pb-c.h"

struct vmaccel_plan {
    va_handle handle;
    const vmaccel_topology *topo;   /* borrowed */
    vmaccel_strategy strategy;
    vmaccel_smt_policy smt;
    bool *reserved;                 /* per logical PU */
    va_plan_vm *vms;
    uint64_t **mem;                 /* owned copies, per VM (or NULL) */
    size_t nvms, cap;
    va_plan plan;
    bool computed;
};

/* A Placement of `n` vCPUs on OS CPUs cpus[i], nodes[i], in arena `a`;
 * NULL when out of memory. */
Vmaccel__V1__Placement *va_placement_msg(uint64_t vm_id, const unsigned *cpus,
                                         const unsigned *nodes, size_t n, double score,
                                         vmaccel_strategy s, va_arena *a);

#endif
