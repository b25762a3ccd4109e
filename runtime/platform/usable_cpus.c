/* The CPUs vCPUs may be planned on now, on any platform (platform.h). */
#include "platform/platform.h"

#include "core/error.h"

int va_platform_usable_cpus(const va_platform *p, va_cpumask *usable)
{
    va_cpumask online, allowed;
    if (!p->online_cpus || !p->allowed_cpus)
        return va_fail(VMACCEL_ENOTSUP, "platform %s cannot tell the online CPUs",
                       p->name);
    int rc = p->online_cpus(p, &online);
    if (!rc)
        rc = p->allowed_cpus(p, &allowed);
    if (rc)
        return rc;
    va_cpumask_and(usable, &online, &allowed);
    if (va_cpumask_empty(usable)) {
        char on[256], al[256];
        va_cpumask_format(&online, on, sizeof on);
        va_cpumask_format(&allowed, al, sizeof al);
        return va_fail(VMACCEL_ENOENT, "no usable CPU: online %s, cpuset %s", on, al);
    }
    return 0;
}
