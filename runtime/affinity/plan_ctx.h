/*
 * Internal to the planner: derived topology facts (usable PUs, core / L3 /
 * node of each PU, PUs grouped by node) and the running loads shared by the
 * greedy planner, the score and the exhaustive reference solver.
 */
#ifndef VA_AFFINITY_PLAN_CTX_H
#define VA_AFFINITY_PLAN_CTX_H

#include "affinity/planner.h"

typedef struct va_weights {
    double loc, cache, share, spread;
} va_weights;

typedef struct va_plan_ctx {
    const va_plan_input *in;
    const vmaccel_topology *t;
    unsigned npus, nnodes, ncores, nl3;
    size_t nvcpus;
    unsigned *core_of, *l3_of, *node_of;   /* per PU; l3 may be NO_INDEX */
    bool *usable;                          /* per PU */
    unsigned nusable;
    unsigned *node_usable;                 /* usable PUs per node */
    unsigned *core_usable;                 /* usable PUs per core */
    unsigned *node_first, *node_pu;        /* usable PUs grouped by node */
    unsigned *node_end;                    /* node n's PUs that may still take
                                              a vCPU: node_pu[first..end) */
    vmaccel_strategy *strat;               /* per VM, resolved */

    /* Running state (va_ctx_reset_loads). */
    unsigned *load;                        /* vCPUs per PU (incl. base) */
    unsigned *core_n;                      /* vCPUs per core */
    unsigned *core_k;                      /* busy PUs per core */
    double *core_w;                        /* share weights per core */
    unsigned *node_n;                      /* vCPUs per node */
    unsigned cap_base;                     /* PU loads end at cap_base or */
    size_t extra_left;                     /* cap_base + 1 for this many */

    /* Per-VM scratch: the current VM's vCPUs per core / L3 / node. */
    unsigned *vm_core, *vm_l3, *vm_node;
    double *scratch;                       /* 3 * nnodes doubles */
} va_plan_ctx;

int va_ctx_init(va_plan_ctx *c, const va_plan_input *in);
void va_ctx_free(va_plan_ctx *c);

/* Clears loads to base_load and recomputes the PU capacities. */
void va_ctx_reset_loads(va_plan_ctx *c);

/* Whether PU p may take one more vCPU under the even-load rule. */
static inline bool va_ctx_room(const va_plan_ctx *c, unsigned p)
{
    return c->usable[p] && (c->load[p] < c->cap_base ||
                            (c->load[p] == c->cap_base && c->extra_left > 0));
}

/* Records / removes one vCPU of VM `vm` on PU p (loads, capacity). Only a
 * place made while va_ctx_room(p) held may be removed. */
void va_ctx_place(va_plan_ctx *c, size_t vm, unsigned p);
void va_ctx_unplace(va_plan_ctx *c, size_t vm, unsigned p);

va_weights va_strategy_weights(vmaccel_strategy s);

/* SMT throughput of a core with k busy PUs, in single-thread units. */
static inline double va_core_capacity(unsigned k)
{
    return k ? 1.0 + 0.3 * (double)(k - 1) : 0.0;
}

/* Pair value of two PUs for the cache term. */
double va_pair_value(const va_plan_ctx *c, unsigned a, unsigned b);

/* Memory share per node of VM i into f (nnodes); false if unknown. */
bool va_mem_fraction(const va_plan_ctx *c, size_t i, double *f);

/* Spread target of VM i into t (nnodes) for its strategy. */
void va_spread_target(const va_plan_ctx *c, size_t i, double *t);

/* Score of pu[]: _placed when the loads already hold exactly pu[]; the
 * other resets the loads and places pu[] first. */
double va_ctx_score_placed(const va_plan_ctx *c, const unsigned *pu,
                           double *vm_score);
double va_ctx_score(va_plan_ctx *c, const unsigned *pu, double *vm_score);

/* Hard rules on the current loads (see va_plan_valid). */
bool va_ctx_even(const va_plan_ctx *c, char *why, size_t why_len);

#endif
