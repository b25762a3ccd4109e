/* Planner context: derived topology facts and running loads. */
#include "affinity/plan_ctx.h"

#include "core/error.h"

#include <stdlib.h>
#include <string.h>

static int validate(const va_plan_input *in)
{
    if (!in || !in->topo)
        return va_fail(VMACCEL_EINVAL, "plan input or its topology is NULL");
    if (in->nvms && !in->vms)
        return va_fail(VMACCEL_EINVAL, "plan input has %zu VMs but no VM array",
                       in->nvms);
    if ((unsigned)in->smt > VMACCEL_SMT_ONE_PER_CORE)
        return va_fail(VMACCEL_EINVAL, "unknown SMT policy %d", (int)in->smt);
    for (size_t i = 0; i < in->nvms; i++) {
        const va_plan_vm *v = &in->vms[i];
        if (v->nvcpus == 0 || v->nvcpus > VA_PLAN_MAX_VCPUS)
            return va_fail(VMACCEL_EINVAL, "VM %zu has %u vCPUs (1..%d)", i,
                           v->nvcpus, VA_PLAN_MAX_VCPUS);
        if ((unsigned)v->strategy >= VMACCEL_STRATEGY_COUNT_)
            return va_fail(VMACCEL_EINVAL, "VM %zu: unknown strategy %d", i,
                           (int)v->strategy);
    }
    return 0;
}

/* Core, L3 and node of each PU; a PU without a core counts as its own. */
static void map_pus(va_plan_ctx *c)
{
    const vmaccel_topology *t = c->t;
    unsigned cores = t->count[VMACCEL_OBJ_CORE];
    c->ncores = cores + c->npus;
    c->nl3 = t->count[VMACCEL_OBJ_L3_CACHE];
    for (unsigned p = 0; p < c->npus; p++) {
        const va_topo_pu *pu = &t->pus[p];
        c->core_of[p] = pu->core < cores ? pu->core : cores + p;
        c->l3_of[p] = pu->cache[2] < c->nl3 ? pu->cache[2] : VMACCEL_NO_INDEX;
        c->node_of[p] = pu->node < c->nnodes ? pu->node : 0;
    }
}

/* Usable = allowed, not reserved, and (ONE_PER_CORE) first of its core. */
static void mark_usable(va_plan_ctx *c)
{
    bool *core_taken = (bool *)c->vm_core; /* scratch, cleared below */
    memset(core_taken, 0, c->ncores * sizeof *c->vm_core);
    for (unsigned p = 0; p < c->npus; p++) {
        bool u = c->t->pus[p].allowed && !(c->in->reserved && c->in->reserved[p]);
        if (u && c->in->smt == VMACCEL_SMT_ONE_PER_CORE) {
            u = !core_taken[c->core_of[p]];
            core_taken[c->core_of[p]] = true;
        }
        c->usable[p] = u;
        if (u) {
            c->nusable++;
            c->node_usable[c->node_of[p]]++;
            c->core_usable[c->core_of[p]]++;
        }
    }
    memset(c->vm_core, 0, c->ncores * sizeof *c->vm_core);
}

/* Usable PUs grouped by node, in index order within each node. */
static void group_by_node(va_plan_ctx *c)
{
    unsigned pos = 0;
    for (unsigned n = 0; n < c->nnodes; n++) {
        c->node_first[n] = pos;
        c->node_end[n] = pos;
        pos += c->node_usable[n];
    }
    c->node_first[c->nnodes] = pos;
    for (unsigned p = 0; p < c->npus; p++)
        if (c->usable[p])
            c->node_pu[c->node_end[c->node_of[p]]++] = p;
}

static int alloc_arrays(va_plan_ctx *c)
{
    unsigned np = c->npus, nn = c->nnodes, nc = c->t->count[VMACCEL_OBJ_CORE] + np;
    unsigned nl3 = c->t->count[VMACCEL_OBJ_L3_CACHE] + 1;
    c->core_of = calloc(np, sizeof *c->core_of);
    c->l3_of = calloc(np, sizeof *c->l3_of);
    c->node_of = calloc(np, sizeof *c->node_of);
    c->usable = calloc(np, sizeof *c->usable);
    c->node_usable = calloc(nn, sizeof *c->node_usable);
    c->core_usable = calloc(nc, sizeof *c->core_usable);
    c->node_first = calloc(nn + 1, sizeof *c->node_first);
    c->node_end = calloc(nn, sizeof *c->node_end);
    c->node_pu = calloc(np, sizeof *c->node_pu);
    c->strat = calloc(c->in->nvms + 1, sizeof *c->strat);
    c->load = calloc(np, sizeof *c->load);
    c->core_n = calloc(nc, sizeof *c->core_n);
    c->core_k = calloc(nc, sizeof *c->core_k);
    c->core_w = calloc(nc, sizeof *c->core_w);
    c->node_n = calloc(nn, sizeof *c->node_n);
    c->vm_core = calloc(nc, sizeof *c->vm_core);
    c->vm_l3 = calloc(nl3, sizeof *c->vm_l3);
    c->vm_node = calloc(nn, sizeof *c->vm_node);
    c->scratch = calloc(3 * (size_t)nn, sizeof *c->scratch);
    if (!c->core_of || !c->l3_of || !c->node_of || !c->usable ||
        !c->node_usable || !c->core_usable || !c->node_first || !c->node_end || !c->node_pu ||
        !c->strat || !c->load || !c->core_n || !c->core_k || !c->core_w ||
        !c->node_n || !c->vm_core || !c->vm_l3 || !c->vm_node || !c->scratch)
        return va_fail(VMACCEL_ENOMEM, "out of memory for the planner");
    return 0;
}

int va_ctx_init(va_plan_ctx *c, const va_plan_input *in)
{
    memset(c, 0, sizeof *c);
    int rc = validate(in);
    if (rc)
        return rc;
    c->in = in;
    c->t = in->topo;
    c->npus = c->t->count[VMACCEL_OBJ_PU];
    c->nnodes = va_topology_nodes(c->t) ? va_topology_nodes(c->t) : 1;
    for (size_t i = 0; i < in->nvms; i++)
        c->nvcpus += in->vms[i].nvcpus;
    rc = alloc_arrays(c);
    if (rc) {
        va_ctx_free(c);
        return rc;
    }
    map_pus(c);
    mark_usable(c);
    for (size_t i = 0; i < in->nvms; i++)
        c->strat[i] = va_plan_resolve(in, i);
    va_ctx_reset_loads(c);
    return 0;
}

void va_ctx_free(va_plan_ctx *c)
{
    free(c->core_of); free(c->l3_of); free(c->node_of); free(c->usable);
    free(c->node_usable); free(c->core_usable); free(c->node_first); free(c->node_end);
    free(c->node_pu); free(c->strat); free(c->load); free(c->core_n);
    free(c->core_k); free(c->core_w); free(c->node_n); free(c->vm_core);
    free(c->vm_l3); free(c->vm_node); free(c->scratch);
    memset(c, 0, sizeof *c);
}

void va_ctx_reset_loads(va_plan_ctx *c)
{
    memset(c->core_n, 0, c->ncores * sizeof *c->core_n);
    memset(c->core_k, 0, c->ncores * sizeof *c->core_k);
    memset(c->core_w, 0, c->ncores * sizeof *c->core_w);
    memset(c->node_n, 0, c->nnodes * sizeof *c->node_n);
    group_by_node(c);
    size_t total = c->nvcpus, over = 0;
    for (unsigned p = 0; p < c->npus; p++) {
        unsigned b = c->in->base_load ? c->in->base_load[p] : 0;
        c->load[p] = b;
        c->core_n[c->core_of[p]] += b;
        c->core_k[c->core_of[p]] += b > 0;
        c->node_n[c->node_of[p]] += b;
        if (c->usable[p])
            total += b;
    }
    /* Even loads: every usable PU ends at cap_base, `extra` of them at
     * cap_base + 1. PUs already above that (base loads) use up extras. */
    c->cap_base = c->nusable ? (unsigned)(total / c->nusable) : 0;
    size_t extra = c->nusable ? total % c->nusable : 0;
    for (unsigned p = 0; p < c->npus; p++)
        if (c->usable[p] && c->load[p] > c->cap_base)
            over++;
    c->extra_left = extra > over ? extra - over : 0;
}

void va_ctx_place(va_plan_ctx *c, size_t vm, unsigned p)
{
    unsigned core = c->core_of[p];
    if (c->usable[p] && c->load[p] == c->cap_base && c->extra_left)
        c->extra_left--;
    c->core_k[core] += c->load[p] == 0;
    c->load[p]++;
    c->core_n[core]++;
    c->core_w[core] += va_strategy_weights(c->strat[vm]).share;
    c->node_n[c->node_of[p]]++;
}

void va_ctx_unplace(va_plan_ctx *c, size_t vm, unsigned p)
{
    unsigned core = c->core_of[p];
    c->load[p]--;
    if (c->usable[p] && c->load[p] == c->cap_base)
        c->extra_left++;
    c->core_k[core] -= c->load[p] == 0;
    c->core_n[core]--;
    c->core_w[core] -= va_strategy_weights(c->strat[vm]).share;
    c->node_n[c->node_of[p]]--;
}

va_weights va_strategy_weights(vmaccel_strategy s)
{
    switch (s) {
    case VMACCEL_STRATEGY_LOAD_BALANCED:
        return (va_weights){0.0, 0.0, 0.5, 0.5};
    case VMACCEL_STRATEGY_BANDWIDTH_OPTIMIZED:
        return (va_weights){0.0, 0.1, 0.3, 0.6};
    default:
        return (va_weights){0.5, 0.2, 0.3, 0.0};
    }
}
