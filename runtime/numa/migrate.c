#include "numa/migrate.h"

#include "core/error.h"

#include <errno.h>

#define PAGE 4096u

void va_migration_begin(va_migration *mg, int pid, unsigned target_node,
                        int target_os_node)
{
    *mg = (va_migration){.active = true, .pid = pid, .target_node = target_node,
                         .target_os_node = target_os_node};
}

/* Pages [first, first+n) of one region: query, then move the misplaced. */
static int move_batch(va_migration *mg, const va_platform *p, uint64_t first,
                      size_t n)
{
    void *pages[VA_MIGRATE_BATCH] = {0}, *misplaced[VA_MIGRATE_BATCH] = {0};
    int status[VA_MIGRATE_BATCH], nodes[VA_MIGRATE_BATCH];
    for (size_t i = 0; i < n; i++)
        pages[i] = (void *)(uintptr_t)(first + i * PAGE);
    int rc = p->move_pages(p, mg->pid, n, pages, NULL, status);
    if (rc)
        return rc;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (status[i] == mg->target_os_node)
            mg->pages_already++;
        else if (status[i] >= 0)
            misplaced[k++] = pages[i];
    }
    if (k == 0)
        return 0;
    for (size_t i = 0; i < k; i++)
        nodes[i] = mg->target_os_node;
    rc = p->move_pages(p, mg->pid, k, misplaced, nodes, status);
    if (rc)
        return rc;
    for (size_t i = 0; i < k; i++) {
        if (status[i] == mg->target_os_node) {
            mg->pages_moved++;
        } else {
            mg->pages_failed++;
            mg->last_error = status[i] < 0 ? status[i] : -EAGAIN;
        }
    }
    return 0;
}

int va_migration_step(va_migration *mg, const va_platform *p,
                      const va_sample_region *regions, size_t nregions,
                      va_budget *budget)
{
    uint64_t scanned = 0;
    while (mg->active && mg->region < nregions && scanned < VA_MIGRATE_SCAN_PER_STEP) {
        const va_sample_region *r = &regions[mg->region];
        uint64_t left = r->length > mg->offset ? (r->length - mg->offset) / PAGE : 0;
        if (left == 0) {
            mg->region++;
            mg->offset = 0;
            continue;
        }
        uint64_t want = left < VA_MIGRATE_BATCH ? left : VA_MIGRATE_BATCH;
        uint64_t granted = va_budget_take(budget, want * PAGE, PAGE, p->now_ns(p)) / PAGE;
        if (granted == 0)
            return 0; /* out of budget for now: continue next period */
        uint64_t moved_before = mg->pages_moved;
        int rc = move_batch(mg, p, r->start + mg->offset, (size_t)granted);
        if (rc) {
            mg->active = false;
            return rc;
        }
        va_budget_refund(budget, (granted - (mg->pages_moved - moved_before)) * PAGE);
        mg->offset += granted * PAGE;
        scanned += granted;
    }
    if (mg->region >= nregions)
        mg->active = false;
    return 0;
}
