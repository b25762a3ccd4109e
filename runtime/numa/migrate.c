/* Moving guest RAM a window at a time (migrate.h). */
#include "numa/migrate.h"

#include "core/error.h"

#include <errno.h>
#include <stdlib.h>

#define PAGE 4096u
#define CHUNK_SHIFT 21 /* 2 MiB: a transparent huge page */
/* Pages scanned per va_migration_scan call at most (1 GiB), so a scan
 * over memory already in place stays short. */
#define SCAN_LIMIT (VA_MIGRATE_WINDOW * 64u)

struct va_migrate_buf {
    void *pages[VA_MIGRATE_WINDOW];     /* a call's pages */
    int status[VA_MIGRATE_WINDOW];
    int nodes[VA_MIGRATE_WINDOW];
    void *misplaced[VA_MIGRATE_WINDOW]; /* the scanned window's */
    void *ask[VA_MIGRATE_WINDOW];       /* chunk companions to ask about */
    void *move[VA_MIGRATE_WINDOW];      /* 4 KiB pages to move */
};

int va_migrate_buf_new(va_migrate_buf **out)
{
    *out = malloc(sizeof **out);
    return *out ? 0 : va_fail(VMACCEL_ENOMEM, "out of memory for migration buffers");
}

void va_migrate_buf_free(va_migrate_buf *b)
{
    free(b);
}

void va_migration_begin(va_migration *mg, int pid, unsigned target_node,
                        int target_os_node)
{
    *mg = (va_migration){.active = true, .pid = pid, .target_node = target_node,
                         .target_os_node = target_os_node};
}

static uint64_t chunk_of(const void *page)
{
    return (uint64_t)(uintptr_t)page >> CHUNK_SHIFT;
}

/* A page the kernel answered for: on the target, or a failure to count.
 * -ENOENT/-EFAULT: the guest freed or unmapped it meanwhile (not ours to
 * move, not a failure). */
static void count(va_migration *mg, int status)
{
    if (status == mg->target_os_node) {
        mg->pages_moved++;
    } else if (status != -ENOENT && status != -EFAULT) {
        mg->pages_failed++;
        mg->last_error = status < 0 ? status : -EAGAIN;
    }
}

static int query_nodes(const va_migration *mg, const va_platform *p, void **pages, size_t n,
               int *status)
{
    return n ? p->move_pages(p, mg->pid, n, pages, NULL, status) : 0;
}

static int move_to_target(const va_migration *mg, const va_platform *p, void **pages, size_t n,
                va_migrate_buf *b)
{
    for (size_t i = 0; i < n; i++)
        b->nodes[i] = mg->target_os_node;
    return n ? p->move_pages(p, mg->pid, n, pages, b->nodes, b->status) : 0;
}

/* The window's pages from the cursor; false when the regions are done. */
static bool next_window(va_migration *mg, const va_sample_region *r, size_t nr,
                        va_migrate_buf *b, uint64_t *start, size_t *n)
{
    while (mg->region < nr) {
        uint64_t left = r[mg->region].length > mg->offset
                            ? (r[mg->region].length - mg->offset) / PAGE : 0;
        if (left) {
            *start = r[mg->region].start + mg->offset;
            *n = left < VA_MIGRATE_WINDOW ? (size_t)left : VA_MIGRATE_WINDOW;
            for (size_t i = 0; i < *n; i++)
                b->pages[i] = (void *)(uintptr_t)(*start + i * PAGE);
            mg->offset += *n * PAGE;
            return true;
        }
        mg->region++;
        mg->offset = 0;
    }
    return false;
}

int va_migration_scan(va_migration *mg, const va_platform *p,
                      const va_sample_region *regions, size_t nregions,
                      va_migrate_buf *b)
{
    uint64_t scanned = 0, start;
    size_t n;
    mg->win_misplaced = 0;
    while (mg->active && scanned < SCAN_LIMIT) {
        if (!next_window(mg, regions, nregions, b, &start, &n)) {
            mg->active = false;
            break;
        }
        int rc = query_nodes(mg, p, b->pages, n, b->status);
        if (rc)
            return rc;
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (b->status[i] == mg->target_os_node)
                mg->pages_already++;
            else if (b->status[i] >= 0)
                b->misplaced[k++] = b->pages[i];
        }
        scanned += n;
        if (k) {
            mg->win_start = start;
            mg->win_pages = n;
            mg->win_misplaced = k;
            return 0;
        }
    }
    return 0;
}

/* Sorts the window's misplaced pages: each chunk's first page moves now
 * (b->pages, returns how many); the others are asked about once their
 * head has moved (b->ask, *nask) or moved at once when it did not
 * (b->move, *nmove) - decided after the heads' call, in sort_rest. */
static size_t heads_of(const va_migration *mg, va_migrate_buf *b)
{
    size_t nh = 0;
    uint64_t last = UINT64_MAX;
    for (size_t i = 0; i < mg->win_misplaced; i++)
        if (chunk_of(b->misplaced[i]) != last) {
            last = chunk_of(b->misplaced[i]);
            b->pages[nh++] = b->misplaced[i];
        }
    return nh;
}

static void sort_rest(va_migration *mg, va_migrate_buf *b, size_t *nask, size_t *nmove)
{
    uint64_t last = UINT64_MAX;
    size_t h = 0;
    bool head_moved = false;
    *nask = *nmove = 0;
    for (size_t i = 0; i < mg->win_misplaced; i++) {
        if (chunk_of(b->misplaced[i]) != last) {
            last = chunk_of(b->misplaced[i]);
            head_moved = b->status[h] == mg->target_os_node;
            count(mg, b->status[h++]);
        } else if (head_moved) {
            b->ask[(*nask)++] = b->misplaced[i];
        } else {
            b->move[(*nmove)++] = b->misplaced[i];
        }
    }
}

int va_migration_move(va_migration *mg, const va_platform *p, va_migrate_buf *b)
{
    size_t nh = heads_of(mg, b), nask, nmove;
    int rc = move_to_target(mg, p, b->pages, nh, b);
    if (rc)
        return rc;
    sort_rest(mg, b, &nask, &nmove);
    mg->win_misplaced = 0;
    /* Companions of a head that moved: there already if it was a huge page. */
    if ((rc = query_nodes(mg, p, b->ask, nask, b->status)))
        return rc;
    for (size_t i = 0; i < nask; i++) {
        if (b->status[i] == mg->target_os_node)
            mg->pages_moved++;
        else if (b->status[i] >= 0)
            b->move[nmove++] = b->ask[i];
    }
    if ((rc = move_to_target(mg, p, b->move, nmove, b)))
        return rc;
    for (size_t i = 0; i < nmove; i++)
        count(mg, b->status[i]);
    return 0;
}

int va_migration_whole(va_migration *mg, const va_platform *p, uint64_t estimated_pages)
{
    uint64_t left = 0;
    int rc = p->migrate_pages(p, mg->pid, mg->target_os_node, &left);
    mg->active = false;
    if (rc)
        return rc;
    mg->pages_failed += left;
    mg->pages_moved += estimated_pages > left ? estimated_pages - left : 0;
    if (left)
        mg->last_error = -EBUSY;
    return 0;
}
