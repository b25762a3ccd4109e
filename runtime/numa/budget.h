/*
 * Internal: a byte budget (token bucket) for memory migration. Moving pages
 * costs memory bandwidth the guests want; the engine migrates in batches
 * and only as fast as `rate` bytes per second allows, with at most `burst`
 * bytes at once. Time is passed in, so tests and the simulated platform
 * drive it deterministically.
 */
#ifndef VA_NUMA_BUDGET_H
#define VA_NUMA_BUDGET_H

#include <stdint.h>

typedef struct va_budget {
    uint64_t rate;      /* bytes per second */
    uint64_t burst;     /* bucket size in bytes */
    double tokens;      /* bytes available now */
    uint64_t last_ns;   /* time of the last refill */
} va_budget;

/* A full bucket at time now_ns. */
void va_budget_init(va_budget *b, uint64_t rate, uint64_t burst, uint64_t now_ns);

/* Bytes that may be spent now (refills first). */
uint64_t va_budget_available(va_budget *b, uint64_t now_ns);

/* Spends up to `bytes`; returns what was granted (a multiple of `unit`,
 * e.g. the page size, so batches never split a page). */
uint64_t va_budget_take(va_budget *b, uint64_t bytes, uint64_t unit, uint64_t now_ns);

/* Gives back bytes taken but not spent (pages that needed no move). */
void va_budget_refund(va_budget *b, uint64_t bytes);

/* Spends `bytes` whatever is there: the bucket may go into debt, which
 * later refills pay back first (a migration that cannot be split, or a
 * window larger than what is left). */
void va_budget_spend(va_budget *b, uint64_t bytes, uint64_t now_ns);

/* Nanoseconds until `bytes` (at most the burst) may be spent; 0: now. */
uint64_t va_budget_wait_ns(va_budget *b, uint64_t bytes, uint64_t now_ns);

/* A new rate (the bucket keeps what it holds, up to the new burst). */
void va_budget_set_rate(va_budget *b, uint64_t rate, uint64_t burst, uint64_t now_ns);

#endif
