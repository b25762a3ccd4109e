/* Carrying out the host-wide decision (engine.h, step 5): vCPU moves
 * through the affinity applier, re-read from the kernel; migrations handed
 * to the migrator; every step told in an event that says what happened. */
#include "numa/engine.h"

#include "affinity/apply.h"
#include "core/error.h"
#include "vmm/vm_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MiB (1024.0 * 1024.0)

/* Per PU: vCPUs of watched VMs seen there, and the ones this period has
 * already placed there; moves take the least loaded usable PU of their
 * node, spreading over cores before SMT siblings. */
typedef struct pu_loads {
    unsigned *pu;      /* [PUs] */
    unsigned *core;    /* [cores] */
} pu_loads;

static int loads_init(va_numa_engine *e, va_numa_vm *const *states, size_t n, pu_loads *l)
{
    const vmaccel_topology *t = e->m->topology;
    l->pu = calloc(t->count[VMACCEL_OBJ_PU] + 1, sizeof *l->pu);
    l->core = calloc(t->count[VMACCEL_OBJ_CORE] + 1, sizeof *l->core);
    if (!l->pu || !l->core) {
        free(l->pu), free(l->core);
        return va_fail(VMACCEL_ENOMEM, "out of memory placing vCPUs");
    }
    for (size_t i = 0; i < n; i++)
        for (unsigned v = 0; v < states[i]->nvcpus; v++) {
            int cpu = states[i]->vcpu_cpu[v];
            unsigned pu = cpu >= 0 ? va_topology_pu_by_os(t, (unsigned)cpu) : VMACCEL_NO_INDEX;
            if (pu != VMACCEL_NO_INDEX) {
                l->pu[pu]++;
                if (t->pus[pu].core != VMACCEL_NO_INDEX)
                    l->core[t->pus[pu].core]++;
            }
        }
    return 0;
}

static unsigned pick_pu(va_numa_engine *e, pu_loads *l, unsigned node)
{
    const vmaccel_topology *t = e->m->topology;
    unsigned best = VMACCEL_NO_INDEX;
    for (unsigned p = 0; p < t->count[VMACCEL_OBJ_PU]; p++) {
        if (t->pus[p].node != node || !va_numa_pu_usable(e, p))
            continue;
        unsigned c = t->pus[p].core, bc = best == VMACCEL_NO_INDEX ? 0 : t->pus[best].core;
        if (best == VMACCEL_NO_INDEX || l->pu[p] < l->pu[best] ||
            (l->pu[p] == l->pu[best] && c != VMACCEL_NO_INDEX && bc != VMACCEL_NO_INDEX &&
             l->core[c] < l->core[bc]))
            best = p;
    }
    if (best != VMACCEL_NO_INDEX) {
        l->pu[best]++;
        if (t->pus[best].core != VMACCEL_NO_INDEX)
            l->core[t->pus[best].core]++;
    }
    return best;
}

/* Which of the client's vCPUs go where: a vCPU on a node holding more of
 * them than the plan keeps there moves to a node the plan fills. Writes
 * dest[v] (the node, or -1: stays). */
static unsigned plan_vcpus(const va_numa_vm *s, unsigned client, const unsigned *now,
                           const unsigned *after, unsigned nodes, int *dest)
{
    unsigned excess[VA_MAX_NODES], need[VA_MAX_NODES], moving = 0;
    for (unsigned n = 0; n < nodes; n++) {
        excess[n] = now[n] > after[n] ? now[n] - after[n] : 0;
        need[n] = after[n] > now[n] ? after[n] - now[n] : 0;
    }
    unsigned to = 0;
    for (unsigned v = 0; v < s->nvcpus; v++) {
        int n = s->vcpu_node[v];
        dest[v] = -1;
        if (s->vcpu_client[v] != client || n < 0 || (unsigned)n >= nodes || !excess[n])
            continue;
        while (to < nodes && !need[to])
            to++;
        if (to == nodes)
            break;
        excess[n]--, need[to]--;
        dest[v] = (int)to;
        moving++;
    }
    return moving;
}

/* The nodes a thread's affinity lies on, as a list ("1" or "0-1"). */
static void nodes_of_mask(va_numa_engine *e, const va_cpumask *mask, char *buf, size_t len)
{
    const vmaccel_topology *t = e->m->topology;
    va_cpumask nodes;
    va_cpumask_zero(&nodes);
    for (unsigned p = 0; p < t->count[VMACCEL_OBJ_PU]; p++)
        if (va_cpumask_isset(mask, t->pus[p].os_index) && t->pus[p].node != VMACCEL_NO_INDEX)
            va_cpumask_set(&nodes, t->pus[p].node);
    va_cpumask_format(&nodes, buf, len);
}

/* Re-reads each moved vCPU's affinity: what the kernel holds now is what
 * the event says ("vCPU 0 on CPU 2, node 1"). Returns how many are not on
 * their planned node. */
static unsigned reread(va_numa_engine *e, va_numa_vm *s, const int *dest, char *out, size_t len)
{
    unsigned wrong = 0;
    size_t used = 0;
    out[0] = '\0';
    pthread_mutex_lock(&s->vm->lock);
    for (unsigned v = 0; v < s->nvcpus && v < s->vm->nvcpus && used + 1 < len; v++) {
        if (dest[v] < 0)
            continue;
        va_cpumask mask;
        char cpus[64] = "?", nodes[64] = "?", want[16];
        const va_vcpu *vc = &s->vm->vcpus[v];
        if (s->vm->plat->get_affinity(s->vm->plat, vc->tid, &mask) == 0) {
            va_cpumask_format(&mask, cpus, sizeof cpus);
            nodes_of_mask(e, &mask, nodes, sizeof nodes);
        }
        snprintf(want, sizeof want, "%d", dest[v]);
        wrong += strcmp(nodes, want) != 0;
        int n = snprintf(out + used, len - used, "%svCPU %u on CPU %s, node %s",
                         used ? "; " : "", vc->index, cpus, nodes);
        used += n > 0 ? (size_t)n : 0;
    }
    pthread_mutex_unlock(&s->vm->lock);
    return wrong;
}

/* Pins the moving vCPUs (dest >= 0) to a PU of their node. */
static int pin_moves(va_numa_engine *e, va_numa_vm *s, const int *dest, pu_loads *l)
{
    va_cpumask *targets = calloc(s->nvcpus + 1, sizeof *targets);
    if (!targets)
        return va_fail(VMACCEL_ENOMEM, "out of memory for CPU masks");
    const vmaccel_topology *t = e->m->topology;
    pthread_mutex_lock(&s->vm->lock);
    int rc = 0;
    for (unsigned v = 0; v < s->nvcpus && v < s->vm->nvcpus && !rc; v++) {
        if (dest[v] < 0)
            continue;
        unsigned pu = pick_pu(e, l, (unsigned)dest[v]);
        if (pu == VMACCEL_NO_INDEX) {
            rc = va_fail(VMACCEL_ENOENT, "node %d has no usable CPU", dest[v]);
            break;
        }
        va_cpumask_set(&targets[v], t->pus[pu].os_index);
        s->vm->vcpus[v].planned_cpu = (int)t->pus[pu].os_index;
        s->vm->vcpus[v].planned_node = (unsigned)dest[v];
    }
    va_apply_req req = {false, false, 0, -1, 0};
    if (!rc)
        rc = va_apply(s->vm, targets, s->nvcpus < s->vm->nvcpus ? s->nvcpus : s->vm->nvcpus,
                      &req);
    pthread_mutex_unlock(&s->vm->lock);
    free(targets);
    return rc;
}

static void describe_move(va_numa_engine *e, const va_numa_vm *s, const va_host_model *m,
                          const va_decision_set *d, const va_action *a, char *buf,
                          size_t len)
{
    const va_model_client *cl = &m->clients[a->client];
    double share = cl->bytes ? (double)va_model_bytes(m, a->client)[a->target] /
                                   (double)cl->bytes : 0;
    int n = snprintf(buf, len, "local rate %.2f: move %u vCPU(s) to node %u, where %.0f%% "
                     "of their memory is (modelled rate %.2f -> %.2f)", s->local_rate,
                     a->moved, a->target, 100 * share, a->rate_before, a->rate_after);
    if (a->partner != VA_NO_PARTNER && n > 0 && (size_t)n < len) {
        const va_action *p = &d->actions[a->partner];
        snprintf(buf + n, len - (size_t)n, "; an exchange: VM %llu's %u vCPU(s) take "
                 "their place, nearer its own memory",
                 (unsigned long long)m->vms[m->clients[p->client].vm].id, p->moved);
    }
    (void)e;
}

static void act_move(va_numa_engine *e, va_numa_vm *s, const va_host_model *m,
                     const va_decision_set *d, size_t i, pu_loads *l)
{
    const va_action *a = &d->actions[i];
    char why[400], seen[400];
    describe_move(e, s, m, d, a, why, sizeof why);
    va_numa_emit(e, s, VMACCEL_EVENT_REBALANCE_PLANNED, "%s%s", why,
                 e->opts.dry_run ? " (dry run)" : "");
    if (e->opts.dry_run)
        return;
    unsigned client = a->client - m->vms[m->clients[a->client].vm].first_client;
    int *dest = calloc(s->nvcpus + 1, sizeof *dest);
    if (!dest)
        return;
    plan_vcpus(s, client, va_model_vcpus(m, a->client), d->vcpus_after + i * m->nodes,
               m->nodes, dest);
    int rc = pin_moves(e, s, dest, l);
    unsigned wrong = reread(e, s, dest, seen, sizeof seen);
    if (rc || wrong) {
        s->failures++;
        va_numa_emit(e, s, VMACCEL_EVENT_REBALANCE_FAILED, "moving vCPUs to node %u: %s%s"
                     "measured: %s", a->target, rc ? vmaccel_error_last() : "",
                     rc ? "; " : "", seen[0] ? seen : "nothing moved");
    } else {
        s->vcpu_moves++;
        va_numa_emit(e, s, VMACCEL_EVENT_REBALANCE_APPLIED, "vCPUs moved, measured: %s",
                     seen);
    }
    free(dest);
}

/* The client's guest RAM ranges: its guest node's when the VM has guest
 * nodes, else all the VM's regions. */
static int job_regions(const va_numa_vm *s, unsigned client, va_mig_job *job)
{
    const struct vmaccel_vm *vm = s->vm;
    pthread_mutex_lock(&s->vm->lock);
    bool cell = client < vm->ncells;
    size_t n = cell ? vm->cells[client].nranges : vm->nregions;
    job->regions = calloc(n + 1, sizeof *job->regions);
    for (size_t i = 0; job->regions && i < n; i++)
        job->regions[job->nregions++] =
            cell ? (va_sample_region){vm->cells[client].ranges[i][0], vm->cells[client].ranges[i][1]}
                 : (va_sample_region){vm->regions[i].start, vm->regions[i].length};
    job->pid = vm->pid;
    job->pidfd = vm->pidfd;
    job->plat = vm->plat;
    pthread_mutex_unlock(&s->vm->lock);
    return job->regions ? 0 : va_fail(VMACCEL_ENOMEM, "out of memory for a migration");
}

/* The VM's vCPU threads, for a job that stops them while its windows move
 * (migrate_stop_vcpus): not for an in-process VM (vm-accel cannot stop its
 * own threads that way), nor for a single migrate_pages(2) call. */
static int job_vcpus(const va_numa_engine *e, const va_numa_vm *s, va_mig_job *job)
{
    if (!e->opts.migrate_stop_vcpus || job->whole_process || job->pidfd < 0)
        return 0;
    struct vmaccel_vm *vm = s->vm;
    pthread_mutex_lock(&vm->lock);
    int *tids = malloc((vm->nvcpus ? vm->nvcpus : 1) * sizeof *tids);
    size_t n = 0;
    for (size_t i = 0; tids && i < vm->nvcpus; i++)
        if (!vm->vcpus[i].gone)
            tids[n++] = vm->vcpus[i].tid;
    pthread_mutex_unlock(&vm->lock);
    int rc = !tids ? va_fail(VMACCEL_ENOMEM, "out of memory for a migration's vCPU list")
             : n   ? va_vcpu_stop_init(&job->vcpu_stop, tids, n) : 0;
    free(tids);
    return rc;
}

/* Workers: half the host's PUs, 1..8 - page migration is CPU work (a
 * copy and a TLB shootdown per page), which the kernel's own balancing
 * spreads over the faulting threads. */
static unsigned migration_workers(const va_numa_engine *e)
{
    if (e->opts.migrate_workers)
        return e->opts.migrate_workers;
    unsigned pus = e->m->topology->count[VMACCEL_OBJ_PU] / 2;
    return pus < 1 ? 1 : pus > 8 ? 8 : pus;
}

static va_migrator *migrator_of(va_numa_engine *e, const va_platform *p)
{
    if (!e->migrator && va_migrator_new(p, e->decide.migrate_bytes_per_s, !p->manual_clock,
                                        migration_workers(e), &e->migrator))
        return NULL;
    return e->migrator;
}

/* The time a migration should take: at the budget, or at the rate this
 * host has been seen to move pages at when that is slower. */
static double estimate_s(va_numa_engine *e, uint64_t bytes, double *observed)
{
    double budget = (double)e->decide.migrate_bytes_per_s;
    *observed = e->migrator ? va_migrator_observed_rate(e->migrator) : 0;
    double rate = *observed > 0 && *observed < budget ? *observed : budget;
    return rate > 0 ? (double)bytes / rate : INFINITY;
}

/* True when a thread's affinity lets it run off `node`. */
static bool may_leave(va_numa_engine *e, const va_cpumask *mask, unsigned node)
{
    const vmaccel_topology *t = e->m->topology;
    for (unsigned p = 0; p < t->count[VMACCEL_OBJ_PU]; p++)
        if (t->pus[p].node != node && va_cpumask_isset(mask, t->pus[p].os_index))
            return true;
    return false;
}

/* Memory moved to where a client's vCPUs run must find them there: the
 * ones free to run anywhere (a VM nobody pinned) are kept on the target
 * node - any of its usable CPUs, so the scheduler still balances within
 * it. Without this the guest's scheduler moves them on and the memory
 * chases them from node to node. Returns how many were anchored. */
static unsigned anchor_vcpus(va_numa_engine *e, va_numa_vm *s, unsigned client,
                             unsigned target)
{
    const vmaccel_topology *t = e->m->topology;
    va_cpumask node_cpus, *targets = calloc(s->nvcpus + 1, sizeof *targets);
    if (!targets)
        return 0;
    va_cpumask_zero(&node_cpus);
    for (unsigned p = 0; p < t->count[VMACCEL_OBJ_PU]; p++)
        if (t->pus[p].node == target && va_numa_pu_usable(e, p))
            va_cpumask_set(&node_cpus, t->pus[p].os_index);
    unsigned anchored = 0;
    pthread_mutex_lock(&s->vm->lock);
    const va_platform *p = s->vm->plat;
    unsigned n = s->nvcpus < s->vm->nvcpus ? s->nvcpus : (unsigned)s->vm->nvcpus;
    for (unsigned v = 0; v < n; v++) {
        va_cpumask mask;
        if (s->vcpu_client[v] != client || s->vcpu_node[v] != (int)target ||
            p->get_affinity(p, s->vm->vcpus[v].tid, &mask) != 0 ||
            !may_leave(e, &mask, target))
            continue;
        targets[v] = node_cpus;
        s->vm->vcpus[v].planned_node = target;
        anchored++;
    }
    va_apply_req req = {false, false, 0, -1, 0};
    int rc = anchored ? va_apply(s->vm, targets, n, &req) : 0;
    pthread_mutex_unlock(&s->vm->lock);
    free(targets);
    if (rc) {
        s->failures++;
        va_numa_emit(e, s, VMACCEL_EVENT_REBALANCE_FAILED, "keeping vCPUs on node %u: %s",
                     target, vmaccel_error_last());
        return 0;
    }
    return anchored;
}

static void act_migrate(va_numa_engine *e, va_numa_vm *s, const va_host_model *m,
                        const va_action *a)
{
    double observed, secs = estimate_s(e, a->bytes, &observed);
    unsigned client = a->client - m->vms[m->clients[a->client].vm].first_client;
    bool may_anchor = !e->opts.dry_run && m->vms[m->clients[a->client].vm].may_move;
    unsigned anchored = may_anchor ? anchor_vcpus(e, s, client, a->target) : 0;
    char seen[80] = "", kept[80] = "";
    if (observed > 0)
        snprintf(seen, sizeof seen, "; this host moved pages at %.0f MiB/s", observed / MiB);
    if (anchored)
        snprintf(kept, sizeof kept, "; its %u vCPU(s) there, free to leave, now kept there",
                 anchored);
    va_numa_emit(e, s, VMACCEL_EVENT_REBALANCE_PLANNED, "local rate %.2f: migrate %.0f MiB "
                 "to node %u, where its vCPUs run (modelled rate %.2f -> %.2f; about %.1f s "
                 "at %u MiB/s%s)%s%s", s->local_rate, (double)a->bytes / MiB, a->target,
                 a->rate_before, a->rate_after, secs, e->opts.migrate_mb_per_s, seen, kept,
                 e->opts.dry_run ? " (dry run)" : "");
    if (e->opts.dry_run)
        return;
    va_mig_job *job = calloc(1, sizeof *job);
    va_migrator *mg = NULL;
    if (!job || job_regions(s, client, job) || !(mg = migrator_of(e, job->plat))) {
        s->failures++;
        va_numa_emit(e, s, VMACCEL_EVENT_REBALANCE_FAILED, "cannot start the migration: %s",
                     vmaccel_error_last());
        va_numa_free_job(job);
        return;
    }
    const vmaccel_topology *t = e->m->topology;
    job->vm_id = s->vm_id;
    job->target_node = a->target;
    job->target_os_node = (int)t->objects[VMACCEL_OBJ_NUMA_NODE][a->target].os_index;
    job->bytes_wanted = a->bytes;
    /* migrate_pages(2) moves everything the process has: only when that
     * is what was decided (the VM is one client and all of its memory
     * elsewhere goes). */
    job->whole_process = e->opts.migrate_whole && m->vms[m->clients[a->client].vm].nclients == 1 &&
                         a->bytes + va_model_bytes(m, a->client)[a->target] >=
                             m->clients[a->client].bytes;
    if (job_vcpus(e, s, job)) {
        s->failures++;
        va_numa_emit(e, s, VMACCEL_EVENT_REBALANCE_FAILED, "cannot start the migration: %s",
                     vmaccel_error_last());
        va_numa_free_job(job);
        return;
    }
    va_migration_begin(&job->mg, job->pid, job->target_node, job->target_os_node);
    s->job = job;
    va_migrator_submit(mg, job);
}

/* "No fix" is told once per reason, not every period. */
static void defer(va_numa_engine *e, va_numa_vm *s, const char *why)
{
    if (!va_told_first(&s->deferred, why))
        return;
    va_numa_emit(e, s, VMACCEL_EVENT_REBALANCE_DEFERRED, "local rate %.2f: no fix now: %s",
                 s->local_rate, why);
}

void va_numa_act(va_numa_engine *e, va_numa_vm *const *states, const va_host_model *m,
                 const va_decision_set *d)
{
    for (size_t i = 0; i < d->nno_fix; i++)
        defer(e, states[d->no_fix[i].vm], d->no_fix[i].why);
    pu_loads loads = {0};
    if (d->nactions && loads_init(e, states, m->nvms, &loads))
        return;
    for (size_t i = 0; i < d->nactions; i++) {
        const va_action *a = &d->actions[i];
        va_numa_vm *s = states[m->clients[a->client].vm];
        if (a->kind == VA_ACT_MOVE_VCPUS)
            act_move(e, s, m, d, i, &loads);
        else
            act_migrate(e, s, m, a);
        va_told_clear(&s->deferred);
        s->sample_every = 1, s->sample_wait = 0; /* look again next period */
    }
    /* The cooldown starts once per VM acted on (not per action); a dry
     * run keeps the same rhythm, so it says what a real run would do. */
    for (size_t v = 0; v < m->nvms; v++)
        for (size_t i = 0; i < d->nactions; i++)
            if (m->clients[d->actions[i].client].vm == v) {
                va_policy_acted(&e->policy, &states[v]->policy);
                break;
            }
    free(loads.pu);
    free(loads.core);
}
