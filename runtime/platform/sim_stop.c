/* The simulated host's thread_stop/thread_resume (platform.h): a stopped
 * flag per thread, counted, so tests see when and how often the migrator
 * stopped a VM's vCPUs. Like ptrace, a thread stopped twice is refused
 * (one tracer at a time). */
#include "platform/platform_stop.h"
#include "platform/sim_priv.h"

#include "core/error.h"

static sim_thread *thread_of(va_sim *s, int pid, int tid)
{
    sim_proc *owner = NULL;
    sim_thread *t = va_sim_find_thread_locked(s, tid, &owner);
    return t && (pid <= 0 || owner->pid == pid) ? t : NULL;
}

int va_sim_thread_stop(const va_platform *p, int pid, int tid, int *sig)
{
    va_sim *s = sim_of(p);
    int rc = 0;
    *sig = 0;
    va_sim_before_action(s, tid);
    pthread_mutex_lock(&s->lock);
    sim_thread *t = thread_of(s, pid, tid);
    if (s->deny[VA_SIM_THREAD_STOP])
        rc = va_fail(s->deny[VA_SIM_THREAD_STOP], "ptrace(PTRACE_SEIZE)(thread %d): denied "
                     "(sim)", tid);
    else if (!t)
        rc = va_fail(VMACCEL_EGONE, "ptrace(PTRACE_SEIZE)(thread %d): no such thread (sim)",
                     tid);
    else if (t->stopped)
        rc = va_fail(VMACCEL_EPERM, "ptrace(PTRACE_SEIZE)(thread %d): already traced (sim)",
                     tid);
    else
        t->stopped = true, t->stops++;
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int va_sim_thread_resume(const va_platform *p, int tid, int sig)
{
    (void)sig;
    va_sim *s = sim_of(p);
    pthread_mutex_lock(&s->lock);
    sim_thread *t = thread_of(s, 0, tid);
    bool was = t && t->stopped;
    if (was)
        t->stopped = false;
    pthread_mutex_unlock(&s->lock);
    return was ? 0 : va_fail(VMACCEL_EGONE, "ptrace(PTRACE_DETACH)(thread %d): not stopped "
                             "(sim)", tid);
}

int va_sim_thread_stops(va_sim *s, int tid, unsigned *stops, bool *stopped)
{
    pthread_mutex_lock(&s->lock);
    sim_thread *t = thread_of(s, 0, tid);
    if (t)
        *stops = t->stops, *stopped = t->stopped;
    pthread_mutex_unlock(&s->lock);
    return t ? 0 : va_fail(VMACCEL_EGONE, "sim thread_stops: no thread %d", tid);
}

bool va_sim_any_stopped(va_sim *s, int pid)
{
    pthread_mutex_lock(&s->lock);
    size_t i = pid > 0 ? sim_index_get(&s->by_pid, (uint64_t)pid) : SIM_NO_INDEX;
    const sim_proc *pr = i != SIM_NO_INDEX && s->procs[i].alive ? &s->procs[i] : NULL;
    bool any = false;
    for (size_t k = 0; pr && !any && k < pr->nthreads; k++)
        any = pr->threads[k].stopped;
    pthread_mutex_unlock(&s->lock);
    return any;
}
