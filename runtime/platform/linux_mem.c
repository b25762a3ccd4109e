/* Linux memory operations of the platform seam: page placement through
 * libnuma's move_pages wrapper, node files under sysfs, the clock. */
#include "platform/platform_mem.h"

#include "core/error.h"

#include <errno.h>
#include <fcntl.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int va_lx_move_pages(const va_platform *p, int pid, size_t count,
                     void *const *pages, const int *nodes, int *status)
{
    (void)p;
    if (count == 0)
        return 0;
    long rc = numa_move_pages(pid, (unsigned long)count, (void **)pages, nodes,
                              status, nodes ? MPOL_MF_MOVE : 0);
    if (rc < 0)
        return va_fail(va_errno_code(errno), "move_pages(pid %d, %zu pages%s): %s",
                       pid, count, nodes ? ", moving" : "", strerror(errno));
    return 0; /* rc > 0: pages left behind, each with its status */
}

int va_lx_read_node(const va_platform *p, int node, const char *name,
                    char **text, size_t *len)
{
    (void)p;
    char path[128];
    if (node < 0 || strchr(name, '/'))
        return va_fail(VMACCEL_EINVAL, "bad node file request (node %d, %s)", node, name);
    snprintf(path, sizeof path, "/sys/devices/system/node/node%d/%s", node, name);
    FILE *f = fopen(path, "re");
    if (!f)
        return va_fail(va_errno_code(errno), "%s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf)
        return va_fail(VMACCEL_ENOMEM, "out of memory reading %s", path);
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

uint64_t va_lx_now_ns(const va_platform *p)
{
    (void)p;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Every node but to_node, as the kernel's node mask. */
static int other_nodes(int to_node, unsigned long *mask, size_t words)
{
    int max = numa_max_node();
    if (to_node < 0 || to_node > max || (size_t)max >= words * 64)
        return va_fail(VMACCEL_EINVAL, "migrate_pages: node %d of 0..%d", to_node, max);
    memset(mask, 0, words * sizeof *mask);
    for (int n = 0; n <= max; n++)
        if (n != to_node)
            mask[n / 64] |= 1ul << (n % 64);
    return 0;
}

int va_lx_migrate_pages(const va_platform *p, int pid, int to_node, uint64_t *not_moved)
{
    (void)p;
    unsigned long from[16], to[16] = {0};
    int rc = other_nodes(to_node, from, 16);
    if (rc)
        return rc;
    to[to_node / 64] = 1ul << (to_node % 64);
    long left = migrate_pages(pid, 16 * 64, from, to);
    if (left < 0)
        return va_fail(va_errno_code(errno), "migrate_pages(pid %d, to node %d): %s", pid,
                       to_node, strerror(errno));
    *not_moved = (uint64_t)left;
    return 0;
}
