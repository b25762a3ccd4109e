/*
 * Internal: the simulated host's state, shared by sim.c (processes,
 * threads, /proc) and sim_cpus.c (CPU hotplug, this process's cpuset).
 * Everything here is guarded by va_sim.lock.
 */
#ifndef VA_PLATFORM_SIM_PRIV_H
#define VA_PLATFORM_SIM_PRIV_H

#include "platform/sim.h"
#include "platform/sim_index.h"
#include "platform/sim_numa.h"

#include <pthread.h>

/* A thread's own cgroup cpuset (va_sim_set_thread_cgroup); unset: the
 * process's cpuset governs it. */
typedef struct sim_cgroup {
    bool set;
    va_thread_cpuset info;
} sim_cgroup;

typedef struct sim_thread {
    int tid;
    char comm[16];
    unsigned long long start;
    va_cpumask affinity;
    int nice, policy, priority, last_cpu;
    sim_cgroup cg;
    bool stopped;        /* thread_stop .. thread_resume */
    unsigned stops;
} sim_thread;

typedef struct sim_proc {
    bool alive;
    int pid;
    unsigned long long start;
    va_cpumask cpuset;
    sim_thread *threads;
    size_t nthreads, cap;
} sim_proc;

typedef struct sim_file {
    int pid, tid;
    char name[32];
    char *text;          /* NULL: deleted */
    size_t next;         /* the next file of the same pid and tid */
} sim_file;

typedef struct sim_pidfd {
    bool open;
    int pid;
    unsigned long long start;
} sim_pidfd;

#define SIM_FD_BASE 1000

struct va_sim {
    pthread_mutex_t lock;
    va_platform plat;
    va_sim_numa *numa;   /* memory, node files, clock: sim_numa.c */
    va_cpumask online;
    va_cpumask own_cpuset;  /* this process's cgroup cpuset: sim_cpus.c */
    uint64_t cpu_busy[VA_MAX_CPUS]; /* busy ns per CPU, as scripted */
    unsigned long long clock;
    sim_proc *procs;     /* every process ever spawned (dead ones too) */
    size_t nprocs, procs_cap;
    sim_index by_pid;    /* pid -> its latest process */
    sim_index by_tid;    /* tid -> the process it was last added to */
    sim_file *files;
    size_t nfiles, files_cap;
    sim_index file_of;   /* (pid << 32 | tid) -> its first file */
    sim_pidfd *pidfds;
    size_t npidfds;
    int deny[VA_SIM_OP_COUNT_];
    void (*on_action)(va_sim *, int, void *);
    void *on_action_arg;
};

/* Runs the test's on_action hook (va_sim_on_action) for `tid`; takes the
 * lock to read it, calls it without. */
void va_sim_before_action(va_sim *s, int tid);
/* Some thread of `pid` is stopped (sim_stop.c); takes the lock. */
bool va_sim_any_stopped(va_sim *s, int pid);

static inline va_sim *sim_of(const va_platform *p)
{
    return p->ctx;
}

/* The CPUs a process's cpuset gives its threads now: its cpuset's online
 * CPUs, or every online CPU when none of them is online (cgroup v2 falls
 * back to the parent's). Lock held. */
void va_sim_effective_cpuset_locked(const va_sim *s, const sim_proc *pr,
                                    va_cpumask *out);
/* The same for one thread: its own cgroup's cpuset when it has one. */
void va_sim_thread_effective_locked(const va_sim *s, const sim_proc *pr,
                                    const sim_thread *t, va_cpumask *out);
/* The thread `tid` and its process, or NULL. Lock held. */
sim_thread *va_sim_find_thread_locked(va_sim *s, int tid, sim_proc **owner);

#endif
