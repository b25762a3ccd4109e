/*
 * Internal: migrating a VM's guest RAM to one node, in bounded batches
 * under a byte budget, across as many engine periods as it takes.
 *
 * Each step walks the regions from a cursor: asks where the next pages are
 * (move_pages status), moves those on other nodes (move_pages with
 * nodes), and stops when the budget for this step is spent. Pages the
 * kernel cannot move (EBUSY: pinned or under I/O; ENOMEM: the target node
 * is full) are counted and skipped, never retried in a loop.
 */
#ifndef VA_NUMA_MIGRATE_H
#define VA_NUMA_MIGRATE_H

#include "numa/budget.h"
#include "numa/sampler.h"
#include "platform/platform.h"

#include <stdbool.h>

#define VA_MIGRATE_BATCH 256 /* pages per move_pages call */
/* Pages inspected per step at most (1 GiB), so a step over memory that is
 * already in place stays short even though it costs no budget. */
#define VA_MIGRATE_SCAN_PER_STEP (1u << 18)

typedef struct va_migration {
    bool active;
    int pid;
    int target_os_node;        /* the kernel's node number */
    unsigned target_node;      /* logical */
    size_t region;             /* cursor: region index */
    uint64_t offset;           /* cursor: byte offset in it */
    uint64_t pages_moved, pages_failed, pages_already;
    int last_error;            /* a -errno the kernel reported, or 0 */
} va_migration;

void va_migration_begin(va_migration *mg, int pid, unsigned target_node,
                        int target_os_node);

/* Moves pages until the budget has nothing left, the scan limit is
 * reached or the regions end. The budget pays for moved pages only.
 * Returns 0 (check mg->active: false once the walk is complete), or a
 * seam error (VMACCEL_EGONE: the process exited; the migration ends). */
int va_migration_step(va_migration *mg, const va_platform *p,
                      const va_sample_region *regions, size_t nregions,
                      va_budget *budget);

#endif
