/* The simulated host's memory, node files and clock (see sim_numa.h). */
#include "platform/sim_numa.h"

#include "core/error.h"
#include "platform/platform_mem.h"
#include "platform/sim_index.h"
#include "platform/sim_priv.h"

#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_MAX_NODE_FILES 64
#define SIM_NODES 128
#define HUGE_PAGES 512u /* 4 KiB pages in a 2 MiB huge page */
#define NO_REGION SIZE_MAX

typedef struct sim_region {
    int pid;
    uint64_t start, npages;
    bool huge;            /* backed by transparent huge pages */
    int8_t *node;         /* per page */
    size_t next_of_pid;   /* the pid's next region, or NO_REGION */
} sim_region;

typedef struct sim_node_file {
    int node;
    char name[32];
    char *text;
} sim_node_file;

struct va_sim_numa {
    pthread_mutex_t lock;
    uint64_t now_ns;
    sim_region *regions;
    size_t nregions, cap;
    size_t last;                  /* the region the previous lookup hit */
    /* Open addressing, pid -> its first region (index + 1; 0: empty). */
    int *slot_pid;
    size_t *slot_first, nslots;
    uint64_t node_total[SIM_NODES];  /* bytes; 0: not modelled */
    uint64_t node_used[SIM_NODES];   /* pages */
    sim_node_file files[SIM_MAX_NODE_FILES];
    unsigned fail_nth, move_count;
    int fail_err;
    uint64_t moved;
    uint64_t moved_stopped;       /* ... while a thread of the process was stopped */
    uint64_t queries;             /* move_pages calls that only asked */
    uint64_t pages_asked;         /* ... and the pages they asked about */
    /* Huge pages moved by the move_pages call under way (its other
     * pages come back -EBUSY, as the kernel's isolation says). */
    uint64_t call_chunks[64];
    size_t ncall_chunks;
    void (*on_move)(va_sim *, int, void *); /* before each move_pages that moves */
    void *on_move_arg;
};

int va_sim_numa_new(va_sim_numa **out)
{
    va_sim_numa *n = calloc(1, sizeof *n);
    if (!n)
        return va_fail(VMACCEL_ENOMEM, "out of memory for the sim's memory");
    pthread_mutex_init(&n->lock, NULL);
    n->now_ns = 1000000000ull;
    n->last = NO_REGION;
    *out = n;
    return 0;
}

void va_sim_numa_free(va_sim_numa *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nregions; i++)
        free(n->regions[i].node);
    free(n->regions);
    free(n->slot_pid);
    free(n->slot_first);
    for (int i = 0; i < SIM_MAX_NODE_FILES; i++)
        free(n->files[i].text);
    pthread_mutex_destroy(&n->lock);
    free(n);
}

/* The slot of pid in the index (its own, or the empty one to take). */
static size_t slot_of(const va_sim_numa *n, int pid)
{
    size_t i = ((size_t)(unsigned)pid * 2654435761u) & (n->nslots - 1);
    while (n->slot_pid[i] && n->slot_pid[i] != pid + 1)
        i = (i + 1) & (n->nslots - 1);
    return i;
}

static size_t first_region(const va_sim_numa *n, int pid)
{
    if (!n->nslots)
        return NO_REGION;
    size_t i = slot_of(n, pid);
    return n->slot_pid[i] ? n->slot_first[i] : NO_REGION;
}

/* Rebuilds the index at twice the regions' count (a power of two). */
static int reindex(va_sim_numa *n)
{
    size_t slots = 64;
    while (slots < 2 * (n->nregions + 1))
        slots *= 2;
    int *pids = calloc(slots, sizeof *pids);
    size_t *first = calloc(slots, sizeof *first);
    if (!pids || !first) {
        free(pids);
        free(first);
        return va_fail(VMACCEL_ENOMEM, "sim map: out of memory");
    }
    free(n->slot_pid);
    free(n->slot_first);
    n->slot_pid = pids, n->slot_first = first, n->nslots = slots;
    for (size_t r = n->nregions; r-- > 0;) {
        size_t i = slot_of(n, n->regions[r].pid);
        n->regions[r].next_of_pid = n->slot_pid[i] ? n->slot_first[i] : NO_REGION;
        n->slot_pid[i] = n->regions[r].pid + 1;
        n->slot_first[i] = r;
    }
    return 0;
}

static bool region_has(const sim_region *r, int pid, uint64_t addr)
{
    return r->pid == pid && addr >= r->start && addr - r->start < r->npages * VA_SIM_PAGE;
}

static sim_region *region_of(va_sim_numa *n, int pid, uint64_t addr)
{
    if (n->last != NO_REGION && region_has(&n->regions[n->last], pid, addr))
        return &n->regions[n->last];
    for (size_t i = first_region(n, pid); i != NO_REGION; i = n->regions[i].next_of_pid)
        if (region_has(&n->regions[i], pid, addr)) {
            n->last = i;
            return &n->regions[i];
        }
    return NULL;
}

static int add_region(va_sim_numa *n, int pid, uint64_t start, uint64_t bytes, int node)
{
    if (!sim_grow((void **)&n->regions, &n->cap, n->nregions, sizeof *n->regions, 64))
        return va_fail(VMACCEL_ENOMEM, "sim map: out of memory");
    sim_region *r = &n->regions[n->nregions];
    *r = (sim_region){pid, start, bytes / VA_SIM_PAGE, false, malloc(bytes / VA_SIM_PAGE),
                      NO_REGION};
    if (!r->node)
        return va_fail(VMACCEL_ENOMEM, "sim map: out of memory");
    memset(r->node, node, r->npages);
    if (node >= 0)
        n->node_used[node] += r->npages;
    n->nregions++;
    return reindex(n);
}

int va_sim_map(va_sim *s, int pid, uint64_t start, uint64_t bytes, int node)
{
    va_sim_numa *n = va_sim_numa_of(s);
    if (start % VA_SIM_PAGE || bytes == 0 || bytes % VA_SIM_PAGE ||
        (node < 0 && node != VA_SIM_NOT_RESIDENT) || node >= SIM_NODES)
        return va_fail(VMACCEL_EINVAL, "sim map: unaligned range or bad node");
    pthread_mutex_lock(&n->lock);
    int rc = add_region(n, pid, start, bytes, node);
    pthread_mutex_unlock(&n->lock);
    return rc;
}

int va_sim_set_huge(va_sim *s, int pid, uint64_t start, bool huge)
{
    va_sim_numa *n = va_sim_numa_of(s);
    pthread_mutex_lock(&n->lock);
    sim_region *r = region_of(n, pid, start);
    int rc = r && r->start == start && start % (HUGE_PAGES * VA_SIM_PAGE) == 0 &&
                     r->npages % HUGE_PAGES == 0
                 ? 0 : va_fail(VMACCEL_EINVAL, "sim huge: no 2 MiB-aligned region at 0x%llx",
                               (unsigned long long)start);
    if (!rc)
        r->huge = huge;
    pthread_mutex_unlock(&n->lock);
    return rc;
}

static void set_node(va_sim_numa *n, int8_t *page, int node)
{
    if (*page >= 0)
        n->node_used[*page]--;
    n->node_used[node]++;
    *page = (int8_t)node;
}

int va_sim_place(va_sim *s, int pid, uint64_t start, uint64_t bytes, int node)
{
    va_sim_numa *n = va_sim_numa_of(s);
    if (node < 0 || node >= SIM_NODES)
        return va_fail(VMACCEL_EINVAL, "sim place: bad node %d", node);
    pthread_mutex_lock(&n->lock);
    int rc = 0;
    for (uint64_t a = start; a < start + bytes && !rc; a += VA_SIM_PAGE) {
        sim_region *r = region_of(n, pid, a);
        if (r)
            set_node(n, &r->node[(a - r->start) / VA_SIM_PAGE], node);
        else
            rc = va_fail(VMACCEL_EINVAL, "sim place: 0x%llx is not mapped",
                         (unsigned long long)a);
    }
    pthread_mutex_unlock(&n->lock);
    return rc;
}

int va_sim_count_pages(va_sim *s, int pid, unsigned nodes, uint64_t *counts)
{
    va_sim_numa *n = va_sim_numa_of(s);
    memset(counts, 0, nodes * sizeof *counts);
    pthread_mutex_lock(&n->lock);
    for (size_t i = first_region(n, pid); i != NO_REGION; i = n->regions[i].next_of_pid) {
        const sim_region *r = &n->regions[i];
        for (uint64_t k = 0; k < r->npages; k++)
            if ((unsigned)r->node[k] < nodes)
                counts[r->node[k]]++;
    }
    pthread_mutex_unlock(&n->lock);
    return 0;
}

void va_sim_on_move(va_sim *s, void (*fn)(va_sim *s, int pid, void *arg), void *arg)
{
    va_sim_numa *n = va_sim_numa_of(s);
    pthread_mutex_lock(&n->lock);
    n->on_move = fn;
    n->on_move_arg = arg;
    pthread_mutex_unlock(&n->lock);
}

/* Runs the test's callback, outside the lock (it may take its time). */
static void before_move(va_sim *s, va_sim_numa *n, int pid)
{
    pthread_mutex_lock(&n->lock);
    void (*fn)(va_sim *, int, void *) = n->on_move;
    void *arg = n->on_move_arg;
    pthread_mutex_unlock(&n->lock);
    if (fn)
        fn(s, pid, arg);
}

void va_sim_fail_moves(va_sim *s, unsigned nth, int err)
{
    va_sim_numa *n = va_sim_numa_of(s);
    pthread_mutex_lock(&n->lock);
    n->fail_nth = nth;
    n->fail_err = err;
    n->move_count = 0;
    pthread_mutex_unlock(&n->lock);
}

/* One of the counters below, read under the lock. */
static uint64_t counter(va_sim *s, size_t offset)
{
    va_sim_numa *n = va_sim_numa_of(s);
    pthread_mutex_lock(&n->lock);
    uint64_t v = *(const uint64_t *)((const char *)n + offset);
    pthread_mutex_unlock(&n->lock);
    return v;
}

uint64_t va_sim_pages_moved(va_sim *s)
{
    return counter(s, offsetof(va_sim_numa, moved));
}

uint64_t va_sim_pages_moved_stopped(va_sim *s)
{
    return counter(s, offsetof(va_sim_numa, moved_stopped));
}

uint64_t va_sim_page_queries(va_sim *s)
{
    return counter(s, offsetof(va_sim_numa, queries));
}

uint64_t va_sim_pages_asked(va_sim *s)
{
    return counter(s, offsetof(va_sim_numa, pages_asked));
}

void va_sim_advance(va_sim *s, uint64_t ns)
{
    va_sim_numa *n = va_sim_numa_of(s);
    pthread_mutex_lock(&n->lock);
    n->now_ns += ns;
    pthread_mutex_unlock(&n->lock);
}

int va_sim_set_node_memory(va_sim *s, int node, uint64_t bytes)
{
    va_sim_numa *n = va_sim_numa_of(s);
    if (node < 0 || node >= SIM_NODES)
        return va_fail(VMACCEL_EINVAL, "sim node memory: bad node %d", node);
    pthread_mutex_lock(&n->lock);
    n->node_total[node] = bytes;
    pthread_mutex_unlock(&n->lock);
    return 0;
}

int va_sim_set_node_file(va_sim *s, int node, const char *name, const char *text)
{
    va_sim_numa *n = va_sim_numa_of(s);
    char *copy = strdup(text);
    if (!copy || strlen(name) >= sizeof n->files[0].name) {
        free(copy);
        return va_fail(VMACCEL_EINVAL, "sim node file: no memory or name too long");
    }
    pthread_mutex_lock(&n->lock);
    sim_node_file *slot = NULL;
    for (int i = 0; i < SIM_MAX_NODE_FILES && !slot; i++)
        if (n->files[i].text && n->files[i].node == node && !strcmp(n->files[i].name, name))
            slot = &n->files[i];
    for (int i = 0; i < SIM_MAX_NODE_FILES && !slot; i++)
        if (!n->files[i].text)
            slot = &n->files[i];
    if (slot) {
        free(slot->text);
        slot->text = copy;
        slot->node = node;
        snprintf(slot->name, sizeof slot->name, "%s", name);
    }
    pthread_mutex_unlock(&n->lock);
    if (!slot)
        free(copy);
    return slot ? 0 : va_fail(VMACCEL_ENOMEM, "sim node files full");
}

static bool node_full(const va_sim_numa *n, int node, uint64_t pages)
{
    return n->node_total[node] &&
           (n->node_used[node] + pages) * VA_SIM_PAGE > n->node_total[node];
}

static bool chunk_taken(const va_sim_numa *n, uint64_t chunk)
{
    for (size_t i = 0; i < n->ncall_chunks; i++)
        if (n->call_chunks[i] == chunk)
            return true;
    return false;
}

/* Moves a page, or its whole huge page (which this call then holds);
 * -ENOMEM when the target is full. */
static int move_page(va_sim_numa *n, sim_region *r, uint64_t k, int target)
{
    uint64_t first = r->huge ? k - k % HUGE_PAGES : k, count = r->huge ? HUGE_PAGES : 1;
    if (node_full(n, target, count))
        return -ENOMEM;
    if (r->huge && n->ncall_chunks < 64)
        n->call_chunks[n->ncall_chunks++] = r->start / VA_SIM_PAGE + first;
    for (uint64_t i = first; i < first + count; i++)
        if (r->node[i] >= 0 && r->node[i] != target) {
            set_node(n, &r->node[i], target);
            n->moved++;
        }
    return target;
}

/* One page: where it is, or move it (status as the kernel gives). */
static int page_status(va_sim_numa *n, int pid, uint64_t addr, const int *target)
{
    sim_region *r = region_of(n, pid, addr);
    if (!r)
        return -EFAULT;
    uint64_t k = (addr - r->start) / VA_SIM_PAGE;
    /* Like the kernel, which moves a call's pages only after collecting
     * them all: another page of a huge page this call already took fails
     * to isolate. */
    if (target && r->huge && chunk_taken(n, r->start / VA_SIM_PAGE + k - k % HUGE_PAGES))
        return -EBUSY;
    if (!target || *target == r->node[k] || r->node[k] < 0)
        return r->node[k]; /* where it is, or -ENOENT: nothing to move */
    if (*target < 0 || *target >= SIM_NODES)
        return -ENODEV;
    if (n->fail_nth && ++n->move_count % n->fail_nth == 0)
        return -n->fail_err;
    return move_page(n, r, k, *target);
}

int va_sim_move_pages(const va_platform *p, int pid, size_t count,
                      void *const *pages, const int *nodes, int *status)
{
    va_sim_numa *n = va_sim_numa_of(p->ctx);
    if (nodes)
        before_move(p->ctx, n, pid);
    bool stopped = nodes && va_sim_any_stopped(p->ctx, pid); /* takes the sim's lock */
    pthread_mutex_lock(&n->lock);
    n->ncall_chunks = 0;
    n->queries += !nodes;
    n->pages_asked += nodes ? 0 : count;
    uint64_t before = n->moved;
    for (size_t i = 0; i < count; i++)
        status[i] = page_status(n, pid, (uint64_t)(uintptr_t)pages[i],
                                nodes ? &nodes[i] : NULL);
    if (stopped)
        n->moved_stopped += n->moved - before;
    pthread_mutex_unlock(&n->lock);
    return 0;
}

int va_sim_migrate_pages(const va_platform *p, int pid, int to_node, uint64_t *not_moved)
{
    va_sim_numa *n = va_sim_numa_of(p->ctx);
    if (to_node < 0 || to_node >= SIM_NODES)
        return va_fail(VMACCEL_EINVAL, "migrate_pages(pid %d): bad node %d", pid, to_node);
    pthread_mutex_lock(&n->lock);
    *not_moved = 0;
    int rc = first_region(n, pid) == NO_REGION
                 ? va_fail(VMACCEL_EGONE, "migrate_pages(pid %d): No such process", pid) : 0;
    for (size_t i = first_region(n, pid); i != NO_REGION; i = n->regions[i].next_of_pid) {
        sim_region *r = &n->regions[i];
        for (uint64_t k = 0; k < r->npages; k++) {
            if (r->node[k] == to_node || r->node[k] < 0)
                continue;
            if (node_full(n, to_node, 1)) {
                (*not_moved)++;
                continue;
            }
            set_node(n, &r->node[k], to_node);
            n->moved++;
        }
    }
    pthread_mutex_unlock(&n->lock);
    return rc;
}

/* "Node N MemTotal/MemFree" like the kernel's node meminfo, when the
 * node's memory is modelled. */
static char *meminfo(const va_sim_numa *n, int node)
{
    if (node < 0 || node >= SIM_NODES || !n->node_total[node])
        return NULL;
    uint64_t total = n->node_total[node] >> 10, used = n->node_used[node] * (VA_SIM_PAGE >> 10);
    char *text = malloc(160);
    if (text)
        snprintf(text, 160, "Node %d MemTotal:       %llu kB\nNode %d MemFree:        %llu kB\n",
                 node, (unsigned long long)total, node,
                 (unsigned long long)(total > used ? total - used : 0));
    return text;
}

int va_sim_read_node(const va_platform *p, int node, const char *name,
                     char **text, size_t *len)
{
    va_sim_numa *n = va_sim_numa_of(p->ctx);
    int rc = va_fail(VMACCEL_ENOENT, "sim: no node%d/%s", node, name);
    pthread_mutex_lock(&n->lock);
    for (int i = 0; i < SIM_MAX_NODE_FILES; i++) {
        const sim_node_file *f = &n->files[i];
        if (!f->text || f->node != node || strcmp(f->name, name))
            continue;
        *text = strdup(f->text);
        *len = *text ? strlen(*text) : 0;
        rc = *text ? 0 : va_fail(VMACCEL_ENOMEM, "out of memory");
        break;
    }
    if (rc == VMACCEL_ENOENT && !strcmp(name, "meminfo") && (*text = meminfo(n, node))) {
        *len = strlen(*text);
        rc = 0;
    }
    pthread_mutex_unlock(&n->lock);
    return rc;
}

uint64_t va_sim_now_ns(const va_platform *p)
{
    va_sim_numa *n = va_sim_numa_of(p->ctx);
    pthread_mutex_lock(&n->lock);
    uint64_t now = n->now_ns;
    pthread_mutex_unlock(&n->lock);
    return now;
}

static int region_line(const sim_region *r, bool numa, char *buf, size_t len)
{
    uint64_t end = r->start + r->npages * VA_SIM_PAGE;
    if (!numa)
        return snprintf(buf, len, "%llx-%llx rw-p 00000000 00:00 0 \n",
                        (unsigned long long)r->start, (unsigned long long)end);
    uint64_t per_node[SIM_NODES] = {0};
    for (uint64_t k = 0; k < r->npages; k++)
        if (r->node[k] >= 0)
            per_node[(int)r->node[k]]++;
    int n = snprintf(buf, len, "%llx default anon=%llu", (unsigned long long)r->start,
                     (unsigned long long)r->npages);
    for (int node = 0; node < SIM_NODES && n > 0 && (size_t)n < len; node++)
        if (per_node[node])
            n += snprintf(buf + n, len - (size_t)n, " N%d=%llu", node,
                          (unsigned long long)per_node[node]);
    if (n > 0 && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n, " kernelpagesize_kB=4\n");
    return n;
}

char *va_sim_numa_text(va_sim_numa *n, int pid, const char *name)
{
    bool numa = !strcmp(name, "numa_maps");
    if (!numa && strcmp(name, "maps"))
        return NULL;
    size_t cap = 1, used = 0;
    char *text = NULL, line[2048];
    pthread_mutex_lock(&n->lock);
    for (size_t i = first_region(n, pid); i != NO_REGION; i = n->regions[i].next_of_pid) {
        int len = region_line(&n->regions[i], numa, line, sizeof line);
        char *grown = len > 0 ? realloc(text, cap + (size_t)len) : NULL;
        if (!grown)
            break;
        text = grown;
        memcpy(text + used, line, (size_t)len);
        used += (size_t)len;
        cap += (size_t)len;
        text[used] = '\0';
    }
    pthread_mutex_unlock(&n->lock);
    return text;
}
