/* The real OS on Windows: Win32 calls behind the platform seam
 * (platform.h). Processes are process handles (the pidfd of Linux),
 * threads are opened per call, affinity goes through processor groups
 * (SetThreadGroupAffinity) or, for a set spanning groups, CPU sets where
 * Windows has them, priority through SetThreadPriority. The /proc texts
 * are made in windows_proc.c, host CPUs and memory in windows_cpus.c. */
#include "platform/windows_priv.h"

#include "core/error.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <tlhelp32.h>

/* ---- errors and handles ---- */

int va_win_fail(DWORD err, const char *what, int id)
{
    switch (err) {
    case ERROR_INVALID_PARAMETER: /* OpenThread/OpenProcess: no such id */
    case ERROR_INVALID_HANDLE:
    case ERROR_NOT_FOUND:
        return va_fail(VMACCEL_EGONE, "%s(%d): %s", what, id, strerror(ESRCH));
    case ERROR_ACCESS_DENIED:
    case ERROR_PRIVILEGE_NOT_HELD:
        return va_fail(VMACCEL_EPERM, "%s(%d): %s", what, id, strerror(EPERM));
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
        return va_fail(VMACCEL_ENOMEM, "%s(%d): %s", what, id, strerror(ENOMEM));
    default:
        return va_fail(VMACCEL_EIO, "%s(%d): Windows error %lu", what, id,
                       (unsigned long)err);
    }
}

/* A handle to an exited thread or process stays valid while anyone holds
 * one, so "it opened" is not "it runs": the object is signalled once it
 * has exited. */
static int live_handle(HANDLE h, const char *what, int id, HANDLE *out)
{
    if (WaitForSingleObject(h, 0) == WAIT_OBJECT_0) {
        CloseHandle(h);
        return va_win_fail(ERROR_INVALID_PARAMETER, what, id);
    }
    *out = h;
    return 0;
}

int va_win_open_thread(int tid, DWORD access, const char *what, HANDLE *out)
{
    *out = NULL;
    HANDLE h = tid > 0 ? OpenThread(access | SYNCHRONIZE, FALSE, (DWORD)tid) : NULL;
    if (!h)
        return va_win_fail(tid > 0 ? GetLastError() : ERROR_INVALID_PARAMETER, what, tid);
    return live_handle(h, what, tid, out);
}

/* 0 while thread `tid` runs, else va_win_open_thread's error. */
static int thread_alive(int tid, const char *what)
{
    HANDLE h;
    int rc = va_win_open_thread(tid, THREAD_QUERY_LIMITED_INFORMATION, what, &h);
    if (!rc)
        CloseHandle(h);
    return rc;
}

int va_win_open_process(int pid, DWORD access, const char *what, HANDLE *out)
{
    *out = NULL;
    HANDLE h = pid > 0 ? OpenProcess(access | SYNCHRONIZE, FALSE, (DWORD)pid) : NULL;
    if (!h)
        return va_win_fail(pid > 0 ? GetLastError() : ERROR_INVALID_PARAMETER, what, pid);
    return live_handle(h, what, pid, out);
}

/* ---- processes ---- */

/* Windows handles are 32-bit significant even in 64-bit processes (so
 * that 32- and 64-bit processes can share them): an int holds one. */
static int win_pidfd_open(const va_platform *p, int pid, int *fd)
{
    (void)p;
    HANDLE h = NULL;
    int rc = va_win_open_process(pid, PROCESS_QUERY_LIMITED_INFORMATION, "OpenProcess",
                                 &h);
    if (!rc)
        *fd = (int)(intptr_t)h;
    return rc;
}

static int win_pidfd_alive(const va_platform *p, int fd)
{
    (void)p;
    DWORD r = WaitForSingleObject((HANDLE)(intptr_t)fd, 0);
    if (r == WAIT_OBJECT_0)
        return va_fail(VMACCEL_EGONE, "the process has exited (handle %d signalled)", fd);
    if (r == WAIT_FAILED)
        return va_win_fail(GetLastError(), "WaitForSingleObject(process handle)", fd);
    return 0;
}

static void win_pidfd_close(const va_platform *p, int fd)
{
    (void)p;
    if (fd >= 0)
        CloseHandle((HANDLE)(intptr_t)fd);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return x < y ? -1 : x > y;
}

static int push_tid(int **v, size_t *n, size_t *cap, int tid)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        int *nv = realloc(*v, ncap * sizeof **v);
        if (!nv)
            return -1;
        *v = nv;
        *cap = ncap;
    }
    (*v)[(*n)++] = tid;
    return 0;
}

/* Toolhelp lists every thread of the system; the process's are kept. */
static int win_list_threads(const va_platform *p, int pid, int **tids, size_t *count)
{
    (void)p;
    HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
    if (snap == INVALID_HANDLE_VALUE)
        return va_win_fail(GetLastError(), "CreateToolhelp32Snapshot", pid);
    THREADENTRY32 te = {.dwSize = sizeof te};
    int *v = NULL;
    size_t n = 0, cap = 0;
    bool oom = false;
    for (BOOL ok = Thread32First(snap, &te); ok && !oom; ok = Thread32Next(snap, &te))
        if (te.th32OwnerProcessID == (DWORD)pid)
            oom = push_tid(&v, &n, &cap, (int)te.th32ThreadID) != 0;
    CloseHandle(snap);
    if (oom) {
        free(v);
        return va_fail(VMACCEL_ENOMEM, "out of memory listing threads of %d", pid);
    }
    if (n == 0) /* every live process has a thread */
        return va_win_fail(ERROR_INVALID_PARAMETER, "thread list of process", pid);
    qsort(v, n, sizeof *v, cmp_int);
    *tids = v;
    *count = n;
    return 0;
}

/* ---- thread affinity ---- */

/* Windows 11 / Server 2022 let a thread span processor groups through CPU
 * set masks; older Windows has no such call, so it is looked up. */
typedef BOOL(WINAPI *cpu_set_masks_fn)(HANDLE thread, PGROUP_AFFINITY masks, USHORT count);
typedef BOOL(WINAPI *get_cpu_set_masks_fn)(HANDLE thread, PGROUP_AFFINITY masks,
                                           USHORT count, PUSHORT required);

FARPROC va_win_kernel32(const char *name)
{
    HMODULE k32 = GetModuleHandleW(L"kernel32.dll");
    return k32 ? GetProcAddress(k32, name) : NULL;
}

static unsigned groups_of(const va_cpumask *cpus, GROUP_AFFINITY *ga, unsigned max)
{
    unsigned n = 0;
    for (unsigned g = 0; g < VA_WIN_GROUPS; g++)
        if (cpus->bits[g] && n < max) {
            memset(&ga[n], 0, sizeof ga[n]);
            ga[n].Group = (WORD)g;
            ga[n++].Mask = (KAFFINITY)cpus->bits[g];
        }
    return n;
}

static int win_get_affinity(const va_platform *p, int tid, va_cpumask *cpus)
{
    (void)p;
    HANDLE h;
    int rc = va_win_open_thread(tid, THREAD_QUERY_LIMITED_INFORMATION,
                                "GetThreadGroupAffinity", &h);
    if (rc)
        return rc;
    va_cpumask_zero(cpus);
    GROUP_AFFINITY masks[VA_WIN_GROUPS];
    USHORT n = 0;
    FARPROC f = va_win_kernel32("GetThreadSelectedCpuSetMasks");
    get_cpu_set_masks_fn get_masks;
    memcpy(&get_masks, &f, sizeof get_masks);
    if (f && get_masks(h, masks, VA_WIN_GROUPS, &n) && n > 0) {
        for (USHORT i = 0; i < n; i++)
            if (masks[i].Group < VA_WIN_GROUPS)
                cpus->bits[masks[i].Group] |= masks[i].Mask;
    } else if (GetThreadGroupAffinity(h, &masks[0])) {
        if (masks[0].Group < VA_WIN_GROUPS)
            cpus->bits[masks[0].Group] = masks[0].Mask;
    } else {
        rc = va_win_fail(GetLastError(), "GetThreadGroupAffinity", tid);
    }
    CloseHandle(h);
    return rc;
}

static int spanning_groups(HANDLE h, int tid, const va_cpumask *cpus,
                           GROUP_AFFINITY *ga, unsigned n)
{
    FARPROC f = va_win_kernel32("SetThreadSelectedCpuSetMasks");
    cpu_set_masks_fn set_masks;
    memcpy(&set_masks, &f, sizeof set_masks);
    if (!f) {
        char list[256];
        va_cpumask_format(cpus, list, sizeof list);
        return va_fail(VMACCEL_ENOTSUP, "SetThreadGroupAffinity(tid %d, CPUs %s): they "
                       "span %u processor groups, and this Windows binds a thread to "
                       "one group (CPU set masks need Windows 11 or Server 2022)",
                       tid, list, n);
    }
    if (!set_masks(h, ga, (USHORT)n))
        return va_win_fail(GetLastError(), "SetThreadSelectedCpuSetMasks", tid);
    return 0;
}

/* Like the Linux seam: the thread gets cpus & what its process may use,
 * VMACCEL_EINVAL when that is empty. */
static int win_set_affinity(const va_platform *p, int tid, const va_cpumask *cpus)
{
    HANDLE h;
    int rc = va_win_open_thread(tid, THREAD_SET_INFORMATION | THREAD_QUERY_INFORMATION,
                                "SetThreadGroupAffinity", &h);
    if (rc)
        return rc;
    va_cpumask allowed, eff;
    rc = va_win_cpuset_of(p, (int)GetProcessIdOfThread(h), &allowed);
    va_cpumask_and(&eff, cpus, &allowed);
    GROUP_AFFINITY ga[VA_WIN_GROUPS];
    unsigned n = rc ? 0 : groups_of(&eff, ga, VA_WIN_GROUPS);
    if (!rc && n == 0) {
        char list[256];
        va_cpumask_format(cpus, list, sizeof list);
        rc = va_fail(VMACCEL_EINVAL, "SetThreadGroupAffinity(tid %d, CPUs %s): the "
                     "process's affinity allows none of them", tid, list);
    } else if (!rc && n > 1) {
        rc = spanning_groups(h, tid, &eff, ga, n);
    } else if (!rc && !SetThreadGroupAffinity(h, &ga[0], NULL)) {
        rc = va_win_fail(GetLastError(), "SetThreadGroupAffinity", tid);
    }
    CloseHandle(h);
    return rc;
}

/* ---- priority ---- */

/* Windows has seven thread priority levels within a process's class, not
 * forty nice values: each level stands for a range of nice, and reading
 * one back gives the range's representative (so a saved value restores
 * exactly). */
static const struct { int level, nice_min, nice; } levels[] = {
    {THREAD_PRIORITY_TIME_CRITICAL, -20, -20}, {THREAD_PRIORITY_HIGHEST, -19, -10},
    {THREAD_PRIORITY_ABOVE_NORMAL, -9, -5},    {THREAD_PRIORITY_NORMAL, 0, 0},
    {THREAD_PRIORITY_BELOW_NORMAL, 1, 5},      {THREAD_PRIORITY_LOWEST, 10, 10},
    {THREAD_PRIORITY_IDLE, 19, 19},
};
#define NLEVELS (sizeof levels / sizeof *levels)

static int win_get_nice(const va_platform *p, int tid, int *nice)
{
    (void)p;
    HANDLE h;
    int rc = va_win_open_thread(tid, THREAD_QUERY_LIMITED_INFORMATION, "GetThreadPriority",
                                &h);
    if (rc)
        return rc;
    int level = GetThreadPriority(h);
    if (level == THREAD_PRIORITY_ERROR_RETURN)
        rc = va_win_fail(GetLastError(), "GetThreadPriority", tid);
    *nice = 0;
    for (size_t i = 0; i < NLEVELS; i++)
        if (level == levels[i].level)
            *nice = levels[i].nice;
    CloseHandle(h);
    return rc;
}

static int win_set_nice(const va_platform *p, int tid, int nice)
{
    (void)p;
    int level = THREAD_PRIORITY_NORMAL;
    for (size_t i = 0; i < NLEVELS; i++)
        if (nice >= levels[i].nice_min)
            level = levels[i].level;
    HANDLE h;
    int rc = va_win_open_thread(tid, THREAD_SET_INFORMATION, "SetThreadPriority",
                                &h);
    if (rc)
        return rc;
    if (!SetThreadPriority(h, level))
        rc = va_win_fail(GetLastError(), "SetThreadPriority", tid);
    CloseHandle(h);
    return rc;
}

/* Windows has no per-thread scheduling policy: every thread is scheduled
 * by priority (real time is a process class), which reads as SCHED_OTHER. */
static int win_get_sched(const va_platform *p, int tid, int *policy, int *priority)
{
    (void)p;
    int rc = thread_alive(tid, "GetThreadPriority");
    if (rc)
        return rc;
    *policy = SCHED_OTHER;
    *priority = 0;
    return 0;
}

static int win_set_sched(const va_platform *p, int tid, int policy, int priority)
{
    int unused_policy, unused_priority;
    if (policy != SCHED_OTHER)
        return va_fail(VMACCEL_ENOTSUP, "thread %d: Windows has no per-thread real-time "
                       "policy (SCHED_FIFO/SCHED_RR %d); use a priority instead", tid,
                       priority);
    /* SCHED_OTHER is what every Windows thread has: check it exists. */
    return win_get_sched(p, tid, &unused_policy, &unused_priority);
}

static const va_platform windows_platform = {
    .name = "windows",
    .ctx = NULL,
    .pidfd_open = win_pidfd_open,
    .pidfd_alive = win_pidfd_alive,
    .pidfd_close = win_pidfd_close,
    .list_threads = win_list_threads,
    .read_proc = va_win_read_proc,
    .cpuset_of = va_win_cpuset_of,
    .get_affinity = win_get_affinity,
    .set_affinity = win_set_affinity,
    .get_nice = win_get_nice,
    .set_nice = win_set_nice,
    .get_sched = win_get_sched,
    .set_sched = win_set_sched,
    .move_pages = va_win_move_pages,
    .read_node = va_win_read_node,
    .now_ns = va_win_now_ns,
    .online_cpus = va_win_online_cpus,
    .allowed_cpus = va_win_allowed_cpus,
    .migrate_pages = va_win_migrate_pages,
    .cpu_times = va_win_cpu_times,
    .manual_clock = false,
};

const va_platform *va_platform_os(void)
{
    return &windows_platform;
}
