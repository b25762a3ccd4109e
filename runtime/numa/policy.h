/*
 * Internal: the rebalance policy's per-VM gate. Each period it looks at a
 * VM's measured local rate and says whether the VM should get a fix now;
 * which fix, and whether the host has room for it, is the host-wide
 * decision's business (decide.h). Pure: it never calls the OS.
 *
 * Never thrashing, by construction:
 *  - trigger: the local rate must stay below `threshold` for
 *    `trigger_samples` consecutive periods - unless the VM is clearly
 *    misplaced: even the sample's error bound above the rate stays below
 *    `clear_fraction` x threshold (a VM at 0% measured to +-2 pp), which
 *    needs no second look;
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
 * The cooldown starts when the engine really acts (va_policy_acted), not
 * when the gate opens: a VM the host has no room for asks again next
 * period.
 */
#ifndef VA_NUMA_POLICY_H
#define VA_NUMA_POLICY_H

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
    double clear_fraction;       /* clearly misplaced below this x threshold (0.5) */
    unsigned cooldown_samples;   /* minimum periods between actions (5) */
    unsigned max_backoff_shift;  /* cooldown grows up to 2^this (4) */
} va_policy_config;

void va_policy_config_defaults(va_policy_config *c);

/* Per-VM policy memory. Zero-initialise. */
typedef struct va_policy_state {
    unsigned low_streak;
    unsigned since_action;       /* periods since the last action */
    unsigned backoff_shift;      /* cooldown = cooldown_samples << this */
    unsigned actions;
} va_policy_state;

/* One period: counts the sample (rate NaN: nothing measured, the period
 * only ages the cooldown) and returns whether the VM should get a fix now.
 * `error` is the measurement's error bound (0.02 = 2 pp). */
bool va_policy_gate(const va_policy_config *c, va_policy_state *s, double rate,
                    double error);

/* The engine acted on the VM: the cooldown starts (longer after a relapse). */
void va_policy_acted(const va_policy_config *c, va_policy_state *s);

#endif
