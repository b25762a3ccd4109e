/* The simulated host (see sim.h). */
#include "platform/sim.h"

#include "platform/platform_cpus.h"
#include "platform/platform_mem.h"
#include "platform/platform_stop.h"
#include "platform/sim_numa.h"
#include "platform/sim_priv.h"

#include "core/error.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sim_proc *find_proc(va_sim *s, int pid)
{
    size_t i = pid > 0 ? sim_index_get(&s->by_pid, (uint64_t)pid) : SIM_NO_INDEX;
    return i != SIM_NO_INDEX && s->procs[i].alive ? &s->procs[i] : NULL;
}

sim_thread *va_sim_find_thread_locked(va_sim *s, int tid, sim_proc **owner)
{
    size_t i = tid > 0 ? sim_index_get(&s->by_tid, (uint64_t)tid) : SIM_NO_INDEX;
    sim_proc *pr = i != SIM_NO_INDEX ? &s->procs[i] : NULL;
    for (size_t t = 0; pr && pr->alive && t < pr->nthreads; t++)
        if (pr->threads[t].tid == tid) {
            if (owner)
                *owner = pr;
            return &pr->threads[t];
        }
    return NULL;
}

static sim_thread *find_thread(va_sim *s, int tid, sim_proc **owner)
{
    return va_sim_find_thread_locked(s, tid, owner);
}

static int gone(const char *what, int id)
{
    return va_fail(VMACCEL_EGONE, "%s(%d): No such process", what, id);
}

/* ---- the platform operations ---- */

static int sim_pidfd_open(const va_platform *p, int pid, int *fd)
{
    va_sim *s = sim_of(p);
    int rc = 0;
    pthread_mutex_lock(&s->lock);
    sim_proc *pr = find_proc(s, pid);
    if (s->deny[VA_SIM_PIDFD_OPEN])
        rc = va_fail(s->deny[VA_SIM_PIDFD_OPEN], "pidfd_open(%d): denied (sim)", pid);
    else if (!pr)
        rc = gone("pidfd_open", pid);
    size_t i = 0;
    while (!rc && i < s->npidfds && s->pidfds[i].open)
        i++;
    if (!rc && i == s->npidfds) {
        sim_pidfd *more = realloc(s->pidfds, (2 * s->npidfds + 16) * sizeof *more);
        if (more) {
            memset(more + s->npidfds, 0, (s->npidfds + 16) * sizeof *more);
            s->pidfds = more;
            s->npidfds = 2 * s->npidfds + 16;
        } else {
            rc = va_fail(VMACCEL_ENOMEM, "sim: out of pidfds");
        }
    }
    if (!rc) {
        s->pidfds[i] = (sim_pidfd){true, pid, pr->start};
        *fd = SIM_FD_BASE + (int)i;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int sim_pidfd_alive(const va_platform *p, int fd)
{
    va_sim *s = sim_of(p);
    int i = fd - SIM_FD_BASE, rc;
    pthread_mutex_lock(&s->lock);
    if (i < 0 || (size_t)i >= s->npidfds || !s->pidfds[i].open) {
        rc = va_fail(VMACCEL_EINVAL, "sim: bad pidfd %d", fd);
    } else {
        sim_proc *pr = find_proc(s, s->pidfds[i].pid);
        rc = pr && pr->start == s->pidfds[i].start
                 ? 0
                 : va_fail(VMACCEL_EGONE, "the process has exited (pidfd %d)", fd);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static void sim_pidfd_close(const va_platform *p, int fd)
{
    va_sim *s = sim_of(p);
    int i = fd - SIM_FD_BASE;
    pthread_mutex_lock(&s->lock);
    if (i >= 0 && (size_t)i < s->npidfds)
        s->pidfds[i].open = false;
    pthread_mutex_unlock(&s->lock);
}

static int sim_list_threads(const va_platform *p, int pid, int **tids, size_t *count)
{
    va_sim *s = sim_of(p);
    int rc = 0;
    pthread_mutex_lock(&s->lock);
    sim_proc *pr = find_proc(s, pid);
    if (!pr) {
        rc = gone("opendir /proc/PID/task", pid);
    } else if (!(*tids = malloc((pr->nthreads + 1) * sizeof **tids))) {
        rc = va_fail(VMACCEL_ENOMEM, "sim: out of memory");
    } else {
        for (size_t t = 0; t < pr->nthreads; t++)
            (*tids)[t] = pr->threads[t].tid;
        *count = pr->nthreads;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static uint64_t file_key(int pid, int tid)
{
    return (uint64_t)(uint32_t)pid << 32 | (uint32_t)tid;
}

static sim_file *scripted(va_sim *s, int pid, int tid, const char *name)
{
    for (size_t i = sim_index_get(&s->file_of, file_key(pid, tid)); i != SIM_NO_INDEX;
         i = s->files[i].next)
        if (s->files[i].text && !strcmp(s->files[i].name, name))
            return &s->files[i];
    return NULL;
}

/* Synthesised comm, stat and status of a thread (Linux's layouts). */
static int synth(const sim_thread *t, const char *name, char *buf, size_t len)
{
    if (!strcmp(name, "comm"))
        return snprintf(buf, len, "%s\n", t->comm);
    if (!strcmp(name, "stat"))
        return snprintf(buf, len,
                        "%d (%s) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 %d 1 0 %llu "
                        "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 %d 0 0 0 0 0\n",
                        t->tid, t->comm, t->nice, t->start, t->last_cpu);
    if (!strcmp(name, "status")) {
        char cpus[512]; /* formatted only here: it walks all 4096 bits */
        va_cpumask_format(&t->affinity, cpus, sizeof cpus);
        return snprintf(buf, len, "Name:\t%s\nPid:\t%d\nCpus_allowed_list:\t%s\n",
                        t->comm, t->tid, cpus);
    }
    return -1;
}

static int sim_read_proc(const va_platform *p, int pid, int tid, const char *name,
                         char **text, size_t *len)
{
    va_sim *s = sim_of(p);
    int rc = 0;
    char buf[1024];
    pthread_mutex_lock(&s->lock);
    sim_proc *pr = find_proc(s, pid), *owner = NULL;
    sim_thread *t = find_thread(s, tid > 0 ? tid : pid, &owner);
    const sim_file *f = pr ? scripted(s, pid, tid, name) : NULL;
    int n = -1;
    if (!pr || (tid > 0 && (!t || owner != pr)))
        rc = va_fail(VMACCEL_EGONE, "/proc/%d%s/%s: no such process", pid,
                     tid > 0 ? "/task/TID" : "", name);
    else if (!f && (!t || (n = synth(t, name, buf, sizeof buf)) < 0))
        rc = va_fail(VMACCEL_ENOENT, "/proc/%d/%s: not scripted in the sim", pid, name);
    char *memory_file = NULL;
    if (rc == VMACCEL_ENOENT && tid <= 0 &&
        (memory_file = va_sim_numa_text(s->numa, pid, name)) != NULL)
        rc = 0; /* maps / numa_maps from the page model (sim_numa.c) */
    const char *src = f ? f->text : memory_file ? memory_file : buf;
    if (!rc && !(*text = strdup(src)))
        rc = va_fail(VMACCEL_ENOMEM, "sim: out of memory");
    if (!rc)
        *len = strlen(src);
    free(memory_file);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int sim_cpuset_of(const va_platform *p, int pid, va_cpumask *cpus)
{
    va_sim *s = sim_of(p);
    pthread_mutex_lock(&s->lock);
    sim_proc *pr = find_proc(s, pid);
    if (pr)
        va_sim_effective_cpuset_locked(s, pr, cpus);
    pthread_mutex_unlock(&s->lock);
    return pr ? 0 : gone("cpuset_of", pid);
}

static int sim_get_affinity(const va_platform *p, int tid, va_cpumask *cpus)
{
    va_sim *s = sim_of(p);
    pthread_mutex_lock(&s->lock);
    sim_thread *t = find_thread(s, tid, NULL);
    if (t)
        *cpus = t->affinity;
    pthread_mutex_unlock(&s->lock);
    return t ? 0 : gone("sched_getaffinity", tid);
}

void va_sim_before_action(va_sim *s, int tid)
{
    pthread_mutex_lock(&s->lock);
    void (*fn)(va_sim *, int, void *) = s->on_action;
    void *arg = s->on_action_arg;
    pthread_mutex_unlock(&s->lock);
    if (fn)
        fn(s, tid, arg);
}

static int sim_set_affinity(const va_platform *p, int tid, const va_cpumask *cpus)
{
    va_sim *s = sim_of(p);
    va_sim_before_action(s, tid);
    int rc = 0;
    pthread_mutex_lock(&s->lock);
    sim_proc *pr = NULL;
    sim_thread *t = find_thread(s, tid, &pr);
    va_cpumask eff;
    if (s->deny[VA_SIM_SET_AFFINITY])
        rc = va_fail(s->deny[VA_SIM_SET_AFFINITY], "sched_setaffinity(%d): denied (sim)", tid);
    else if (!t)
        rc = gone("sched_setaffinity", tid);
    if (!rc) {
        va_sim_thread_effective_locked(s, pr, t, &eff);
        va_cpumask_and(&eff, cpus, &eff);
        if (va_cpumask_empty(&eff))
            rc = va_fail(VMACCEL_EINVAL, "sched_setaffinity(tid %d): the thread's "
                         "cpuset allows none of the CPUs", tid);
        else
            t->affinity = eff;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int sim_get_nice(const va_platform *p, int tid, int *nice)
{
    va_sim *s = sim_of(p);
    pthread_mutex_lock(&s->lock);
    sim_thread *t = find_thread(s, tid, NULL);
    if (t)
        *nice = t->nice;
    pthread_mutex_unlock(&s->lock);
    return t ? 0 : gone("getpriority", tid);
}

static int sim_set_nice(const va_platform *p, int tid, int nice)
{
    va_sim *s = sim_of(p);
    va_sim_before_action(s, tid);
    int rc = 0;
    pthread_mutex_lock(&s->lock);
    sim_thread *t = find_thread(s, tid, NULL);
    if (s->deny[VA_SIM_SET_NICE])
        rc = va_fail(s->deny[VA_SIM_SET_NICE], "setpriority(%d): denied (sim)", tid);
    else if (!t)
        rc = gone("setpriority", tid);
    else
        t->nice = nice < -20 ? -20 : nice > 19 ? 19 : nice;
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int sim_get_sched(const va_platform *p, int tid, int *policy, int *priority)
{
    va_sim *s = sim_of(p);
    pthread_mutex_lock(&s->lock);
    sim_thread *t = find_thread(s, tid, NULL);
    if (t) {
        *policy = t->policy;
        *priority = t->priority;
    }
    pthread_mutex_unlock(&s->lock);
    return t ? 0 : gone("sched_getscheduler", tid);
}

static int sim_set_sched(const va_platform *p, int tid, int policy, int priority)
{
    va_sim *s = sim_of(p);
    va_sim_before_action(s, tid);
    int rc = 0;
    pthread_mutex_lock(&s->lock);
    sim_thread *t = find_thread(s, tid, NULL);
    bool rt = policy == SCHED_FIFO || policy == SCHED_RR;
    if (s->deny[VA_SIM_SET_SCHED])
        rc = va_fail(s->deny[VA_SIM_SET_SCHED], "sched_setscheduler(%d): denied (sim)", tid);
    else if (!t)
        rc = gone("sched_setscheduler", tid);
    else if ((rt && (priority < 1 || priority > 99)) || (!rt && priority != 0))
        rc = va_fail(VMACCEL_EINVAL, "sched_setscheduler(%d): priority %d invalid "
                     "for policy %d", tid, priority, policy);
    if (!rc) {
        t->policy = policy;
        t->priority = priority;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* ---- building the simulated host ---- */

int va_sim_new(const char *online, va_sim **out)
{
    va_sim *s = calloc(1, sizeof *s);
    if (!s)
        return va_fail(VMACCEL_ENOMEM, "out of memory for a sim");
    int rc = va_cpumask_parse(online, &s->online);
    if (rc) {
        free(s);
        return rc;
    }
    rc = va_sim_numa_new(&s->numa);
    if (rc) {
        free(s);
        return rc;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->own_cpuset = s->online;
    s->clock = 1000;
    s->plat = (va_platform){
        .name = "sim", .ctx = s,
        .pidfd_open = sim_pidfd_open, .pidfd_alive = sim_pidfd_alive,
        .pidfd_close = sim_pidfd_close, .list_threads = sim_list_threads,
        .read_proc = sim_read_proc, .cpuset_of = sim_cpuset_of,
        .get_affinity = sim_get_affinity, .set_affinity = sim_set_affinity,
        .get_nice = sim_get_nice, .set_nice = sim_set_nice,
        .get_sched = sim_get_sched, .set_sched = sim_set_sched,
        .move_pages = va_sim_move_pages, .read_node = va_sim_read_node,
        .now_ns = va_sim_now_ns,
        .online_cpus = va_sim_online_cpus, .allowed_cpus = va_sim_allowed_cpus,
        .migrate_pages = va_sim_migrate_pages, .cpu_times = va_sim_cpu_times,
        .manual_clock = true,
        .thread_cpuset = va_sim_thread_cpuset,
        .thread_stop = va_sim_thread_stop, .thread_resume = va_sim_thread_resume,
    };
    *out = s;
    return 0;
}

void va_sim_free(va_sim *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nfiles; i++)
        free(s->files[i].text);
    free(s->files);
    for (size_t i = 0; i < s->nprocs; i++)
        free(s->procs[i].threads);
    free(s->procs);
    free(s->pidfds);
    sim_index_free(&s->by_pid);
    sim_index_free(&s->by_tid);
    sim_index_free(&s->file_of);
    va_sim_numa_free(s->numa);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

va_sim_numa *va_sim_numa_of(va_sim *s)
{
    return s->numa;
}

const va_platform *va_sim_platform(va_sim *s)
{
    return &s->plat;
}

static int add_thread_locked(va_sim *s, sim_proc *pr, int tid, const char *comm)
{
    if (tid <= 0 || find_thread(s, tid, NULL))
        return va_fail(VMACCEL_EINVAL, "sim: thread %d is invalid or exists", tid);
    if (!sim_grow((void **)&pr->threads, &pr->cap, pr->nthreads, sizeof *pr->threads, 4))
        return va_fail(VMACCEL_ENOMEM, "sim: out of memory for threads");
    int rc = sim_index_put(&s->by_tid, (uint64_t)tid, (size_t)(pr - s->procs));
    if (rc)
        return rc;
    sim_thread *t = &pr->threads[pr->nthreads++];
    memset(t, 0, sizeof *t);
    t->tid = tid;
    snprintf(t->comm, sizeof t->comm, "%s", comm); /* TASK_COMM_LEN = 16 */
    t->start = s->clock++;
    t->affinity = pr->cpuset;
    t->policy = SCHED_OTHER;
    t->last_cpu = -1;
    return 0;
}

/* A new process entry (the table only grows: a dead process keeps its
 * entry, so indices stay valid). */
static sim_proc *new_proc(va_sim *s)
{
    if (!sim_grow((void **)&s->procs, &s->procs_cap, s->nprocs, sizeof *s->procs, 16))
        return NULL;
    sim_proc *pr = &s->procs[s->nprocs++];
    memset(pr, 0, sizeof *pr);
    return pr;
}

int va_sim_spawn(va_sim *s, int pid, const char *comm)
{
    int rc;
    pthread_mutex_lock(&s->lock);
    sim_proc *pr = NULL;
    if (pid <= 0 || find_proc(s, pid))
        rc = va_fail(VMACCEL_EINVAL, "sim: pid %d is invalid or running", pid);
    else if (!(pr = new_proc(s)))
        rc = va_fail(VMACCEL_ENOMEM, "sim: out of memory for processes");
    else
        rc = sim_index_put(&s->by_pid, (uint64_t)pid, (size_t)(pr - s->procs));
    if (!rc) {
        pr->alive = true;
        pr->pid = pid;
        pr->start = s->clock;
        pr->cpuset = s->online;
        rc = add_thread_locked(s, pr, pid, comm);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int va_sim_add_thread(va_sim *s, int pid, int tid, const char *comm)
{
    pthread_mutex_lock(&s->lock);
    sim_proc *pr = find_proc(s, pid);
    int rc = pr ? add_thread_locked(s, pr, tid, comm) : gone("sim add_thread", pid);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int va_sim_exit_thread(va_sim *s, int pid, int tid)
{
    pthread_mutex_lock(&s->lock);
    sim_proc *pr = find_proc(s, pid);
    int rc = gone("sim exit_thread", tid);
    for (size_t t = 0; pr && t < pr->nthreads; t++)
        if (pr->threads[t].tid == tid) {
            pr->threads[t] = pr->threads[--pr->nthreads];
            rc = 0;
            break;
        }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int va_sim_exit(va_sim *s, int pid)
{
    pthread_mutex_lock(&s->lock);
    sim_proc *pr = find_proc(s, pid);
    if (pr)
        pr->alive = false;
    for (size_t i = 0; pr && i < s->nfiles; i++)
        if (s->files[i].text && s->files[i].pid == pid) {
            free(s->files[i].text);
            s->files[i].text = NULL;
        }
    s->clock++;
    pthread_mutex_unlock(&s->lock);
    return pr ? 0 : gone("sim exit", pid);
}

int va_sim_set_cpuset(va_sim *s, int pid, const char *cpulist)
{
    va_cpumask m;
    int rc = va_cpumask_parse(cpulist, &m);
    if (rc)
        return rc;
    pthread_mutex_lock(&s->lock);
    sim_proc *pr = find_proc(s, pid);
    if (pr) {
        pr->cpuset = m;
        /* Like the kernel, shrinking a cpuset shrinks its threads' masks. */
        for (size_t t = 0; t < pr->nthreads; t++) {
            va_cpumask_and(&pr->threads[t].affinity, &pr->threads[t].affinity, &m);
            if (va_cpumask_empty(&pr->threads[t].affinity))
                pr->threads[t].affinity = m;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return pr ? 0 : gone("sim set_cpuset", pid);
}

int va_sim_set_last_cpu(va_sim *s, int tid, int cpu)
{
    pthread_mutex_lock(&s->lock);
    sim_thread *t = find_thread(s, tid, NULL);
    if (t)
        t->last_cpu = cpu;
    pthread_mutex_unlock(&s->lock);
    return t ? 0 : gone("sim set_last_cpu", tid);
}

/* A new file entry, chained first for its pid and tid. */
static sim_file *new_file(va_sim *s, int pid, int tid, const char *name)
{
    if (!sim_grow((void **)&s->files, &s->files_cap, s->nfiles, sizeof *s->files, 64))
        return NULL;
    uint64_t key = file_key(pid, tid);
    size_t i = s->nfiles;
    if (sim_index_put(&s->file_of, key, i))
        return NULL;
    sim_file *f = &s->files[s->nfiles++];
    *f = (sim_file){pid, tid, "", NULL, SIM_NO_INDEX};
    snprintf(f->name, sizeof f->name, "%s", name);
    return f;
}

int va_sim_set_file(va_sim *s, int pid, int tid, const char *name, const char *text)
{
    if (strlen(name) >= sizeof s->files[0].name)
        return va_fail(VMACCEL_EINVAL, "sim: file name %s too long", name);
    char *copy = strdup(text);
    pthread_mutex_lock(&s->lock);
    sim_file *f = copy ? scripted(s, pid, tid, name) : NULL;
    if (copy && !f) {
        size_t first = sim_index_get(&s->file_of, file_key(pid, tid));
        if ((f = new_file(s, pid, tid, name)) != NULL)
            f->next = first;
    }
    if (f) {
        free(f->text);
        f->text = copy;
    }
    pthread_mutex_unlock(&s->lock);
    if (!f)
        free(copy);
    return f ? 0 : va_fail(VMACCEL_ENOMEM, "sim: out of memory for a scripted file");
}

void va_sim_deny(va_sim *s, va_sim_op op, int code)
{
    pthread_mutex_lock(&s->lock);
    if ((unsigned)op < VA_SIM_OP_COUNT_)
        s->deny[op] = code;
    pthread_mutex_unlock(&s->lock);
}

void va_sim_on_action(va_sim *s, void (*fn)(va_sim *, int, void *), void *arg)
{
    pthread_mutex_lock(&s->lock);
    s->on_action = fn;
    s->on_action_arg = arg;
    pthread_mutex_unlock(&s->lock);
}
