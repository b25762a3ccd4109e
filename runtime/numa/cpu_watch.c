/* Watching the host's online CPUs and vm-accel's cpuset (cpu_watch.h). */
#include "numa/cpu_watch.h"

#include "core/error.h"

#include <stdio.h>
#include <string.h>

static void add(char *buf, size_t len, const char *sep, const char *what,
                const va_cpumask *m)
{
    char list[256];
    va_cpumask_format(m, list, sizeof list);
    size_t used = strlen(buf);
    if (used + 1 < len)
        snprintf(buf + used, len - used, "%s%s %s", used ? sep : "", what, list);
}

/* "CPU 3 offline" / "CPUs 2-3 online" */
static void add_cpus(char *buf, size_t len, const va_cpumask *m, const char *state)
{
    char what[16];
    snprintf(what, sizeof what, "%s", va_cpumask_count(m) == 1 ? "CPU" : "CPUs");
    add(buf, len, ", ", what, m);
    size_t used = strlen(buf);
    if (used + 1 < len)
        snprintf(buf + used, len - used, " %s", state);
}

static void describe(const va_cpumask *off, const va_cpumask *up, bool cpuset,
                     const va_cpumask *online1, const va_cpumask *allowed1,
                     const va_cpumask *usable, char *msg, size_t len)
{
    msg[0] = '\0';
    if (!va_cpumask_empty(off))
        add_cpus(msg, len, off, "offline");
    if (!va_cpumask_empty(up))
        add_cpus(msg, len, up, "online");
    if (msg[0])
        add(msg, len, "; ", "online", online1);
    if (cpuset)
        add(msg, len, "; ", "cpuset now", allowed1);
    else if (!va_cpumask_equal(usable, online1))
        add(msg, len, "; ", "usable", usable);
}

void va_cpu_change_between(const va_cpumask *online0, const va_cpumask *allowed0,
                           const va_cpumask *online1, const va_cpumask *allowed1,
                           va_cpu_change *c)
{
    va_cpumask off, up, both, a0, a1, usable0;
    memset(c, 0, sizeof *c);
    va_cpumask_andnot(&off, online0, online1);
    va_cpumask_andnot(&up, online1, online0);
    va_cpumask_and(&both, online0, online1);
    va_cpumask_and(&a0, allowed0, &both);
    va_cpumask_and(&a1, allowed1, &both);
    bool cpuset = !va_cpumask_equal(&a0, &a1);
    va_cpumask_and(&usable0, online0, allowed0);
    va_cpumask_and(&c->usable, online1, allowed1);
    va_cpumask_andnot(&c->lost, &usable0, &c->usable);
    c->shrank = !va_cpumask_empty(&c->lost);
    c->changed = cpuset || !va_cpumask_empty(&off) || !va_cpumask_empty(&up);
    if (c->changed)
        describe(&off, &up, cpuset, online1, allowed1, &c->usable, c->message,
                 sizeof c->message);
}

int va_cpu_watch_poll(va_cpu_watch *w, const va_platform *p, va_cpu_change *c)
{
    va_cpumask online, allowed;
    memset(c, 0, sizeof *c);
    int rc = p->online_cpus && p->allowed_cpus
                 ? p->online_cpus(p, &online)
                 : va_fail(VMACCEL_ENOTSUP, "platform %s cannot tell its CPUs", p->name);
    if (!rc)
        rc = p->allowed_cpus(p, &allowed);
    w->last_rc = rc;
    if (rc) {
        w->read_failures++;
        return rc;
    }
    if (w->have)
        va_cpu_change_between(&w->online, &w->allowed, &online, &allowed, c);
    else
        va_cpumask_and(&c->usable, &online, &allowed);
    w->have = true;
    w->online = online;
    w->allowed = allowed;
    w->usable = c->usable;
    w->changes += c->changed;
    return 0;
}
