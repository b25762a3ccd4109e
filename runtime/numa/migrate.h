/*
 * Internal: moving a VM's guest RAM to one node, a window of pages at a
 * time. The migrator (migrator.h) calls it, spending its byte budget on
 * what each window really moves.
 *
 * A window is up to VA_MIGRATE_WINDOW pages of one region. Scanning it
 * asks the kernel where its pages are (move_pages status). Moving it goes
 * by 2 MiB chunks first: the first misplaced page of each chunk moves
 * alone, since a transparent huge page moves whole with any of its 4 KiB
 * pages (and its other 511 pages, asked to move in the same call, would
 * come back -EBUSY); then the chunk's other pages are asked again, and
 * only those still elsewhere (4 KiB pages) move, in one call. Pages the
 * kernel cannot move (EBUSY: pinned or under I/O; ENOMEM: the target
 * node is full) are counted and skipped, never retried in a loop.
 */
#ifndef VA_NUMA_MIGRATE_H
#define VA_NUMA_MIGRATE_H

#include "numa/sampler.h"
#include "platform/platform.h"

#include <stdbool.h>

#define VA_MIGRATE_WINDOW 4096u /* pages per window: 16 MiB */

typedef struct va_migration {
    bool active;
    int pid;
    int target_os_node;        /* the kernel's node number */
    unsigned target_node;      /* logical */
    size_t region;             /* cursor: region index */
    uint64_t offset;           /* cursor: byte offset in it */
    uint64_t pages_moved, pages_failed, pages_already;
    int last_error;            /* a -errno the kernel reported, or 0 */
    /* The scanned window, waiting to be moved. */
    uint64_t win_start;
    size_t win_pages, win_misplaced;
} va_migration;

/* Scratch for one window's page lists (heap: ~ 112 KiB). */
typedef struct va_migrate_buf va_migrate_buf;
int va_migrate_buf_new(va_migrate_buf **out);
void va_migrate_buf_free(va_migrate_buf *b);

void va_migration_begin(va_migration *mg, int pid, unsigned target_node,
                        int target_os_node);

/* Scans the next window that has misplaced pages (skipping, uncharged,
 * those already in place, at most VA_MIGRATE_WINDOW * 64 pages per call).
 * Then mg->win_misplaced > 0 says a window waits for va_migration_move;
 * mg->active false says the regions are done. 0, or a seam error
 * (VMACCEL_EGONE: the process exited). */
int va_migration_scan(va_migration *mg, const va_platform *p,
                      const va_sample_region *regions, size_t nregions,
                      va_migrate_buf *buf);

/* Moves the scanned window's misplaced pages and counts them. 0, or a
 * seam error (the migration ends). */
int va_migration_move(va_migration *mg, const va_platform *p, va_migrate_buf *buf);

/* Moves every page of the process on other nodes to the target in one
 * call (migrate_pages(2)). Counts what could not move as failed; the
 * moved pages are `estimated_pages` minus those. */
int va_migration_whole(va_migration *mg, const va_platform *p, uint64_t estimated_pages);

#endif
