/* Linux: the cgroup cpuset of one thread (platform.h, thread_cpuset). The
 * thread's own /proc/PID/task/TID/cgroup names its cgroup; this process's
 * mountinfo says where that hierarchy is mounted; the cgroup's effective
 * cpus and mems files say what the kernel enforces. */
#include "platform/cgroup_parse.h"
#include "platform/platform_cpus.h"

#include "core/error.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MOUNTINFO_MAX (4u << 20)   /* a host with many containers: still bounded */
#define MOUNTS_TTL_NS 1000000000ull

/* The cgroup mounts change rarely; reading mountinfo for every thread of
 * every VM each period would not be. Re-read at most once a second. */
static struct {
    pthread_mutex_t lock;
    uint64_t read_ns;
    va_cgroup_mount v1, v2;
} mounts = {PTHREAD_MUTEX_INITIALIZER, 0, {0}, {0}};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Reads at most cap - 1 bytes of a file; -1 when it cannot be opened. */
static ssize_t read_bounded(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    return (ssize_t)n;
}

static void current_mounts(va_cgroup_mount *v1, va_cgroup_mount *v2)
{
    pthread_mutex_lock(&mounts.lock);
    uint64_t t = now_ns();
    if (!mounts.read_ns || t - mounts.read_ns > MOUNTS_TTL_NS) {
        char *text = malloc(MOUNTINFO_MAX);
        ssize_t n = text ? read_bounded("/proc/self/mountinfo", text, MOUNTINFO_MAX) : -1;
        if (n >= 0) {
            va_mountinfo_cgroups(text, (size_t)n, &mounts.v1, &mounts.v2);
            mounts.read_ns = t;
        }
        free(text);
    }
    *v1 = mounts.v1;
    *v2 = mounts.v2;
    pthread_mutex_unlock(&mounts.lock);
}

/* Reads a cpulist file of a cgroup directory into m. */
static bool read_list(const char *dir, const char *name, va_cpumask *m)
{
    char path[1100], list[8192];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return read_bounded(path, list, sizeof list) >= 0 && va_cpumask_parse(list, m) == 0;
}

/* The effective cpus and mems of a cgroup (v1 names, then v2 names; v1
 * kernels before effective_* had only cpuset.cpus). */
static bool read_effective(const char *dir, int version, va_cpumask *cpus, va_cpumask *mems)
{
    if (version == 1)
        return (read_list(dir, "cpuset.effective_cpus", cpus) ||
                read_list(dir, "cpuset.cpus", cpus)) &&
               (read_list(dir, "cpuset.effective_mems", mems) ||
                read_list(dir, "cpuset.mems", mems)) &&
               !va_cpumask_empty(cpus);
    return read_list(dir, "cpuset.cpus.effective", cpus) &&
           read_list(dir, "cpuset.mems.effective", mems) && !va_cpumask_empty(cpus);
}

/* In v2 a cgroup without the cpuset controller enabled has no cpuset files:
 * the nearest ancestor that has them governs it. Walks up from path. */
static bool resolve(const va_cgroup_mount *m, int version, char *path, size_t len,
                    va_cpumask *cpus, va_cpumask *mems)
{
    char dir[1100];
    for (;;) {
        if (va_cgroup_dir(m, path, dir, sizeof dir) &&
            read_effective(dir, version, cpus, mems))
            return true;
        if (version == 1 || !va_cgroup_parent(path, dir, sizeof dir))
            return false;
        snprintf(path, len, "%s", dir);
    }
}

static void read_parent(const va_cgroup_mount *m, va_thread_cpuset *out)
{
    char parent[sizeof out->path];
    if (!va_cgroup_parent(out->path, parent, sizeof parent))
        return;
    out->have_parent = resolve(m, out->version, parent, sizeof parent, &out->parent_cpus,
                               &out->parent_mems);
}

int va_lx_thread_cpuset(const va_platform *p, int pid, int tid, va_thread_cpuset *out)
{
    memset(out, 0, sizeof *out);
    char *text = NULL;
    size_t len = 0;
    int rc = p->read_proc(p, pid, tid, "cgroup", &text, &len);
    if (rc)
        return rc;
    va_cgroup_paths paths;
    bool any = va_cgroup_parse(text, len, &paths);
    free(text);
    va_cgroup_mount v1, v2;
    current_mounts(&v1, &v2);
    /* A controller sits in one hierarchy: a v1 cpuset line wins. */
    const va_cgroup_mount *m = NULL;
    if (any && paths.v1_cpuset && v1.found) {
        out->version = 1;
        m = &v1;
        snprintf(out->path, sizeof out->path, "%s", paths.v1_path);
    } else if (any && paths.v2 && v2.found) {
        out->version = 2;
        m = &v2;
        snprintf(out->path, sizeof out->path, "%s", paths.v2_path);
    }
    if (m)
        out->found = resolve(m, out->version, out->path, sizeof out->path, &out->cpus,
                             &out->mems);
    if (out->found) {
        read_parent(m, out);
        return 0;
    }
    out->version = 0;
    out->path[0] = '\0';
    return p->online_cpus(p, &out->cpus);
}
