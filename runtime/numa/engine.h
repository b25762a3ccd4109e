/*
 * Internal: the NUMA engine. One period decides for the whole host:
 *  1. topology watch: a CPU offline or a cpuset shrunk re-plans the vCPUs
 *     left there (topology_watch.c);
 *  2. observe every attached VM (observe.c): where its vCPUs ran and for
 *     how long, where each NUMA client's memory is (sampled), its local
 *     rate; and finished migrations (act.c);
 *  3. build the host model (model_build.c): nodes' usable PUs, load and
 *     free memory, each VM's clients and constraints;
 *  4. decide (decide.h, pure) after each VM's gate (policy.h);
 *  5. apply (act.c): vCPU moves through the affinity applier, migrations
 *     handed to the migrator (migrator.h, off the loop thread); re-read
 *     what the kernel did and say it in events.
 * It runs on the manager's loop (a uv timer) or on a caller's thread
 * (vmaccel_manager_numa_tick); its own lock serialises periods.
 *
 * Locks: engine lock, then the manager's lock, then a VM's lock (the
 * order of vmm/vm_internal.h, with the engine's first); the migrator's own
 * lock is taken last and never held across a call into the others. The
 * engine never holds the manager's lock while acting on a VM. A VM being
 * detached calls va_numa_vm_detached() before it is freed, which waits for
 * a period in progress, cancels its migration and drops its state.
 */
#ifndef VA_NUMA_ENGINE_H
#define VA_NUMA_ENGINE_H

#include "core/manager_internal.h"
#include "numa/budget.h"
#include "numa/cpu_watch.h"
#include "numa/decide.h"
#include "numa/locality.h"
#include "numa/migrator.h"
#include "numa/policy.h"
#include "numa/sampler.h"
#include "numa/told.h"
#include "report/arena.h"
#include "vmaccel.pb-c.h"
#include "vmaccel/affinity.h"
#include "vmaccel/events.h"
#include "vmaccel/numa.h"

#include <pthread.h>

struct vmaccel_vm;

/* The engine's state for one VM (vm->numa points here; engine lock). */
typedef struct va_numa_vm {
    struct va_numa_vm *next;       /* the engine's list */
    struct vmaccel_vm *vm;
    uint64_t vm_id;
    va_sampler_state sampler;
    va_policy_state policy;
    /* The latest observation (observe.c). */
    bool have_loc;
    bool empty;                    /* sampled with nothing resident: a paused
                                      or not yet started guest, nothing to place */
    va_locality_source source;
    double local_rate, error;      /* measured, and its error bound */
    double emitted_rate;           /* last LOCALITY_CHANGED value (NaN: none) */
    unsigned home_node;            /* node holding most of its memory */
    vmaccel_strategy strategy;     /* its pin strategy (policy: which fixes) */
    unsigned nodes, nvcpus, nclients;
    int *vcpu_node;                /* [nvcpus] node it ran on, -1 unknown */
    int *vcpu_cpu;                 /* [nvcpus] the CPU, -1 unknown */
    double *vcpu_rate;             /* [nvcpus] local rate, NaN unknown */
    uint64_t *vcpu_runtime;        /* [nvcpus] CPU ns in the last period */
    unsigned *vcpu_client;         /* [nvcpus] its NUMA client */
    uint64_t *client_pages;        /* [nclients * nodes] sampled pages */
    uint64_t *client_bytes;        /* [nclients * nodes] memory, estimated */
    double *client_weight;         /* [nclients] CPU time, or vCPU count */
    /* Memory is sampled every `sample_every` periods (1..8): a VM that
     * stays well placed and still is looked at less often. */
    unsigned sample_every, sample_wait;
    va_mig_job *job;               /* its migration under way, or NULL */
    va_told deferred;              /* "no fix" reasons told (told.h) */
    bool wants_fix;                /* its gate opened this period */
    uint64_t cpu_nodes;            /* nodes its cpuset allows (model_build.c) */
    uint64_t cpuset_read_at;       /* engine period + 1 of that read, 0 never */
    uint64_t samples, vcpu_moves, migrations, pages_migrated, failures;
} va_numa_vm;

/* Arrays one VM's observation needs, reused VM after VM (observe.c). */
typedef struct va_numa_scratch {
    int *tids;                     /* per vCPU, vcpus_cap each: */
    unsigned *vcpu_client;
    va_vcpu_obs *obs, *sub;
    double *rates;
    size_t vcpus_cap;
    va_sample_region *regions;
    size_t regions_cap;
    size_t *client_first;
    size_t clients_cap;
} va_numa_scratch;

void va_numa_scratch_free(va_numa_scratch *sc);

typedef struct va_numa_engine {
    pthread_mutex_t lock;
    vmaccel_manager *m;
    vmaccel_numa_options opts;      /* defaults filled in */
    va_policy_config policy;
    va_decide_config decide;
    struct va_timer *timer;         /* armed while enabled */
    unsigned timer_period_ms;
    va_migrator *migrator;          /* created with the engine */
    va_numa_vm *vms;
    size_t nvms;
    uint64_t periods;
    double last_host_rate;          /* host-wide, measured (NaN: none) */
    va_cpu_watch cpus;              /* online CPUs and cpuset (topology_watch.c) */
    uint64_t *busy_prev;            /* CPUs' busy ns at the last period (cpu_load.c) */
    unsigned nbusy;
    uint64_t busy_prev_ns;
    va_numa_scratch scratch;
} va_numa_engine;

/* Turns balancing on/off (called by enable_numa/disable_numa without the
 * manager's lock). */
int va_numa_enable(vmaccel_manager *m);
void va_numa_disable(vmaccel_manager *m);
/* Frees the engine; the loop must be stopped already. */
void va_numa_destroy(vmaccel_manager *m);
/* A VM leaves: wait for a period in progress, cancel its migration, drop
 * its state. */
void va_numa_vm_detached(struct vmaccel_vm *vm);

/* One period over every VM; engine lock held. */
void va_numa_period_locked(va_numa_engine *e);
/* The engine's state for a VM, created on first use; NULL when out of
 * memory. Engine lock held. */
va_numa_vm *va_numa_state_of(va_numa_engine *e, struct vmaccel_vm *vm);

/* The topology watch (topology_watch.c), engine lock held. _begin takes
 * the baseline reading if there is none yet (enable); _period compares
 * with it, emits TOPOLOGY_CHANGED on a change and, when CPUs stopped
 * being usable, re-plans the VMs among vms[0..n) (live ones) that have
 * vCPUs planned on them, with REBALANCE_PLANNED and _APPLIED/_FAILED. A
 * CPU coming back only emits the event: nothing is moved back onto it
 * (the policy and later pins may use it again). */
void va_numa_topology_begin(va_numa_engine *e);
void va_numa_topology_period(va_numa_engine *e, struct vmaccel_vm *const *vms, size_t n);

/* Observes one VM (observe.c): 0, VMACCEL_EGONE (its VMM exited: marked
 * gone), or another error (nothing measured this period). */
int va_numa_observe(va_numa_engine *e, va_numa_vm *s);
/* Where the model's usable PUs are: allowed by the topology and, once the
 * topology watch has read them, online and in vm-accel's cpuset. */
bool va_numa_pu_usable(const va_numa_engine *e, unsigned pu);
/* Other threads' load (cpu_load.c): each node's PUs kept busy by threads
 * that are not the vCPUs of states[0..n), from the CPUs' busy time since
 * the previous period (nothing on the first). */
void va_numa_other_load(va_numa_engine *e, va_host_model *m, va_numa_vm *const *states,
                        size_t n);
/* The host model of this period (model_build.c) over states[0..n). */
int va_numa_build_model(va_numa_engine *e, va_numa_vm *const *states, size_t n,
                        va_host_model *out);
/* Carries out a decision (act.c), and tells what happened in events. */
void va_numa_act(va_numa_engine *e, va_numa_vm *const *states, const va_host_model *m,
                 const va_decision_set *d);
/* Finished migrations: their events and counters (migrations.c). */
void va_numa_collect_migrations(va_numa_engine *e);
/* A VM detached with its migration unfinished or untold (migrations.c):
 * its end if it had one, else FAILED saying how far it got. */
void va_numa_report_interrupted(va_numa_engine *e, va_numa_vm *s);
void va_numa_free_job(va_mig_job *job);

/* An event about a VM with its latest rate. */
void va_numa_emit(va_numa_engine *e, const va_numa_vm *s, vmaccel_event_type type,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The manager's engine, or NULL before enable/configure created it. Any
 * thread, no lock. */
va_numa_engine *va_numa_existing(const vmaccel_manager *m);

/* The report's locality section. Takes the engine lock only. */
int va_numa_report(vmaccel_manager *m, Vmaccel__V1__DiagnosticReport *r, va_arena *a);

#endif
