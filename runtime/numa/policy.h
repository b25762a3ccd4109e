/*
 * Internal: the rebalance policy. Given a VM's locality each sampling
 * period, it decides whether to act and which fix is cheaper: move the
 * vCPUs to their memory's node, or migrate the memory to the vCPUs' node.
 * Pure: it never calls the OS; the engine carries out its decisions.
 *
 * Never thrashing, by construction:
 *  - trigger: the local rate must stay below `threshold` for
 *    `trigger_samples` consecutive periods;
 *  - hysteresis: the low streak resets only when the rate climbs to
 *    threshold + hysteresis, so a rate hovering at the threshold neither
 *    triggers nor re-arms;
 *  - cooldown: at least `cooldown_samples` between actions on a VM;
 *  - backoff: an action needed again within the relapse window of the
 *    previous one shows that the previous did not hold (the fix did not
 *    work, or the workload oscillates), so the cooldown doubles, up to
 *    2^max_backoff_shift times. Only a quiet spell longer than the relapse
 *    window (twice the longest cooldown) resets it. Judging a fix by the
 *    next sample instead would let a square-wave workload look responsive
 *    and be "fixed" every cycle.
 */
#ifndef VA_NUMA_POLICY_H
#define VA_NUMA_POLICY_H

#include "numa/locality.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum va_strategy {
    VA_STRATEGY_LOCAL_FIRST = 0,
    VA_STRATEGY_LOAD_BALANCED = 1,
    VA_STRATEGY_BANDWIDTH_OPTIMIZED = 2,
    VA_STRATEGY_ADAPTIVE = 3
} va_strategy;

typedef struct va_policy_config {
    double threshold;            /* act below this local rate (0.8) */
    double hysteresis;           /* re-arm at threshold + this (0.05) */
    unsigned trigger_samples;    /* K consecutive low samples (3) */
    unsigned cooldown_samples;   /* minimum periods between actions (5) */
    unsigned max_backoff_shift;  /* cooldown grows up to 2^this (4) */
    uint64_t migrate_bytes_per_s;/* memory migration budget (256 MiB/s) */
    uint64_t vcpu_move_cost_bytes; /* a vCPU move costs like migrating this
                                      much memory: cold caches (8 MiB) */
    va_strategy strategy;
    bool allow_move;             /* may move vCPUs (true) */
    bool allow_migrate;          /* may migrate memory (true) */
} va_policy_config;

void va_policy_config_defaults(va_policy_config *c);

/* Per-VM policy memory. Zero-initialise. */
typedef struct va_policy_state {
    unsigned low_streak;
    unsigned since_action;       /* periods since the last action */
    unsigned backoff_shift;      /* cooldown = cooldown_samples << this */
    unsigned actions;
} va_policy_state;

/* What the engine knows of a VM besides its locality. */
typedef struct va_vm_facts {
    unsigned nodes;
    unsigned vcpus;
    unsigned vcpus_on_node[VA_MAX_NODES];   /* where its vCPUs run now */
    unsigned free_pus_on_node[VA_MAX_NODES];/* allowed PUs no other VM uses */
    uint64_t bytes_on_node[VA_MAX_NODES];   /* its memory, estimated */
} va_vm_facts;

typedef enum va_action {
    VA_ACTION_NONE = 0,
    VA_ACTION_MOVE_VCPUS = 1,      /* re-plan the VM's vCPUs onto target_node */
    VA_ACTION_MIGRATE_MEMORY = 2   /* migrate its memory to target_node */
} va_action;

typedef struct va_decision {
    va_action action;
    unsigned target_node;
    uint64_t bytes;             /* memory to migrate */
    unsigned vcpus_moved;       /* vCPUs to move */
    double cost_bytes;          /* the chosen fix's cost in equivalent bytes */
    double seconds;             /* migration time under the budget */
    char why[160];
} va_decision;

/* One sampling period for one VM. `loc` may be NULL (nothing measured):
 * the period counts for the cooldown only. */
void va_policy_step(const va_policy_config *c, va_policy_state *s,
                    const va_locality *loc, const va_vm_facts *f,
                    va_decision *out);

#endif
