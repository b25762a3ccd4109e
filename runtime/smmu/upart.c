/*
 * Utility-based IOTLB partitioning (after Qureshi & Patt, "Utility-Based
 * Cache Partitioning", MICRO 2006). Each stream has a utility monitor: a
 * shadow LRU stack over a sample of its accesses (1 in 2^k, so one stack
 * position stands for 2^k IOTLB entries). A hit at stack position d means
 * the access would hit with more than d*2^k entries, so the histogram is
 * the stream's marginal-hit curve. The lookahead allocation then hands out
 * capacity in units of 2^k entries to the stream with the highest hits per
 * unit over any extension, which lets a stream whose curve only rises
 * after several units (a working set) win over a streaming device whose
 * curve is flat at zero.
 */
#include "smmu/iotlb.h"

#include <string.h>

void va_iotlb_umon_access(va_iotlb *t, uint32_t owner, uint64_t hash)
{
    if (owner >= t->nparts || !t->part[owner].umon)
        return;
    va_umon *u = t->part[owner].umon;
    uint64_t key = hash | 1; /* 0 never occurs in the stack */
    uint32_t pos = u->n;
    for (uint32_t i = 0; i < u->n; i++)
        if (u->sh[i] == key) {
            pos = i;
            break;
        }
    if (pos < u->n) {
        u->hist[pos]++;
    } else if (u->n < t->umon_len) {
        pos = u->n++;
    } else {
        pos = u->n - 1; /* the least recent sample falls off */
    }
    memmove(&u->sh[1], &u->sh[0], pos * sizeof u->sh[0]);
    u->sh[0] = key;
    u->samples++;
}

/* Best hits-per-unit over extending `have` by 1..left units. */
static double best_gain(const va_umon *u, uint32_t have, uint32_t left,
                        uint32_t len, uint32_t *units)
{
    double best = 0;
    uint64_t sum = 0;
    *units = 1;
    for (uint32_t k = 1; k <= left && have + k <= len; k++) {
        sum += u->hist[have + k - 1];
        double g = (double)sum / k;
        if (g > best) {
            best = g;
            *units = k;
        }
    }
    return best;
}

void va_iotlb_repartition(va_iotlb *t)
{
    uint32_t n = t->nparts, len = t->umon_len, unit = 1u << t->umon_shift;
    if (!n)
        return;
    uint32_t alloc[VA_UMON_STREAMS];
    if (n > VA_UMON_STREAMS) {
        /* Lookahead over many streams costs O(n * len^2); with more
         * streams than that, keep equal shares. */
        for (uint32_t i = 0; i < n; i++)
            t->part[i].quota = t->cap / n;
        return;
    }
    memset(alloc, 0, sizeof alloc);
    uint32_t left = len;
    while (left) {
        double best = 0;
        uint32_t who = VA_NIL, units = 1;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t k;
            double g = best_gain(t->part[i].umon, alloc[i], left, len, &k);
            if (g > best) {
                best = g;
                who = i;
                units = k;
            }
        }
        if (who == VA_NIL)
            break; /* no stream gains from more: share the rest */
        alloc[who] += units;
        left -= units;
    }
    for (uint32_t i = 0; i < n; i++) {
        t->part[i].quota = alloc[i] * unit + (left * unit) / n;
        /* Age the curves so that a change of phase shows up. */
        for (uint32_t d = 0; d < len; d++)
            t->part[i].umon->hist[d] /= 2;
    }
    t->repartitions++;
}
