/*
 * Internal: moving guest RAM to one node, a window of pages at a time. The
 * migrator (migrator.h) hands windows to its workers and spends its byte
 * budget on what each window really moves.
 *
 * A window is up to VA_MIGRATE_WINDOW pages of one region, claimed from a
 * migration's cursor. Scanning it asks the kernel where its pages are
 * (move_pages status). Moving it goes by 2 MiB chunks first: the first
 * misplaced page of each chunk moves alone, since a transparent huge page
 * moves whole with any of its 4 KiB pages (and its other 511 pages, asked
 * to move in the same call, would come back -EBUSY); then one other
 * misplaced page of each such chunk is asked about: if it came along, the
 * chunk was a huge page and moved whole; if not, the chunk's other pages
 * (4 KiB pages) move, in one call with those of chunks whose head failed.
 * Pages the kernel cannot move (EBUSY: pinned or under I/O; ENOMEM: the
 * target node is full) are counted and skipped, never retried in a loop.
 * Windows are independent: several workers may move windows of one
 * migration at once (unless its vCPUs stop for them: migrator.h).
 */
#ifndef VA_NUMA_MIGRATE_H
#define VA_NUMA_MIGRATE_H

#include "numa/sampler.h"
#include "platform/platform.h"

#include <stdbool.h>

#define VA_MIGRATE_WINDOW 4096u /* pages per window: 16 MiB */

typedef struct va_mig_counts {
    uint64_t pages_moved, pages_failed, pages_already;
    int last_error;            /* a -errno the kernel reported, or 0 */
} va_mig_counts;

typedef struct va_migration {
    bool active;               /* windows left to claim */
    int pid;
    int target_os_node;        /* the kernel's node number */
    unsigned target_node;      /* logical */
    size_t region;             /* cursor: region index */
    uint64_t offset;           /* cursor: byte offset in it */
    va_mig_counts done;        /* what the finished windows did */
} va_migration;

/* One claimed window and, once scanned, its misplaced pages. */
typedef struct va_mig_window {
    uint64_t start;
    size_t npages;
    size_t misplaced;
} va_mig_window;

/* Scratch for one window's page lists (heap: ~ 112 KiB); one per worker. */
typedef struct va_migrate_buf va_migrate_buf;
int va_migrate_buf_new(va_migrate_buf **out);
void va_migrate_buf_free(va_migrate_buf *b);

void va_migration_begin(va_migration *mg, int pid, unsigned target_node,
                        int target_os_node);

/* Claims the next window from the cursor; false (and mg->active false)
 * when the regions are done. No system call. */
bool va_migration_claim(va_migration *mg, const va_sample_region *regions, size_t nregions,
                        va_mig_window *w);

/* Asks where the window's pages are; keeps the misplaced ones in buf
 * (w->misplaced), counts those already in place. 0, or a seam error
 * (VMACCEL_EGONE: the process exited). */
int va_migration_scan(const va_migration *mg, const va_platform *p, va_mig_window *w,
                      va_migrate_buf *buf, va_mig_counts *out);

/* Moves the scanned window's misplaced pages and counts them. */
int va_migration_move(const va_migration *mg, const va_platform *p, const va_mig_window *w,
                      va_migrate_buf *buf, va_mig_counts *out);

/* Moves every page of the process on other nodes to the target in one
 * call (migrate_pages(2)). Counts what could not move as failed; the
 * moved pages are `estimated_pages` minus those. */
int va_migration_whole(const va_migration *mg, const va_platform *p,
                       uint64_t estimated_pages, va_mig_counts *out);

/* Adds a window's counts to a migration's. */
void va_mig_counts_add(va_mig_counts *to, const va_mig_counts *from);

#endif
