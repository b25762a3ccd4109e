/* The real OS: Linux syscalls and /proc, /sys reads (see platform.h). */
#include "platform/platform.h"

#include "core/error.h"
#include "platform/platform_cpus.h"
#include "platform/platform_mem.h"
#include "platform/platform_stop.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434 /* same number on every architecture */
#endif

static int os_fail(int err, const char *what, int id)
{
    return va_fail(err == ESRCH ? VMACCEL_EGONE : va_errno_code(err),
                   "%s(%d): %s", what, id, strerror(err));
}

static int lx_pidfd_open(const va_platform *p, int pid, int *fd)
{
    (void)p;
    long r = syscall(SYS_pidfd_open, pid, 0);
    if (r < 0)
        return os_fail(errno, "pidfd_open", pid);
    *fd = (int)r;
    return 0;
}

/* A pidfd becomes readable when its process exits (even before it is
 * reaped), so a zero-timeout poll tells "gone" without any signal. */
static int lx_pidfd_alive(const va_platform *p, int fd)
{
    (void)p;
    struct pollfd pfd = {fd, POLLIN, 0};
    int r = poll(&pfd, 1, 0);
    if (r < 0)
        return os_fail(errno, "poll(pidfd)", fd);
    if (r > 0)
        return va_fail(VMACCEL_EGONE, "the process has exited (pidfd %d readable)", fd);
    return 0;
}

static void lx_pidfd_close(const va_platform *p, int fd)
{
    (void)p;
    if (fd >= 0)
        close(fd);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return x < y ? -1 : x > y;
}

static int lx_list_threads(const va_platform *p, int pid, int **tids, size_t *count)
{
    (void)p;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR *d = opendir(path);
    if (!d)
        return os_fail(errno == ENOENT ? ESRCH : errno, "opendir /proc/PID/task", pid);
    size_t n = 0, cap = 16;
    int *v = malloc(cap * sizeof *v);
    struct dirent *e;
    while (v && (e = readdir(d)) != NULL) {
        int tid = atoi(e->d_name);
        if (tid <= 0)
            continue;
        if (n == cap) {
            int *nv = realloc(v, (cap *= 2) * sizeof *v);
            if (!nv) {
                free(v);
                v = NULL;
                break;
            }
            v = nv;
        }
        v[n++] = tid;
    }
    closedir(d);
    if (!v)
        return va_fail(VMACCEL_ENOMEM, "out of memory listing threads of %d", pid);
    qsort(v, n, sizeof *v, cmp_int);
    *tids = v;
    *count = n;
    return 0;
}

static int read_all(int fd, char **text, size_t *len)
{
    size_t n = 0, cap = 4096;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf)
            return va_fail(VMACCEL_ENOMEM, "out of memory reading /proc");
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb)
                free(buf);
            buf = nb;
            continue;
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int err = errno;
            free(buf);
            return os_fail(err == ESRCH ? ESRCH : err, "read /proc", fd);
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

static int lx_read_proc(const va_platform *p, int pid, int tid, const char *name,
                        char **text, size_t *len)
{
    (void)p;
    char path[128];
    if (tid > 0)
        snprintf(path, sizeof path, "/proc/%d/task/%d/%s", pid, tid, name);
    else
        snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        /* A vanished process or thread shows as ENOENT under /proc. */
        return va_fail(err == ENOENT ? VMACCEL_EGONE : va_errno_code(err),
                       "%s: %s", path, strerror(err));
    }
    int rc = read_all(fd, text, len);
    close(fd);
    return rc;
}

static int read_small(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, len - 1, f);
    fclose(f);
    buf[n] = '\0';
    return 0;
}

/* The cgroup path of `pid` for the cpuset: cgroup v2 ("0::/path") or the
 * v1 hierarchy whose controller list names cpuset. */
static int cgroup_cpus_file(int pid, char *out, size_t len)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/cgroup", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    int found = -1;
    while (found && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        const char *ctrls = c1 + 1, *cg = c2 + 1;
        if (!strcmp(line, "0") && !*ctrls)
            found = snprintf(out, len, "/sys/fs/cgroup%s/cpuset.cpus.effective",
                             strcmp(cg, "/") ? cg : "") < 0;
        else if (strstr(ctrls, "cpuset"))
            found = snprintf(out, len, "/sys/fs/cgroup/cpuset%s/cpuset.effective_cpus",
                             strcmp(cg, "/") ? cg : "") < 0;
    }
    fclose(f);
    return found;
}

static int lx_cpuset_of(const va_platform *p, int pid, va_cpumask *cpus)
{
    (void)p;
    char file[600], list[8192];
    if (kill(pid, 0) < 0 && errno == ESRCH)
        return os_fail(ESRCH, "cpuset_of", pid);
    if (cgroup_cpus_file(pid, file, sizeof file) == 0 &&
        read_small(file, list, sizeof list) == 0 && va_cpumask_parse(list, cpus) == 0 &&
        !va_cpumask_empty(cpus))
        return 0;
    if (read_small("/sys/devices/system/cpu/online", list, sizeof list) == 0 &&
        va_cpumask_parse(list, cpus) == 0)
        return 0;
    return va_fail(VMACCEL_EIO, "cannot read the cpuset of %d nor the online CPUs", pid);
}

static int lx_get_affinity(const va_platform *p, int tid, va_cpumask *cpus)
{
    (void)p;
    va_cpumask_zero(cpus);
    /* va_cpumask's bit layout is the kernel's: an array of longs. */
    if (syscall(SYS_sched_getaffinity, tid, sizeof cpus->bits, cpus->bits) < 0)
        return os_fail(errno, "sched_getaffinity", tid);
    return 0;
}

static int lx_set_affinity(const va_platform *p, int tid, const va_cpumask *cpus)
{
    (void)p;
    if (sched_setaffinity(tid, sizeof cpus->bits, (const cpu_set_t *)cpus->bits) < 0) {
        int err = errno;
        char list[256];
        va_cpumask_format(cpus, list, sizeof list);
        if (err == EINVAL)
            return va_fail(VMACCEL_EINVAL, "sched_setaffinity(tid %d, CPUs %s): the "
                           "thread's cpuset allows none of them", tid, list);
        return os_fail(err, "sched_setaffinity", tid);
    }
    return 0;
}

static int lx_get_nice(const va_platform *p, int tid, int *nice)
{
    (void)p;
    errno = 0;
    int v = getpriority(PRIO_PROCESS, (id_t)tid); /* per thread on Linux */
    if (v == -1 && errno)
        return os_fail(errno, "getpriority", tid);
    *nice = v;
    return 0;
}

static int lx_set_nice(const va_platform *p, int tid, int nice)
{
    (void)p;
    if (setpriority(PRIO_PROCESS, (id_t)tid, nice) < 0)
        return os_fail(errno, "setpriority", tid);
    return 0;
}

static int lx_get_sched(const va_platform *p, int tid, int *policy, int *priority)
{
    (void)p;
    struct sched_param sp;
    int pol = sched_getscheduler(tid);
    if (pol < 0 || sched_getparam(tid, &sp) < 0)
        return os_fail(errno, "sched_getscheduler", tid);
    *policy = pol & ~SCHED_RESET_ON_FORK;
    *priority = sp.sched_priority;
    return 0;
}

static int lx_set_sched(const va_platform *p, int tid, int policy, int priority)
{
    (void)p;
    struct sched_param sp = {.sched_priority = priority};
    if (sched_setscheduler(tid, policy, &sp) < 0)
        return os_fail(errno, "sched_setscheduler", tid);
    return 0;
}

static const va_platform linux_platform = {
    .name = "linux",
    .ctx = NULL,
    .pidfd_open = lx_pidfd_open,
    .pidfd_alive = lx_pidfd_alive,
    .pidfd_close = lx_pidfd_close,
    .list_threads = lx_list_threads,
    .read_proc = lx_read_proc,
    .cpuset_of = lx_cpuset_of,
    .get_affinity = lx_get_affinity,
    .set_affinity = lx_set_affinity,
    .get_nice = lx_get_nice,
    .set_nice = lx_set_nice,
    .get_sched = lx_get_sched,
    .set_sched = lx_set_sched,
    .move_pages = va_lx_move_pages,
    .read_node = va_lx_read_node,
    .now_ns = va_lx_now_ns,
    .online_cpus = va_lx_online_cpus,
    .allowed_cpus = va_lx_allowed_cpus,
    .migrate_pages = va_lx_migrate_pages,
    .cpu_times = va_lx_cpu_times,
    .manual_clock = false,
    .thread_cpuset = va_lx_thread_cpuset,
    .thread_stop = va_lx_thread_stop,
    .thread_resume = va_lx_thread_resume,
};

const va_platform *va_platform_linux(void)
{
    return &linux_platform;
}

const va_platform *va_platform_os(void)
{
    return &linux_platform;
}
