/*
 * Internal: the walk cache. It remembers, per translation regime, the
 * address of the last-level (level 3) table that covers an input region, so
 * that a miss reads one descriptor instead of up to four, and a nested miss
 * skips the stage-1 upper levels together with their stage-2 walks.
 *
 * Entries carry the IOTLB generation of their space (ASID/VMID/all
 * invalidations drop them in O(1), as for the IOTLB) plus a walk-cache
 * epoch that range invalidations bump, since a TLBI by address may change
 * any table above the leaves. Direct-mapped and bounded; used only under
 * the model's lock.
 */
#ifndef VA_SMMU_WCACHE_H
#define VA_SMMU_WCACHE_H

#include <stdbool.h>
#include <stdint.h>

#define VA_WC_ENTRIES 1024u

typedef struct va_wce {
    uint64_t tag;      /* regime tag, 0: empty */
    uint64_t prefix;   /* input address >> (span of one level-3 table) */
    uint64_t table;    /* level-3 table address, as the descriptor had it */
    uint64_t gen;
    unsigned attrs;    /* accumulated APTable << 2 | PXNTable << 1 | UXNTable */
} va_wce;

typedef struct va_wcache {
    va_wce e[VA_WC_ENTRIES];
    uint64_t epoch;    /* bumped by range invalidations */
    uint64_t hits, fills;
} va_wcache;

/* What a walk needs to use the cache: the regime's tag and its current
 * generation (space generations + epoch). */
typedef struct va_wc_ref {
    va_wcache *wc;
    uint64_t tag;
    uint64_t gen;
} va_wc_ref;

bool va_wc_get(const va_wc_ref *r, uint64_t prefix, uint64_t *table, unsigned *attrs);
void va_wc_put(const va_wc_ref *r, uint64_t prefix, uint64_t table, unsigned attrs);

#endif
