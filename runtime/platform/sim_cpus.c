/* The simulated host's CPUs: hotplug (online/offline at run time, with
 * the kernel's fallback for threads left without an online CPU) and the
 * cgroup cpuset of the process vm-accel runs in (see sim.h). */
#include "platform/platform_cpus.h"
#include "platform/sim_priv.h"

#include "core/error.h"

#include <stdio.h>
#include <string.h>

void va_sim_effective_cpuset_locked(const va_sim *s, const sim_proc *pr,
                                    va_cpumask *out)
{
    va_cpumask_and(out, &pr->cpuset, &s->online);
    if (va_cpumask_empty(out))
        *out = s->online;
}

int va_sim_online_cpus(const va_platform *p, va_cpumask *cpus)
{
    va_sim *s = sim_of(p);
    pthread_mutex_lock(&s->lock);
    *cpus = s->online;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

int va_sim_allowed_cpus(const va_platform *p, va_cpumask *cpus)
{
    va_sim *s = sim_of(p);
    pthread_mutex_lock(&s->lock);
    va_cpumask_and(cpus, &s->own_cpuset, &s->online);
    if (va_cpumask_empty(cpus))
        *cpus = s->online;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static int first_cpu(const va_cpumask *m)
{
    for (unsigned c = 0; c < VA_MAX_CPUS; c++)
        if (va_cpumask_isset(m, c))
            return (int)c;
    return -1;
}

/* Like select_fallback_rq(): a thread whose mask has no online CPU left
 * gets its cpuset's CPUs (offline ones included, as the kernel does); a
 * thread last seen on an offline CPU runs on its first online one. */
static void rehome_thread(const va_sim *s, const sim_proc *pr, sim_thread *t)
{
    va_cpumask runnable;
    va_cpumask_and(&runnable, &t->affinity, &s->online);
    if (va_cpumask_empty(&runnable)) {
        t->affinity = pr->cpuset;
        va_sim_effective_cpuset_locked(s, pr, &runnable);
    }
    if (t->last_cpu >= 0 && !va_cpumask_isset(&s->online, (unsigned)t->last_cpu))
        t->last_cpu = first_cpu(&runnable);
}

int va_sim_set_online(va_sim *s, const char *cpulist)
{
    va_cpumask m;
    int rc = va_cpumask_parse(cpulist, &m);
    if (!rc && va_cpumask_empty(&m))
        rc = va_fail(VMACCEL_EINVAL, "sim: at least one CPU must stay online");
    if (rc)
        return rc;
    pthread_mutex_lock(&s->lock);
    s->online = m;
    for (size_t i = 0; i < s->nprocs; i++) {
        sim_proc *pr = &s->procs[i];
        for (size_t t = 0; pr->alive && t < pr->nthreads; t++)
            rehome_thread(s, pr, &pr->threads[t]);
    }
    pthread_mutex_unlock(&s->lock);
    return 0;
}

int va_sim_set_own_cpuset(va_sim *s, const char *cpulist)
{
    va_cpumask m;
    int rc = va_cpumask_parse(cpulist, &m);
    if (!rc && va_cpumask_empty(&m))
        rc = va_fail(VMACCEL_EINVAL, "sim: a cpuset needs at least one CPU");
    if (rc)
        return rc;
    pthread_mutex_lock(&s->lock);
    s->own_cpuset = m;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

int va_sim_set_cpu_busy(va_sim *s, unsigned cpu, uint64_t busy_ns)
{
    if (cpu >= VA_MAX_CPUS)
        return va_fail(VMACCEL_EINVAL, "sim: CPU %u out of range", cpu);
    pthread_mutex_lock(&s->lock);
    s->cpu_busy[cpu] = busy_ns;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

int va_sim_cpu_times(const va_platform *p, uint64_t *busy_ns, unsigned ncpus)
{
    va_sim *s = sim_of(p);
    pthread_mutex_lock(&s->lock);
    for (unsigned c = 0; c < ncpus; c++)
        busy_ns[c] = c < VA_MAX_CPUS ? s->cpu_busy[c] : 0;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

void va_sim_thread_effective_locked(const va_sim *s, const sim_proc *pr,
                                    const sim_thread *t, va_cpumask *out)
{
    if (!t->cg.set) {
        va_sim_effective_cpuset_locked(s, pr, out);
        return;
    }
    va_cpumask_and(out, &t->cg.info.cpus, &s->online);
    if (va_cpumask_empty(out))
        *out = s->online;
}

int va_sim_set_thread_cgroup(va_sim *s, int tid, const char *path, const char *cpus,
                             const char *mems, const char *parent_cpus)
{
    va_thread_cpuset cg = {.found = true, .version = 2};
    int rc = va_cpumask_parse(cpus, &cg.cpus);
    if (!rc)
        rc = va_cpumask_parse(mems, &cg.mems);
    if (!rc && parent_cpus) {
        cg.have_parent = true;
        rc = va_cpumask_parse(parent_cpus, &cg.parent_cpus);
    }
    if (!rc && (va_cpumask_empty(&cg.cpus) || strlen(path) >= sizeof cg.path))
        rc = va_fail(VMACCEL_EINVAL, "sim: a cgroup needs CPUs and a short path");
    if (rc)
        return rc;
    snprintf(cg.path, sizeof cg.path, "%s", path);
    pthread_mutex_lock(&s->lock);
    sim_proc *pr = NULL;
    sim_thread *t = va_sim_find_thread_locked(s, tid, &pr);
    if (t) {
        t->cg.set = true;
        t->cg.info = cg;
        va_sim_thread_effective_locked(s, pr, t, &t->affinity);
    }
    pthread_mutex_unlock(&s->lock);
    return t ? 0 : va_fail(VMACCEL_EGONE, "sim set_thread_cgroup(%d): no such thread", tid);
}

/* A thread's own cgroup when scripted; else its process's cpuset, as a
 * cgroup v2 "/sim/PID" with no known parent and unknown mems. */
int va_sim_thread_cpuset(const va_platform *p, int pid, int tid, va_thread_cpuset *out)
{
    va_sim *s = sim_of(p);
    pthread_mutex_lock(&s->lock);
    sim_proc *pr = NULL;
    sim_thread *t = va_sim_find_thread_locked(s, tid, &pr);
    bool ok = t && pr->pid == pid;
    if (ok && t->cg.set) {
        *out = t->cg.info;
        va_sim_thread_effective_locked(s, pr, t, &out->cpus);
    } else if (ok) {
        memset(out, 0, sizeof *out);
        out->found = true;
        out->version = 2;
        snprintf(out->path, sizeof out->path, "/sim/%d", pid);
        va_sim_effective_cpuset_locked(s, pr, &out->cpus);
    }
    pthread_mutex_unlock(&s->lock);
    return ok ? 0 : va_fail(VMACCEL_EGONE, "/proc/%d/task/%d/cgroup: no such thread", pid, tid);
}
