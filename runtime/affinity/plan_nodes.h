/* Internal to the planner: per-node quotas of one VM. */
#ifndef VA_AFFINITY_PLAN_NODES_H
#define VA_AFFINITY_PLAN_NODES_H

#include "affinity/plan_ctx.h"

typedef struct va_quota {
    unsigned *q;              /* vCPUs of the VM per node */
    unsigned *qbase, *qplus;  /* of which below cap_base / optional slots */
    unsigned *base, *plus;    /* free slots per node at the VM's start */
    unsigned *idle;           /* cores without any vCPU, per node */
    size_t extra;             /* optional slots left host-wide */
} va_quota;

void va_quota_begin(const va_plan_ctx *c, va_quota *q);
unsigned va_quota_avail(const va_plan_ctx *c, const va_quota *q, unsigned n);

/* Fills q->q for VM i by its strategy. The quotas may sum to less than
 * its vCPU count only when base loads left too little room. */
void va_quota_vm(const va_plan_ctx *c, size_t i, va_quota *q);

#endif
