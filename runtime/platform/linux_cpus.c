/* Linux host-CPU operations of the platform seam: the online CPUs from
 * sysfs and the CPUs this process's cgroup cpuset allows. */
#include "platform/platform_cpus.h"

#include "core/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ONLINE_FILE "/sys/devices/system/cpu/online"

int va_lx_online_cpus(const va_platform *p, va_cpumask *cpus)
{
    (void)p;
    char list[8192];
    FILE *f = fopen(ONLINE_FILE, "re");
    if (!f)
        return va_fail(va_errno_code(errno), "%s: %s", ONLINE_FILE, strerror(errno));
    size_t n = fread(list, 1, sizeof list - 1, f);
    int err = ferror(f) ? EIO : 0;
    fclose(f);
    if (err)
        return va_fail(VMACCEL_EIO, "%s: read error", ONLINE_FILE);
    list[n] = '\0';
    int rc = va_cpumask_parse(list, cpus);
    if (!rc && va_cpumask_empty(cpus))
        rc = va_fail(VMACCEL_EPARSE, "%s is empty", ONLINE_FILE);
    return rc;
}

/* The cgroup's effective cpuset of this process (cpuset_of falls back to
 * the online CPUs when there is no cpuset controller). */
int va_lx_allowed_cpus(const va_platform *p, va_cpumask *cpus)
{
    return p->cpuset_of(p, (int)getpid(), cpus);
}

/* One "cpuN user nice system idle iowait irq softirq steal" line. */
static void add_cpu_line(const char *line, uint64_t *busy_ns, unsigned ncpus, double ns_per_tick)
{
    unsigned cpu;
    unsigned long long f[8] = {0};
    if (sscanf(line, "cpu%u %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &f[0], &f[1],
               &f[2], &f[3], &f[4], &f[5], &f[6], &f[7]) < 4 || cpu >= ncpus)
        return;
    unsigned long long ticks = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
    busy_ns[cpu] = (uint64_t)((double)ticks * ns_per_tick);
}

int va_lx_cpu_times(const va_platform *p, uint64_t *busy_ns, unsigned ncpus)
{
    (void)p;
    FILE *f = fopen("/proc/stat", "re");
    if (!f)
        return va_fail(va_errno_code(errno), "/proc/stat: %s", strerror(errno));
    long hz = sysconf(_SC_CLK_TCK);
    double ns_per_tick = 1e9 / (double)(hz > 0 ? hz : 100);
    memset(busy_ns, 0, ncpus * sizeof *busy_ns);
    char line[512];
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "cpu", 3) && line[3] >= '0' && line[3] <= '9')
            add_cpu_line(line, busy_ns, ncpus, ns_per_tick);
    fclose(f);
    return 0;
}
