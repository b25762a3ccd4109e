/* Host CPUs and memory on Windows, behind the platform seam: the active
 * processors of each processor group, a process's affinity across groups,
 * each CPU's busy time, and the memory operations Windows cannot do for
 * another process. */
#include "platform/windows_priv.h"

#include "core/error.h"

#include <stdlib.h>
#include <string.h>
#include <winternl.h>

int va_win_online_cpus(const va_platform *p, va_cpumask *cpus)
{
    (void)p;
    va_cpumask_zero(cpus);
    WORD groups = GetActiveProcessorGroupCount();
    for (WORD g = 0; g < groups && g < VA_WIN_GROUPS; g++) {
        DWORD n = GetActiveProcessorCount(g);
        for (DWORD i = 0; i < n && i < 64; i++)
            va_cpumask_set(cpus, g * 64u + i);
    }
    if (va_cpumask_empty(cpus))
        return va_fail(VMACCEL_EIO, "GetActiveProcessorCount: no active processor");
    return 0;
}

/* A process in one group has an affinity mask there; one that spans groups
 * (Windows 11 by default, or SetThreadGroupAffinity elsewhere) may run on
 * every active processor of each of its groups. */
int va_win_cpuset_of(const va_platform *p, int pid, va_cpumask *cpus)
{
    HANDLE h;
    int rc = va_win_open_process(pid, PROCESS_QUERY_LIMITED_INFORMATION, "cpuset_of", &h);
    if (rc)
        return rc;
    va_cpumask online;
    rc = va_win_online_cpus(p, &online);
    USHORT groups[VA_WIN_GROUPS];
    USHORT ngroups = VA_WIN_GROUPS;
    DWORD_PTR mask = 0, system_mask = 0;
    va_cpumask_zero(cpus);
    if (!rc && GetProcessGroupAffinity(h, &ngroups, groups) && ngroups > 1) {
        for (USHORT i = 0; i < ngroups; i++)
            if (groups[i] < VA_WIN_GROUPS)
                cpus->bits[groups[i]] = online.bits[groups[i]];
    } else if (!rc && GetProcessAffinityMask(h, &mask, &system_mask)) {
        /* One group: the mask is in it (group 0 when Windows does not say). */
        unsigned g = ngroups == 1 && groups[0] < VA_WIN_GROUPS ? groups[0] : 0;
        cpus->bits[g] = mask & online.bits[g];
    } else if (!rc) {
        rc = va_win_fail(GetLastError(), "GetProcessAffinityMask", pid);
    }
    CloseHandle(h);
    return rc;
}

int va_win_allowed_cpus(const va_platform *p, va_cpumask *cpus)
{
    return va_win_cpuset_of(p, (int)GetCurrentProcessId(), cpus);
}

/* Windows can tell where this process's own pages are (QueryWorkingSetEx)
 * but has no call that moves another process's pages between nodes, and
 * the Windows build does not sample placement yet. */
int va_win_move_pages(const va_platform *p, int pid, size_t count,
                      void *const *pages, const int *nodes, int *status)
{
    (void)p;
    (void)pages;
    (void)status;
    if (count == 0)
        return 0;
    if (nodes)
        return va_fail(VMACCEL_ENOTSUP, "move_pages(pid %d, %zu pages, moving): Windows "
                       "cannot migrate another process's memory between NUMA nodes",
                       pid, count);
    return va_fail(VMACCEL_ENOTSUP, "move_pages(pid %d, %zu pages): page placement "
                   "queries are not implemented on Windows", pid, count);
}

int va_win_migrate_pages(const va_platform *p, int pid, int to_node, uint64_t *not_moved)
{
    (void)p;
    (void)not_moved;
    return va_fail(VMACCEL_ENOTSUP, "migrate_pages(pid %d, to node %d): Windows cannot "
                   "migrate another process's memory between NUMA nodes", pid, to_node);
}

/* ---- busy time ---- */

/* ntdll's per-processor times: NtQuerySystemInformation answers for the
 * calling thread's processor group, NtQuerySystemInformationEx for the
 * group it is given. Both are looked up in the loaded ntdll.dll, so the
 * DLL links no more import libraries for them. */
typedef LONG(NTAPI *query_fn)(ULONG cls, PVOID buf, ULONG len, PULONG ret);
typedef LONG(NTAPI *query_ex_fn)(ULONG cls, PVOID in, ULONG in_len, PVOID buf, ULONG len,
                                 PULONG ret);
#define PROCESSOR_TIMES 8 /* SystemProcessorPerformanceInformation */

static int group_times(WORD group, WORD groups, SYSTEM_PROCESSOR_PERFORMANCE_INFORMATION *info,
                       ULONG *n)
{
    const char *name = groups > 1 ? "NtQuerySystemInformationEx" : "NtQuerySystemInformation";
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    FARPROC f = ntdll ? GetProcAddress(ntdll, name) : NULL;
    if (!f)
        return va_fail(VMACCEL_ENOTSUP, "CPU times: ntdll.dll has no %s", name);
    ULONG size = 64 * sizeof *info, len = 0;
    LONG status;
    if (groups > 1) {
        query_ex_fn query;
        memcpy(&query, &f, sizeof query);
        status = query(PROCESSOR_TIMES, &group, sizeof group, info, size, &len);
    } else {
        query_fn query;
        memcpy(&query, &f, sizeof query);
        status = query(PROCESSOR_TIMES, info, size, &len);
    }
    if (status < 0)
        return va_fail(VMACCEL_EIO, "CPU times: %s(processor group %u): NTSTATUS 0x%08lx",
                       name, group, (unsigned long)status);
    *n = len / sizeof *info;
    return 0;
}

/* Busy is kernel + user time less idle (Windows counts idle time as kernel
 * time), in 100 ns units; group g's processor i is CPU g*64+i. */
int va_win_cpu_times(const va_platform *p, uint64_t *busy_ns, unsigned ncpus)
{
    (void)p;
    memset(busy_ns, 0, ncpus * sizeof *busy_ns);
    SYSTEM_PROCESSOR_PERFORMANCE_INFORMATION info[64];
    WORD groups = GetActiveProcessorGroupCount();
    for (WORD g = 0; g < groups && g * 64u < ncpus; g++) {
        ULONG n = 0;
        int rc = group_times(g, groups, info, &n);
        if (rc)
            return rc;
        for (ULONG i = 0; i < n && i < 64 && g * 64u + i < ncpus; i++) {
            LONGLONG busy = info[i].KernelTime.QuadPart + info[i].UserTime.QuadPart -
                            info[i].IdleTime.QuadPart;
            busy_ns[g * 64u + i] = busy > 0 ? (uint64_t)busy * 100u : 0;
        }
    }
    return 0;
}

int va_win_read_node(const va_platform *p, int node, const char *name, char **text,
                     size_t *len)
{
    (void)p;
    (void)text;
    (void)len;
    return va_fail(VMACCEL_ENOTSUP, "node%d/%s: Windows has no per-node statistics "
                   "files", node, name);
}

uint64_t va_win_now_ns(const va_platform *p)
{
    (void)p;
    static LARGE_INTEGER freq; /* constant since boot; racing writers agree */
    LARGE_INTEGER now;
    if (!freq.QuadPart)
        QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&now);
    return (uint64_t)(now.QuadPart / freq.QuadPart) * 1000000000ull +
           (uint64_t)(now.QuadPart % freq.QuadPart) * 1000000000ull / (uint64_t)freq.QuadPart;
}
