/*
 * Internal: the NUMA engine. Each period: the host's CPUs (a CPU offline
 * or a cpuset shrunk re-plans the vCPUs left there), then for each
 * attached VM: sampler -> locality model -> policy -> (planner + applier |
 * migration) -> events. It runs on the manager's loop (a uv timer) or on a caller's
 * thread (vmaccel_manager_numa_tick); its own lock serialises periods.
 *
 * Locks: engine lock, then the manager's lock, then a VM's lock (the
 * order of vmm/vm_internal.h, with the engine's first). The engine never
 * holds the manager's lock while acting on a VM: it copies what it needs.
 * A VM being detached calls va_numa_vm_detached() before it is freed,
 * which waits for a period in progress and drops the engine's state.
 */
#ifndef VA_NUMA_ENGINE_H
#define VA_NUMA_ENGINE_H

#include "core/manager_internal.h"
#include "numa/cpu_watch.h"
#include "numa/locality.h"
#include "numa/migrate.h"
#include "numa/policy.h"
#include "numa/sampler.h"
#include "report/arena.h"
#include "vmaccel.pb-c.h"
#include "vmaccel/numa.h"

#include <pthread.h>

struct vmaccel_vm;

typedef struct va_numa_vm {
    struct va_numa_vm *next;
    struct vmaccel_vm *vm;
    uint64_t vm_id;
    va_sampler_state sampler;
    va_policy_state policy;
    va_locality loc;                /* latest */
    bool have_loc;
    double emitted_rate;            /* last LOCALITY_CHANGED value */
    uint64_t pages_per_node[VA_MAX_NODES]; /* latest sample */
    unsigned vcpus_on_node[VA_MAX_NODES];
    unsigned nvcpus;
    va_migration mig;
    uint64_t samples, vcpu_moves, migrations, pages_migrated, failures;
} va_numa_vm;

typedef struct va_numa_engine {
    pthread_mutex_t lock;
    vmaccel_manager *m;
    vmaccel_numa_options opts;      /* defaults filled in */
    va_policy_config policy;
    struct va_timer *timer;         /* armed while enabled */
    unsigned timer_period_ms;
    va_budget budget;
    va_numa_vm *vms;
    uint64_t periods;
    va_cpu_watch cpus;              /* online CPUs and cpuset (topology_watch.c) */
} va_numa_engine;

/* Turns balancing on/off (called by enable_numa/disable_numa without the
 * manager's lock). */
int va_numa_enable(vmaccel_manager *m);
void va_numa_disable(vmaccel_manager *m);
/* Frees the engine; the loop must be stopped already. */
void va_numa_destroy(vmaccel_manager *m);
/* A VM leaves: wait for a period in progress, drop its state. */
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
/* One VM's period (engine_vm.c); engine lock held. */
void va_numa_vm_period(va_numa_engine *e, va_numa_vm *s);

/* The manager's engine, or NULL before enable/configure created it. Any
 * thread, no lock. */
va_numa_engine *va_numa_existing(const vmaccel_manager *m);

/* The report's locality section. Takes the engine lock only. */
int va_numa_report(vmaccel_manager *m, Vmaccel__V1__DiagnosticReport *r, va_arena *a);

#endif
