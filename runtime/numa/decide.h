/*
 * Internal: the host-wide rebalance decision. One call per engine period
 * decides for every VM at once, from the host model (model.h) alone: pure,
 * no OS calls, deterministic.
 *
 * For each VM whose gate opened (policy.h: it stayed below the threshold,
 * or is clearly misplaced, and its cooldown is over) and that has no
 * migration under way, each of its clients gets its best fix of each kind:
 *  - move vCPUs: each movable vCPU goes to the allowed node with most of
 *    the client's memory that has room (model.h: va_model_room), largest
 *    share first - the best placement for the client, and for a client
 *    wider than a node a spread in proportion;
 *  - migrate memory: to the allowed node where most of its vCPUs run, at
 *    most what that node has free above its reserve.
 * A fix counts only when it raises the client's modelled rate by at least
 * `min_gain`. The kinds a VM may use follow its strategy (LoadBalanced:
 * memory only; LocalFirst/BandwidthOptimized: vCPUs when that reaches the
 * threshold) and the engine's fix option; otherwise the better one per
 * unit of cost wins: gain = the client's weight x its rate increase, cost
 * = bytes migrated, a vCPU move costing `vcpu_move_cost_bytes`.
 *
 * Then the fixes are taken greedily, best gain per cost first, each
 * re-computed against the capacity the earlier ones left (so two VMs never
 * claim the same free PUs or free memory). A vCPU move that finds its best
 * node full tries an exchange: a client with vCPUs on that node that is no
 * worse off on the node the first one leaves swaps places with it. Failing
 * that, the other kind of fix is tried; failing that, the VM gets "no fix"
 * with the reason. Migrations are taken only while the bytes already
 * queued plus theirs finish within `horizon_s` at the budget.
 */
#ifndef VA_NUMA_DECIDE_H
#define VA_NUMA_DECIDE_H

#include "numa/model.h"

typedef struct va_decide_config {
    double threshold;              /* a fix must reach... (for prefer_move) */
    double min_gain;               /* least rate increase worth an action */
    uint64_t vcpu_move_cost_bytes; /* a vCPU move costs like this much memory */
    uint64_t migrate_bytes_per_s;  /* the migration budget */
    double horizon_s;              /* queued + new migrations finish within */
    uint64_t queued_bytes;         /* migrations under way, not yet done */
} va_decide_config;

void va_decide_config_defaults(va_decide_config *c);

typedef enum va_action_kind {
    VA_ACT_MOVE_VCPUS = 1,
    VA_ACT_MIGRATE = 2
} va_action_kind;

#define VA_NO_PARTNER UINT32_MAX

typedef struct va_action {
    va_action_kind kind;
    unsigned client;           /* acted on; its VM is clients[client].vm */
    unsigned partner;          /* an exchange's other move, or VA_NO_PARTNER */
    unsigned target;           /* MIGRATE: the node the memory goes to;
                                  MOVE: the node most moved vCPUs go to */
    unsigned moved;            /* MOVE: vCPUs that change node */
    uint64_t bytes;            /* MIGRATE: bytes to move there */
    double rate_before;        /* the client's modelled rate, before/after */
    double rate_after;
    double gain;               /* weight x rate increase */
    double cost_bytes;
    double seconds;            /* MIGRATE: at the budget */
} va_action;

typedef struct va_no_fix {
    unsigned vm;
    char why[200];
} va_no_fix;

typedef struct va_decision_set {
    unsigned nodes;
    size_t nactions;
    va_action *actions;
    /* MOVE actions: the client's movable vCPUs per node afterwards,
     * `nodes` entries at action index * nodes (unused for MIGRATE). */
    unsigned *vcpus_after;
    size_t nno_fix;
    va_no_fix *no_fix;         /* VMs that wanted a fix and get none */
    double rate_before, rate_after; /* host-wide, modelled */
} va_decision_set;

/* Decides. `model` is not changed. 0, or VMACCEL_ENOMEM. Release the set
 * with va_decision_release (also after an error). */
int va_decide(const va_decide_config *c, const va_host_model *model,
              va_decision_set *out);
void va_decision_release(va_decision_set *d);

#endif
