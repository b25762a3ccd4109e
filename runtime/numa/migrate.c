/* Moving guest RAM a window at a time (migrate.h). */
#include "numa/migrate.h"

#include "core/error.h"

#include <errno.h>
#include <stdlib.h>

#define PAGE 4096u
#define CHUNK_SHIFT 21 /* 2 MiB: a transparent huge page */
/* Chunks a window spans: its pages over 512, plus a partial one at each end. */
#define WINDOW_CHUNKS ((VA_MIGRATE_WINDOW >> (CHUNK_SHIFT - 12)) + 2)

/* The misplaced pages of one chunk whose head moved: [first, end) in
 * misplaced[], the head excluded. */
typedef struct chunk_rest {
    size_t first, end;
} chunk_rest;

struct va_migrate_buf {
    void *pages[VA_MIGRATE_WINDOW];     /* a call's pages */
    int status[VA_MIGRATE_WINDOW];
    int nodes[VA_MIGRATE_WINDOW];
    void *misplaced[VA_MIGRATE_WINDOW]; /* the scanned window's */
    void *probe[WINDOW_CHUNKS];         /* one companion per moved head */
    chunk_rest rest[WINDOW_CHUNKS];     /* ... and the chunk it stands for */
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

void va_mig_counts_add(va_mig_counts *to, const va_mig_counts *from)
{
    to->pages_moved += from->pages_moved;
    to->pages_failed += from->pages_failed;
    to->pages_already += from->pages_already;
    if (from->last_error)
        to->last_error = from->last_error;
}

static uint64_t chunk_of(const void *page)
{
    return (uint64_t)(uintptr_t)page >> CHUNK_SHIFT;
}

/* A page the kernel answered for: on the target, or a failure to count.
 * -ENOENT/-EFAULT: the guest freed or unmapped it meanwhile (not ours to
 * move, not a failure). */
static void count(const va_migration *mg, int status, va_mig_counts *c)
{
    if (status == mg->target_os_node) {
        c->pages_moved++;
    } else if (status != -ENOENT && status != -EFAULT) {
        c->pages_failed++;
        c->last_error = status < 0 ? status : -EAGAIN;
    }
}

static int query_nodes(const va_migration *mg, const va_platform *p, void **pages, size_t n,
                       int *status)
{
    return n ? p->move_pages(p, mg->pid, n, pages, NULL, status) : 0;
}

static int move_to_target(const va_migration *mg, const va_platform *p, void **pages,
                          size_t n, va_migrate_buf *b)
{
    for (size_t i = 0; i < n; i++)
        b->nodes[i] = mg->target_os_node;
    return n ? p->move_pages(p, mg->pid, n, pages, b->nodes, b->status) : 0;
}

bool va_migration_claim(va_migration *mg, const va_sample_region *r, size_t nr,
                        va_mig_window *w)
{
    while (mg->active && mg->region < nr) {
        uint64_t left = r[mg->region].length > mg->offset
                            ? (r[mg->region].length - mg->offset) / PAGE : 0;
        if (left) {
            w->start = r[mg->region].start + mg->offset;
            w->npages = left < VA_MIGRATE_WINDOW ? (size_t)left : VA_MIGRATE_WINDOW;
            w->misplaced = 0;
            mg->offset += w->npages * PAGE;
            return true;
        }
        mg->region++;
        mg->offset = 0;
    }
    mg->active = false;
    return false;
}

int va_migration_scan(const va_migration *mg, const va_platform *p, va_mig_window *w,
                      va_migrate_buf *b, va_mig_counts *out)
{
    for (size_t i = 0; i < w->npages; i++)
        b->pages[i] = (void *)(uintptr_t)(w->start + i * PAGE);
    int rc = query_nodes(mg, p, b->pages, w->npages, b->status);
    if (rc)
        return rc;
    w->misplaced = 0;
    for (size_t i = 0; i < w->npages; i++) {
        if (b->status[i] == mg->target_os_node)
            out->pages_already++;
        else if (b->status[i] >= 0)
            b->misplaced[w->misplaced++] = b->pages[i];
    }
    return 0;
}

/* Each chunk's first misplaced page moves now (into b->pages; returns how
 * many). */
static size_t heads_of(const va_mig_window *w, va_migrate_buf *b)
{
    size_t nh = 0;
    uint64_t last = UINT64_MAX;
    for (size_t i = 0; i < w->misplaced; i++)
        if (chunk_of(b->misplaced[i]) != last) {
            last = chunk_of(b->misplaced[i]);
            b->pages[nh++] = b->misplaced[i];
        }
    return nh;
}

/* After the heads' call, a chunk whose head moved is asked about through
 * one probe, its last misplaced page (b->probe, b->rest): a huge page
 * takes its whole chunk along, so if the probe came too, all of the
 * chunk's pages did - asking about each of its 511 others would cost a
 * page-table walk apiece. The other pages of a chunk whose head did not
 * move are moved one by one (b->move). */
static void sort_rest(const va_migration *mg, const va_mig_window *w, va_migrate_buf *b,
                      size_t *nprobe, size_t *nmove, va_mig_counts *c)
{
    size_t h = 0;
    *nprobe = *nmove = 0;
    for (size_t i = 0; i < w->misplaced;) {
        size_t end = i + 1;
        while (end < w->misplaced && chunk_of(b->misplaced[end]) == chunk_of(b->misplaced[i]))
            end++;
        bool head_moved = b->status[h] == mg->target_os_node;
        count(mg, b->status[h++], c);
        if (head_moved && end > i + 1) {
            b->probe[*nprobe] = b->misplaced[end - 1];
            b->rest[(*nprobe)++] = (chunk_rest){i + 1, end};
        } else if (!head_moved) {
            for (size_t k = i + 1; k < end; k++)
                b->move[(*nmove)++] = b->misplaced[k];
        }
        i = end;
    }
}

/* The probes' answers: a chunk whose probe came along moved whole; the
 * rest of one whose probe stayed (4 KiB pages) joins b->move. */
static void settle_probes(const va_migration *mg, va_migrate_buf *b, size_t nprobe,
                          size_t *nmove, va_mig_counts *c)
{
    for (size_t i = 0; i < nprobe; i++) {
        const chunk_rest *r = &b->rest[i];
        if (b->status[i] == mg->target_os_node)
            c->pages_moved += r->end - r->first;
        else
            for (size_t k = r->first; k < r->end; k++)
                b->move[(*nmove)++] = b->misplaced[k];
    }
}

int va_migration_move(const va_migration *mg, const va_platform *p, const va_mig_window *w,
                      va_migrate_buf *b, va_mig_counts *out)
{
    size_t nh = heads_of(w, b), nprobe, nmove;
    int rc = move_to_target(mg, p, b->pages, nh, b);
    if (rc)
        return rc;
    sort_rest(mg, w, b, &nprobe, &nmove, out);
    if ((rc = query_nodes(mg, p, b->probe, nprobe, b->status)))
        return rc;
    settle_probes(mg, b, nprobe, &nmove, out);
    if ((rc = move_to_target(mg, p, b->move, nmove, b)))
        return rc;
    for (size_t i = 0; i < nmove; i++)
        count(mg, b->status[i], out);
    return 0;
}

int va_migration_whole(const va_migration *mg, const va_platform *p,
                       uint64_t estimated_pages, va_mig_counts *out)
{
    uint64_t left = 0;
    int rc = p->migrate_pages(p, mg->pid, mg->target_os_node, &left);
    if (rc)
        return rc;
    out->pages_failed += left;
    out->pages_moved += estimated_pages > left ? estimated_pages - left : 0;
    if (left)
        out->last_error = -EBUSY;
    return 0;
}
