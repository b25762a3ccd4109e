/*
 * Internal: the simulated host's state, shared by sim.c (processes,
 * threads, /proc) and sim_cpus.c (CPU hotplug, this process's cpuset).
 * Everything here is guarded by va_sim.lock.
 */
#ifndef VA_PLATFORM_SIM_PRIV_H
#define VA_PLATFORM_SIM_PRIV_H

#include "platform/sim.h"
#include "platform/sim_numa.h"

#include <pthread.h>

#define SIM_MAX_PROCS 64
#define SIM_MAX_THREADS 256
#define SIM_MAX_FILES 128
#define SIM_MAX_PIDFDS 64

typedef struct sim_thread {
    int tid;
    char comm[16];
    unsigned long long start;
    va_cpumask affinity;
    int nice, policy, priority, last_cpu;
} sim_thread;

typedef struct sim_proc {
    bool alive;
    int pid;
    unsigned long long start;
    va_cpumask cpuset;
    sim_thread threads[SIM_MAX_THREADS];
    size_t nthreads;
} sim_proc;

typedef struct sim_file {
    int pid, tid;
    char name[32];
    char *text;
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
    unsigned long long clock;
    sim_proc procs[SIM_MAX_PROCS];
    sim_file files[SIM_MAX_FILES];
    sim_pidfd pidfds[SIM_MAX_PIDFDS];
    int deny[VA_SIM_OP_COUNT_];
    void (*on_action)(va_sim *, int, void *);
    void *on_action_arg;
};

static inline va_sim *sim_of(const va_platform *p)
{
    return p->ctx;
}

/* The CPUs a process's cpuset gives its threads now: its cpuset's online
 * CPUs, or every online CPU when none of them is online (cgroup v2 falls
 * back to the parent's). Lock held. */
void va_sim_effective_cpuset_locked(const va_sim *s, const sim_proc *pr,
                                    va_cpumask *out);

#endif
