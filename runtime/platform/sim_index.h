/*
 * Internal: the simulated host's lookup tables - a map from a 64-bit key
 * (a pid, a tid, a pid and tid pair) to an index into one of its arrays,
 * so that a sim of thousands of VMs finds a thread or a scripted file in
 * constant time. Open addressing, grown at half full. Not thread-safe:
 * the sim's lock guards it.
 */
#ifndef VA_PLATFORM_SIM_INDEX_H
#define VA_PLATFORM_SIM_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_NO_INDEX SIZE_MAX

typedef struct sim_index {
    uint64_t *keys;     /* key + 1; 0: empty */
    size_t *values;
    size_t used, slots; /* slots: a power of two */
} sim_index;

/* Makes room for one more item in a growing array (*items, *cap; count
 * in use), doubling from `first`. False when out of memory. */
bool sim_grow(void **items, size_t *cap, size_t count, size_t size, size_t first);

/* The value stored for key, or SIM_NO_INDEX. */
size_t sim_index_get(const sim_index *ix, uint64_t key);
/* Stores (or replaces) key -> value. VMACCEL_ENOMEM when it cannot grow. */
int sim_index_put(sim_index *ix, uint64_t key, size_t value);
void sim_index_free(sim_index *ix);

#endif
