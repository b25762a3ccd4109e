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
