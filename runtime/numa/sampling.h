/*
 * Internal: choosing which guest pages to ask the kernel about.
 *
 * Asking move_pages(2) for the node of every page of a 4 GiB VM costs a
 * million lookups; the share of pages per node is a proportion, so a random
 * sample of n pages estimates it within a stated error. For a proportion p
 * at confidence z, n0 = z^2 p (1 - p) / e^2 (worst case p = 0.5), and a
 * finite population N needs only n = n0 / (1 + (n0 - 1) / N).
 */
#ifndef VA_NUMA_SAMPLING_H
#define VA_NUMA_SAMPLING_H

#include <stddef.h>
#include <stdint.h>

#define VA_Z_95 1.959963984540054 /* two-sided 95% normal quantile */

/* Pages to sample from `population` pages so that every node's share is
 * within `error` (0.02 = 2 percentage points) at confidence `z`. Never more
 * than the population; at least 1 when population > 0. */
size_t va_sample_size(uint64_t population, double error, double z);

/* The same for a proportion whose variance p (1 - p) is at most `pq`
 * (0.25 is the worst case): a placement concentrated on one node needs
 * far fewer pages for the same error. */
size_t va_sample_size_pq(uint64_t population, double error, double z, double pq);

/* A small, fast PRNG (xorshift64*): deterministic for a given seed, so the
 * simulated platform replays exactly. */
typedef struct va_rng {
    uint64_t state;
} va_rng;

void va_rng_seed(va_rng *r, uint64_t seed);
uint64_t va_rng_next(va_rng *r);
/* Uniform in [0, bound) without modulo bias; bound > 0. */
uint64_t va_rng_below(va_rng *r, uint64_t bound);

/* Fills `out` with n distinct page indices in [0, population), ascending:
 * one uniformly random page from each of n equal strata. O(n) whatever the
 * population, and a stratified sample's variance is never above a simple
 * random sample's, so va_sample_size's bound holds. 0 < n <= population. */
void va_sample_pages(va_rng *r, uint64_t population, size_t n, uint64_t *out);

#endif
