/*
 * Internal: the vCPU placement planner. A pure function of its input: no OS
 * calls, no globals, deterministic. Strategies, score and guarantees are
 * documented in vmaccel/affinity.h; this header is the internal contract.
 *
 * vCPUs are numbered VM-major: VM 0's vCPUs first, then VM 1's, ...
 * PUs are logical indices into topo->pus.
 */
#ifndef VA_AFFINITY_PLANNER_H
#define VA_AFFINITY_PLANNER_H

#include "topology/topo.h"
#include "vmaccel/affinity.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VA_PLAN_MAX_VCPUS 4096   /* per VM */

typedef struct va_plan_vm {
    unsigned nvcpus;
    /* Bytes per logical NUMA node (topology's node count entries), or NULL
     * when unknown. */
    const uint64_t *mem_per_node;
    vmaccel_strategy strategy;
    /* Observed metrics for ADAPTIVE (ignored otherwise). */
    bool have_metrics;
    double local_rate;      /* 0..1: share of accesses that were local */
    double cpu_demand;      /* vCPUs' runnable share, 0..nvcpus */
} va_plan_vm;

typedef struct va_plan_input {
    const vmaccel_topology *topo;
    /* Per logical PU, true = reserved for host/emulator threads; NULL: none.
     * Disallowed PUs come from topo->pus[].allowed. */
    const bool *reserved;
    /* Per logical PU, vCPUs already running there that this plan does not
     * move (other VMs); NULL: none. They count for load and SMT sharing. */
    const unsigned *base_load;
    vmaccel_smt_policy smt;
    size_t nvms;
    const va_plan_vm *vms;
} va_plan_input;

typedef struct va_plan {
    size_t nvms, nvcpus;
    size_t *first;                 /* nvms + 1: VM i's vCPUs are
                                      [first[i], first[i+1]) */
    unsigned *pu;                  /* per vCPU: logical PU */
    vmaccel_strategy *strategy;    /* per VM: ADAPTIVE resolved */
    double *vm_score;              /* per VM */
    double score;                  /* vCPU-weighted mean of vm_score */
} va_plan;

/* Computes a placement. Errors: VMACCEL_EINVAL (bad input), VMACCEL_ENOENT
 * (no usable PU), VMACCEL_ENOMEM. Release with va_plan_release. */
int va_plan_compute(const va_plan_input *in, va_plan *out);
void va_plan_release(va_plan *p);

/* The strategy ADAPTIVE picks for VM `i` (others are returned as is). */
vmaccel_strategy va_plan_resolve(const va_plan_input *in, size_t i);

/* Scores the assignment pu[] (one logical PU per vCPU) of `in`; fills
 * vm_score (nvms entries) when not NULL. Returns -1 on bad input or out
 * of memory. Pure. */
double va_plan_score(const va_plan_input *in, const unsigned *pu,
                     double *vm_score);

/* Whether pu[] obeys the hard rules: usable PUs only, even PU loads, and
 * for LOAD_BALANCED plans (every VM LOAD_BALANCED) even node and core
 * loads among nodes/cores with equal usable PU counts. Writes a reason
 * into why (may be NULL). */
bool va_plan_valid(const va_plan_input *in, const unsigned *pu, char *why,
                   size_t why_len);

/* Reference solver for tests and the quality benchmark: the best score
 * over every valid placement, enumerating each VM's vCPUs as a multiset
 * of PUs. VMACCEL_ERANGE when more than max_leaves placements would be
 * scored. Fills *out like va_plan_compute. */
int va_plan_exhaustive(const va_plan_input *in, uint64_t max_leaves,
                       va_plan *out);

#endif
