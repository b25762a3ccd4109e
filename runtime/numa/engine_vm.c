/* One VM's engine period: observe, model, decide, act, tell. */
#include "numa/engine.h"

#include "core/error.h"
#include "loop/events.h"
#include "vmm/vm_internal.h"
#include "vmaccel/affinity.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The moment a change is worth an event: 5 percentage points. */
#define LOCALITY_EVENT_DELTA 0.05

/* What a period needs from the VM, copied under its lock so that no VM
 * lock is held across the sampler's system calls. */
typedef struct vm_view {
    int pid;
    int *tids;
    size_t ntids;
    va_sample_region regions[VA_VM_MAX_REGIONS];
    size_t nregions;
    uint64_t ram_bytes;
    vmaccel_strategy strategy;
} vm_view;

static int copy_view(struct vmaccel_vm *vm, vm_view *v)
{
    memset(v, 0, sizeof *v);
    pthread_mutex_lock(&vm->lock);
    /* The pidfd guard first: a VMM that exited is marked gone (VM_GONE)
     * here, before anything reads a possibly recycled pid. */
    int rc = vm->gone ? VMACCEL_EGONE : va_vm_guard(vm);
    if (!rc) {
        v->tids = calloc(vm->nvcpus + 1, sizeof *v->tids);
        rc = v->tids ? 0 : va_fail(VMACCEL_ENOMEM, "out of memory for a VM view");
    }
    for (size_t i = 0; !rc && i < vm->nvcpus; i++)
        v->tids[v->ntids++] = vm->vcpus[i].tid; /* gone threads read as gone */
    for (size_t i = 0; !rc && i < vm->nregions; i++) {
        v->regions[i] = (va_sample_region){vm->regions[i].start, vm->regions[i].length};
        v->ram_bytes += vm->regions[i].length;
    }
    v->nregions = vm->nregions;
    v->pid = vm->pid;
    v->strategy = vm->plan_strategy;
    pthread_mutex_unlock(&vm->lock);
    return rc;
}

static void emit(va_numa_engine *e, va_numa_vm *s, vmaccel_event_type type,
                 const char *fmt, const char *detail)
{
    double rate = s->have_loc ? s->loc.local_rate : 0.0;
    va_event_emitf(e->m, type, s->vm_id, rate, fmt, detail);
}

static void note_locality(va_numa_engine *e, va_numa_vm *s)
{
    double r = s->loc.local_rate;
    if (!isnan(s->emitted_rate) && fabs(r - s->emitted_rate) < LOCALITY_EVENT_DELTA)
        return;
    char msg[96];
    snprintf(msg, sizeof msg, "local rate %.2f (%s)", r,
             s->loc.source == VA_SOURCE_NUMA_FAULTS ? "NUMA faults" : "page placement");
    emit(e, s, VMACCEL_EVENT_LOCALITY_CHANGED, "%s", msg);
    s->emitted_rate = r;
}

/* A PU the planner may use: allowed by the topology and, once the
 * topology watch has read them, online and in vm-accel's cpuset. */
static bool pu_usable(const va_numa_engine *e, const va_topo_pu *pu)
{
    return pu->allowed &&
           (!e->cpus.have || va_cpumask_isset(&e->cpus.usable, pu->os_index));
}

/* Usable PUs per node minus the vCPUs other VMs run there. */
static void fill_facts(va_numa_engine *e, va_numa_vm *s, const vm_view *v,
                       va_vm_facts *f)
{
    const vmaccel_topology *t = e->m->topology;
    memset(f, 0, sizeof *f);
    f->nodes = va_topology_nodes(t) < VA_MAX_NODES ? va_topology_nodes(t) : VA_MAX_NODES;
    f->vcpus = s->nvcpus;
    for (unsigned p = 0; p < t->count[VMACCEL_OBJ_PU]; p++)
        if (pu_usable(e, &t->pus[p]) && t->pus[p].node < f->nodes)
            f->free_pus_on_node[t->pus[p].node]++;
    for (va_numa_vm *o = e->vms; o; o = o->next)
        for (unsigned n = 0; o != s && n < f->nodes; n++)
            f->free_pus_on_node[n] -= o->vcpus_on_node[n] < f->free_pus_on_node[n]
                                          ? o->vcpus_on_node[n] : f->free_pus_on_node[n];
    uint64_t sampled = 0;
    for (unsigned n = 0; n < f->nodes; n++)
        sampled += s->pages_per_node[n];
    for (unsigned n = 0; n < f->nodes; n++) {
        f->vcpus_on_node[n] = s->vcpus_on_node[n];
        f->bytes_on_node[n] = sampled ? (uint64_t)((double)v->ram_bytes *
                                                   (double)s->pages_per_node[n] / (double)sampled)
                                      : 0;
    }
}

static int observe(va_numa_engine *e, va_numa_vm *s, const vm_view *v)
{
    if (s->nvcpus != v->ntids || !s->sampler.last_runtime) {
        va_sampler_state_release(&s->sampler);
        int rc = va_sampler_state_init(&s->sampler, v->ntids, s->vm_id * 2654435761u + 1);
        if (rc)
            return rc;
        s->nvcpus = (unsigned)v->ntids;
    }
    va_vcpu_obs *vcpus = calloc(v->ntids + 1, sizeof *vcpus);
    if (!vcpus)
        return va_fail(VMACCEL_ENOMEM, "out of memory for vCPU observations");
    va_vm_obs obs = {0};
    va_sample_stats stats;
    va_sampler_input in = {s->vm->plat, e->m->topology, v->pid, v->tids, v->ntids,
                           v->regions, v->nregions, e->opts.sample_error};
    int rc = va_sampler_run(&in, &s->sampler, &obs, vcpus, &stats);
    if (!rc) {
        memcpy(s->pages_per_node, obs.pages_on_node, sizeof s->pages_per_node);
        memset(s->vcpus_on_node, 0, sizeof s->vcpus_on_node);
        for (size_t i = 0; i < v->ntids; i++)
            if (vcpus[i].node >= 0 && vcpus[i].node < VA_MAX_NODES)
                s->vcpus_on_node[vcpus[i].node]++;
        s->have_loc = va_locality_compute(&obs, 16, &s->loc);
        s->samples++;
    }
    free(vcpus);
    return rc;
}

static void finish_migration(va_numa_engine *e, va_numa_vm *s, int rc)
{
    char msg[200];
    const va_migration *mg = &s->mig;
    s->pages_migrated += mg->pages_moved;
    if (rc || (mg->pages_moved == 0 && mg->pages_failed > 0)) {
        s->failures++;
        snprintf(msg, sizeof msg, "memory migration to node %u failed: %s (%llu pages "
                 "moved, %llu failed, last error %d)", mg->target_node,
                 rc ? vmaccel_strerror(rc) : "no page could move",
                 (unsigned long long)mg->pages_moved,
                 (unsigned long long)mg->pages_failed, mg->last_error);
        emit(e, s, VMACCEL_EVENT_REBALANCE_FAILED, "%s", msg);
        return;
    }
    s->migrations++;
    /* The kernel moves a transparent huge page whole: moving one 4 KiB page
     * of it brings the other 511 along, and those are then found in place. */
    snprintf(msg, sizeof msg, "memory on node %u: %llu page moves (%llu MiB), %llu pages "
             "found there (already, or moved with their huge page), %llu could not move",
             mg->target_node, (unsigned long long)mg->pages_moved,
             (unsigned long long)(mg->pages_moved * 4096 >> 20),
             (unsigned long long)mg->pages_already, (unsigned long long)mg->pages_failed);
    emit(e, s, VMACCEL_EVENT_REBALANCE_APPLIED, "%s", msg);
}

static void step_migration(va_numa_engine *e, va_numa_vm *s, const vm_view *v)
{
    int rc = va_migration_step(&s->mig, s->vm->plat, v->regions, v->nregions, &e->budget);
    if (rc || !s->mig.active)
        finish_migration(e, s, rc);
}

static void move_vcpus(va_numa_engine *e, va_numa_vm *s)
{
    vmaccel_pin_options o = VMACCEL_PIN_OPTIONS_INIT;
    o.strategy = VMACCEL_STRATEGY_LOCAL_FIRST; /* vCPUs to the memory's node */
    int rc = vmaccel_vm_pin(s->vm, &o);
    if (rc) {
        s->failures++;
        emit(e, s, VMACCEL_EVENT_REBALANCE_FAILED, "moving vCPUs failed: %s",
             vmaccel_error_last());
        return;
    }
    s->vcpu_moves++;
    emit(e, s, VMACCEL_EVENT_REBALANCE_APPLIED, "%s",
         "vCPUs re-pinned next to their memory (LocalFirst)");
}

static void act(va_numa_engine *e, va_numa_vm *s, const vm_view *v, const va_decision *d)
{
    emit(e, s, VMACCEL_EVENT_REBALANCE_PLANNED, e->opts.dry_run ? "%s (dry run)" : "%s",
         d->why);
    if (e->opts.dry_run)
        return;
    if (d->action == VA_ACTION_MOVE_VCPUS) {
        move_vcpus(e, s);
        return;
    }
    const vmaccel_topology *t = e->m->topology;
    int os_node = (int)t->objects[VMACCEL_OBJ_NUMA_NODE][d->target_node].os_index;
    va_migration_begin(&s->mig, v->pid, d->target_node, os_node);
    step_migration(e, s, v);
}

/* A VM pinned LoadBalanced keeps its spread (memory follows the vCPUs);
 * any other VM gets the cheaper fix. */
static va_strategy policy_strategy(vmaccel_strategy s)
{
    return s == VMACCEL_STRATEGY_LOAD_BALANCED ? VA_STRATEGY_LOAD_BALANCED
                                               : VA_STRATEGY_ADAPTIVE;
}

void va_numa_vm_period(va_numa_engine *e, va_numa_vm *s)
{
    vm_view v;
    if (copy_view(s->vm, &v) != 0)
        return; /* gone (its VM_GONE was emitted when it was marked) */
    if (s->mig.active)
        step_migration(e, s, &v);
    int rc = observe(e, s, &v);
    if (rc == VMACCEL_EGONE) {
        pthread_mutex_lock(&s->vm->lock);
        va_vm_guard(s->vm); /* marks it gone with VM_GONE */
        pthread_mutex_unlock(&s->vm->lock);
    } else if (!rc && s->have_loc) {
        note_locality(e, s);
        if (!s->mig.active) {
            va_vm_facts f;
            va_decision d;
            fill_facts(e, s, &v, &f);
            va_policy_config c = e->policy;
            c.strategy = policy_strategy(v.strategy);
            va_policy_step(&c, &s->policy, &s->loc, &f, &d);
            if (d.action != VA_ACTION_NONE)
                act(e, s, &v, &d);
        }
    }
    free(v.tids);
}
