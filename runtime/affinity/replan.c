/* Re-planning the vCPUs a topology change left on unusable CPUs (see
 * replan.h): one planner run, one applier run, the other vCPUs untouched. */
#include "affinity/replan.h"

#include "affinity/apply.h"
#include "affinity/pin_internal.h"
#include "affinity/planner.h"

#include "core/error.h"
#include "topology/topo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Working memory of one re-plan. */
typedef struct replan {
    vmaccel_vm *vm;
    const vmaccel_topology *t;
    unsigned npus, nnodes;   /* nnodes >= 1 */
    unsigned *base;          /* per PU: vCPUs that stay there */
    bool *reserved;          /* per PU */
    size_t *moving;          /* indices of the vCPUs to move */
    unsigned nmoving;
    unsigned *from_node;     /* per moving vCPU: the logical node it was on */
    unsigned *to_pu;         /* per moving vCPU: the logical PU planned */
    va_cpumask *targets;     /* per vCPU of the VM: empty = untouched */
} replan;

static void release(replan *r)
{
    free(r->base);
    free(r->reserved);
    free(r->moving);
    free(r->from_node);
    free(r->to_pu);
    free(r->targets);
}

static int init(replan *r, vmaccel_vm *vm)
{
    memset(r, 0, sizeof *r);
    r->vm = vm;
    r->t = vm->m->topology;
    r->npus = r->t->count[VMACCEL_OBJ_PU];
    r->nnodes = va_topology_nodes(r->t) ? va_topology_nodes(r->t) : 1;
    size_t nv = vm->nvcpus + 1;
    r->base = calloc(r->npus + 1, sizeof *r->base);
    r->reserved = calloc(r->npus + 1, sizeof *r->reserved);
    r->moving = calloc(nv, sizeof *r->moving);
    r->from_node = calloc(nv, sizeof *r->from_node);
    r->to_pu = calloc(nv, sizeof *r->to_pu);
    r->targets = calloc(nv, sizeof *r->targets);
    if (r->base && r->reserved && r->moving && r->from_node && r->to_pu && r->targets)
        return 0;
    release(r);
    return va_fail(VMACCEL_ENOMEM, "out of memory re-planning VM %llu",
                   (unsigned long long)vm->id);
}

static void append(char *buf, size_t len, const char *sep, const char *text)
{
    size_t used = strlen(buf);
    if (used + 1 < len)
        snprintf(buf + used, len - used, "%s%s", used ? sep : "", text);
}

/* The logical node a vCPU was planned on. */
static unsigned node_of(const replan *r, const va_vcpu *v)
{
    if (v->planned_node < r->nnodes)
        return v->planned_node;
    unsigned pu = va_topology_pu_by_os(r->t, (unsigned)v->planned_cpu);
    return pu != VMACCEL_NO_INDEX && r->t->pus[pu].node < r->nnodes ? r->t->pus[pu].node : 0;
}

/* Splits the VM's planned vCPUs into those to move and those that stay
 * (load for the planner). Gone threads are neither. */
static void collect(replan *r, const va_cpumask *usable, va_replan_result *out)
{
    for (size_t i = 0; i < r->vm->nvcpus; i++) {
        const va_vcpu *v = &r->vm->vcpus[i];
        if (v->gone || v->planned_cpu < 0)
            continue;
        if (va_cpumask_isset(usable, (unsigned)v->planned_cpu)) {
            unsigned pu = va_topology_pu_by_os(r->t, (unsigned)v->planned_cpu);
            if (pu != VMACCEL_NO_INDEX)
                r->base[pu]++;
            continue;
        }
        char idx[16];
        snprintf(idx, sizeof idx, "%u", v->index);
        append(out->vcpus, sizeof out->vcpus, ",", idx);
        r->from_node[r->nmoving] = node_of(r, v);
        r->moving[r->nmoving++] = i;
    }
    out->affected = r->nmoving;
}

static int reserve(replan *r, const va_cpumask *usable)
{
    int rc = va_pin_reserved_pus(r->vm, NULL, r->reserved);
    for (unsigned p = 0; !rc && p < r->npus; p++)
        r->reserved[p] |= !va_cpumask_isset(usable, r->t->pus[p].os_index);
    return rc;
}

/* Gives the moving vCPUs of group g (those from node `n`) their PUs. */
static void take_group(replan *r, const va_plan *plan, size_t g, unsigned n)
{
    size_t k = plan->first[g];
    for (unsigned j = 0; j < r->nmoving; j++)
        if (r->from_node[j] == n)
            r->to_pu[j] = plan->pu[k++];
}

/* One planner VM per node the moving vCPUs came from, all its "memory" on
 * that node: LOCAL_FIRST keeps them there when it can. */
static int plan_moves(replan *r)
{
    unsigned nn = r->nnodes, *group_node = calloc(nn, sizeof *group_node);
    va_plan_vm *vms = calloc(nn, sizeof *vms);
    uint64_t *mem = calloc((size_t)nn * nn, sizeof *mem);
    int rc = group_node && vms && mem ? 0 : va_fail(VMACCEL_ENOMEM, "out of memory re-planning");
    size_t ng = 0;
    for (unsigned n = 0; !rc && n < nn; n++) {
        unsigned k = 0;
        for (unsigned j = 0; j < r->nmoving; j++)
            k += r->from_node[j] == n;
        if (!k)
            continue;
        mem[ng * nn + n] = 1;
        vms[ng] = (va_plan_vm){.nvcpus = k, .strategy = VMACCEL_STRATEGY_LOCAL_FIRST,
                               .mem_per_node = va_topology_nodes(r->t) ? &mem[ng * nn] : NULL};
        group_node[ng++] = n;
    }
    va_plan plan;
    va_plan_input in = {.topo = r->t, .reserved = r->reserved, .base_load = r->base,
                        .smt = VMACCEL_SMT_SPREAD, .nvms = ng, .vms = vms};
    if (!rc && (rc = va_plan_compute(&in, &plan)) == 0) {
        for (size_t g = 0; g < ng; g++)
            take_group(r, &plan, g, group_node[g]);
        va_plan_release(&plan);
    }
    free(group_node);
    free(vms);
    free(mem);
    return rc;
}

/* Records vCPU j's new place and describes the move. */
static void record_move(replan *r, unsigned j, va_replan_result *out)
{
    va_vcpu *v = &r->vm->vcpus[r->moving[j]];
    const va_topo_pu *pu = &r->t->pus[r->to_pu[j]];
    char text[80];
    snprintf(text, sizeof text, "vCPU %u: CPU %d -> %u (node %u)", v->index,
             v->planned_cpu, pu->os_index, pu->node);
    append(out->moves, sizeof out->moves, "; ", text);
    v->planned_cpu = (int)pu->os_index;
    v->planned_node = pu->node;
    out->moved++;
}

/* Re-pins the pinned movers (one applier run), then records every move
 * that took: a thread the applier failed on keeps its old plan. */
static int apply_moves(replan *r, bool dry_run, va_replan_result *out)
{
    vmaccel_vm *vm = r->vm;
    bool any = false;
    for (unsigned j = 0; j < r->nmoving; j++) {
        size_t i = r->moving[j];
        if (vm->vcpus[i].pinned && !dry_run) {
            va_cpumask_set(&r->targets[i], r->t->pus[r->to_pu[j]].os_index);
            any = true;
        }
    }
    va_apply_req req = {.dry_run = false, .set_nice = false, .policy = -1};
    int rc = any ? va_apply(vm, r->targets, vm->nvcpus, &req) : 0;
    for (unsigned j = 0; j < r->nmoving; j++) {
        size_t i = r->moving[j];
        if (va_cpumask_empty(&r->targets[i]) || vm->vcpus[i].result == 0)
            record_move(r, j, out);
    }
    return rc;
}

static int replan_locked(replan *r, const va_cpumask *usable, bool dry_run,
                         va_replan_result *out)
{
    int rc = va_vm_guard(r->vm);
    if (rc)
        return rc;
    collect(r, usable, out);
    if (!r->nmoving)
        return 0;
    if ((rc = reserve(r, usable)) || (rc = plan_moves(r)))
        return rc;
    return apply_moves(r, dry_run, out);
}

int va_vm_replan_unusable(vmaccel_vm *vm, const va_cpumask *usable, bool dry_run,
                          va_replan_result *out)
{
    memset(out, 0, sizeof *out);
    replan r;
    int rc = init(&r, vm);
    if (rc)
        return rc;
    va_pin_other_loads(vm, r.base);
    pthread_mutex_lock(&vm->lock);
    rc = replan_locked(&r, usable, dry_run, out);
    pthread_mutex_unlock(&vm->lock);
    release(&r);
    return rc;
}
