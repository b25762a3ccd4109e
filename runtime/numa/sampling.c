#include "sampling.h"

#include <math.h>

size_t va_sample_size(uint64_t population, double error, double z)
{
    return va_sample_size_pq(population, error, z, 0.25);
}

size_t va_sample_size_pq(uint64_t population, double error, double z, double pq)
{
    if (population == 0)
        return 0;
    if (!(error > 0.0) || !(z > 0.0) || !(pq >= 0.0))
        return (size_t)population;
    double n0 = z * z * (pq < 0.25 ? pq : 0.25) / (error * error);
    double n = n0 / (1.0 + (n0 - 1.0) / (double)population);
    double rounded = ceil(n);
    if (rounded >= (double)population)
        return (size_t)population;
    return rounded < 1.0 ? 1 : (size_t)rounded;
}

void va_rng_seed(va_rng *r, uint64_t seed)
{
    r->state = seed ? seed : 0x9e3779b97f4a7c15ull;
}

uint64_t va_rng_next(va_rng *r)
{
    uint64_t x = r->state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->state = x;
    return x * 0x2545f4914f6cdd1dull;
}

uint64_t va_rng_below(va_rng *r, uint64_t bound)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t v;
    do
        v = va_rng_next(r);
    while (v >= limit);
    return v % bound;
}

void va_sample_pages(va_rng *r, uint64_t population, size_t n, uint64_t *out)
{
    /* Stratum k is [floor(k*N/n), floor((k+1)*N/n)); the bounds advance by
     * N/n with the remainder carried, so no division per page. */
    uint64_t step = population / n, rem = population % n, carry = 0, lo = 0;
    for (size_t k = 0; k < n; k++) {
        uint64_t width = step;
        carry += rem;
        if (carry >= n) {
            carry -= n;
            width++;
        }
        out[k] = lo + va_rng_below(r, width);
        lo += width;
    }
}
