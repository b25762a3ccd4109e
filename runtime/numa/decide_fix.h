/*
 * Internal: one client's best fix of each kind against a host model (see
 * decide.h for the rules). Used by decide.c; pure.
 */
#ifndef VA_NUMA_DECIDE_FIX_H
#define VA_NUMA_DECIDE_FIX_H

#include "numa/decide.h"

typedef struct va_fix {
    bool ok;                  /* worth doing: raises the rate by min_gain */
    va_action_kind kind;
    unsigned target, moved;
    uint64_t bytes;
    double before, after, gain, cost;
    double seconds;           /* MIGRATE: at the budget */
    bool blocked;             /* MOVE: the best node lacked room */
    unsigned best_node;       /* MOVE: the node with most of its memory */
    char why[120];            /* when !ok: why not */
} va_fix;

/* The best vCPU placement for client c given the room the model leaves;
 * `to` (model->nodes entries) receives it. */
void va_fix_move(const va_decide_config *cfg, const va_host_model *m, size_t c,
                 unsigned *to, va_fix *out);

/* The best single-node memory migration for client c. */
void va_fix_migrate(const va_decide_config *cfg, const va_host_model *m, size_t c,
                    va_fix *out);

/* The client's modelled rate if `bytes` of its memory move to node t from
 * its other nodes, in proportion to what each holds. */
double va_fix_rate_after_migration(const va_host_model *m, size_t c, unsigned t,
                                   uint64_t bytes);

#endif
