/* The simulated host's memory, node files and clock (see sim_numa.h). */
#include "platform/sim_numa.h"

#include "core/error.h"
#include "platform/platform_mem.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_MAX_REGIONS 64
#define SIM_MAX_NODE_FILES 64

typedef struct sim_region {
    int pid;
    uint64_t start, npages;
    int8_t *node; /* per page */
} sim_region;

typedef struct sim_node_file {
    int node;
    char name[32];
    char *text;
} sim_node_file;

struct va_sim_numa {
    pthread_mutex_t lock;
    int last_region;    /* the region the previous lookup hit: pages come in order */
    uint64_t now_ns;
    sim_region regions[SIM_MAX_REGIONS];
    sim_node_file files[SIM_MAX_NODE_FILES];
    unsigned fail_nth, move_count;
    int fail_err;
    uint64_t moved;
};

int va_sim_numa_new(va_sim_numa **out)
{
    va_sim_numa *n = calloc(1, sizeof *n);
    if (!n)
        return va_fail(VMACCEL_ENOMEM, "out of memory for the sim's memory");
    pthread_mutex_init(&n->lock, NULL);
    n->now_ns = 1000000000ull;
    *out = n;
    return 0;
}

void va_sim_numa_free(va_sim_numa *n)
{
    if (!n)
        return;
    for (int i = 0; i < SIM_MAX_REGIONS; i++)
        free(n->regions[i].node);
    for (int i = 0; i < SIM_MAX_NODE_FILES; i++)
        free(n->files[i].text);
    pthread_mutex_destroy(&n->lock);
    free(n);
}

static bool region_has(const sim_region *r, int pid, uint64_t addr)
{
    return r->node && r->pid == pid && addr >= r->start &&
           addr - r->start < r->npages * VA_SIM_PAGE;
}

static sim_region *region_of(va_sim_numa *n, int pid, uint64_t addr)
{
    if (region_has(&n->regions[n->last_region], pid, addr))
        return &n->regions[n->last_region];
    for (int i = 0; i < SIM_MAX_REGIONS; i++) {
        if (region_has(&n->regions[i], pid, addr)) {
            n->last_region = i;
            return &n->regions[i];
        }
    }
    return NULL;
}

int va_sim_map(va_sim *s, int pid, uint64_t start, uint64_t bytes, int node)
{
    va_sim_numa *n = va_sim_numa_of(s);
    if (start % VA_SIM_PAGE || bytes == 0 || bytes % VA_SIM_PAGE || node < 0 || node > 127)
        return va_fail(VMACCEL_EINVAL, "sim map: unaligned range or bad node");
    pthread_mutex_lock(&n->lock);
    int rc = va_fail(VMACCEL_ENOMEM, "sim map: more than %d regions", SIM_MAX_REGIONS);
    for (int i = 0; i < SIM_MAX_REGIONS; i++) {
        sim_region *r = &n->regions[i];
        if (r->node)
            continue;
        r->node = malloc(bytes / VA_SIM_PAGE);
        if (!r->node) {
            rc = va_fail(VMACCEL_ENOMEM, "sim map: out of memory");
            break;
        }
        memset(r->node, node, bytes / VA_SIM_PAGE);
        r->pid = pid;
        r->start = start;
        r->npages = bytes / VA_SIM_PAGE;
        rc = 0;
        break;
    }
    pthread_mutex_unlock(&n->lock);
    return rc;
}

int va_sim_place(va_sim *s, int pid, uint64_t start, uint64_t bytes, int node)
{
    va_sim_numa *n = va_sim_numa_of(s);
    pthread_mutex_lock(&n->lock);
    int rc = 0;
    for (uint64_t a = start; a < start + bytes && !rc; a += VA_SIM_PAGE) {
        sim_region *r = region_of(n, pid, a);
        if (r)
            r->node[(a - r->start) / VA_SIM_PAGE] = (int8_t)node;
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
    for (int i = 0; i < SIM_MAX_REGIONS; i++) {
        const sim_region *r = &n->regions[i];
        for (uint64_t k = 0; r->node && r->pid == pid && k < r->npages; k++)
            if ((unsigned)r->node[k] < nodes)
                counts[r->node[k]]++;
    }
    pthread_mutex_unlock(&n->lock);
    return 0;
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

uint64_t va_sim_pages_moved(va_sim *s)
{
    va_sim_numa *n = va_sim_numa_of(s);
    pthread_mutex_lock(&n->lock);
    uint64_t moved = n->moved;
    pthread_mutex_unlock(&n->lock);
    return moved;
}

void va_sim_advance(va_sim *s, uint64_t ns)
{
    va_sim_numa *n = va_sim_numa_of(s);
    pthread_mutex_lock(&n->lock);
    n->now_ns += ns;
    pthread_mutex_unlock(&n->lock);
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

/* One page: where it is, or move it (status as the kernel gives). */
static int page_status(va_sim_numa *n, int pid, uint64_t addr, const int *target)
{
    sim_region *r = region_of(n, pid, addr);
    if (!r)
        return -EFAULT;
    int8_t *node = &r->node[(addr - r->start) / VA_SIM_PAGE];
    if (!target || *target == *node)
        return *node;
    if (n->fail_nth && ++n->move_count % n->fail_nth == 0)
        return -n->fail_err;
    *node = (int8_t)*target;
    n->moved++;
    return *node;
}

int va_sim_move_pages(const va_platform *p, int pid, size_t count,
                      void *const *pages, const int *nodes, int *status)
{
    va_sim_numa *n = va_sim_numa_of(p->ctx);
    pthread_mutex_lock(&n->lock);
    for (size_t i = 0; i < count; i++)
        status[i] = page_status(n, pid, (uint64_t)(uintptr_t)pages[i],
                                nodes ? &nodes[i] : NULL);
    pthread_mutex_unlock(&n->lock);
    return 0;
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
    uint64_t per_node[128] = {0};
    for (uint64_t k = 0; k < r->npages; k++)
        if (r->node[k] >= 0)
            per_node[(int)r->node[k]]++;
    int n = snprintf(buf, len, "%llx default anon=%llu", (unsigned long long)r->start,
                     (unsigned long long)r->npages);
    for (int node = 0; node < 128 && n > 0 && (size_t)n < len; node++)
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
    for (int i = 0; i < SIM_MAX_REGIONS; i++) {
        const sim_region *r = &n->regions[i];
        if (!r->node || r->pid != pid)
            continue;
        int len = region_line(r, numa, line, sizeof line);
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
