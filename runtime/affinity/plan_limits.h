/*
 * Internal: planning one VM whose vCPUs have limits of their own (each
 * thread's cpuset) and some of which the operator placed. Pure, like the
 * planner it drives (planner.h).
 *
 * Kept vCPUs (the operator's placement) are not planned: each counts as
 * load on its PU. The others are grouped by identical allowed PU sets and
 * planned group by group, the most constrained group first, each within
 * its own set, every group's placement counting as load for the next. A VM
 * whose vCPUs share one set and have no kept vCPU is exactly one
 * va_plan_compute call, as before limits existed.
 */
#ifndef VA_AFFINITY_PLAN_LIMITS_H
#define VA_AFFINITY_PLAN_LIMITS_H

#include "affinity/planner.h"

typedef struct va_vcpu_rule {
    const bool *allowed;   /* per logical PU: may go there; NULL: any usable PU */
    bool keep;             /* the operator's placement: not planned */
    unsigned keep_pu;      /* its PU (load), or VMACCEL_NO_INDEX when not one
                              of the topology's */
} va_vcpu_rule;

typedef struct va_limited_input {
    const vmaccel_topology *topo;
    const bool *reserved;            /* per logical PU, or NULL */
    const unsigned *base_load;       /* per logical PU (other VMs), or NULL */
    vmaccel_smt_policy smt;
    vmaccel_strategy strategy;
    const uint64_t *mem_per_node;    /* or NULL */
    unsigned nvcpus;
    const va_vcpu_rule *rules;       /* nvcpus */
} va_limited_input;

typedef struct va_limited_plan {
    unsigned *pu;                    /* per vCPU: logical PU (kept: keep_pu) */
    double score;                    /* vCPU-weighted mean over planned groups */
    vmaccel_strategy strategy;       /* ADAPTIVE resolved (first group's) */
    unsigned planned;                /* vCPUs planned (not kept) */
} va_limited_plan;

/* Errors: those of va_plan_compute; VMACCEL_ENOENT names the vCPUs whose
 * allowed PUs are all reserved or unusable. Release with
 * va_limited_plan_release. */
int va_plan_limited(const va_limited_input *in, va_limited_plan *out);
void va_limited_plan_release(va_limited_plan *p);

#endif
