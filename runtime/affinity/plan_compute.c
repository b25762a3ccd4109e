/* The greedy planner: VMs largest first; for each, node quotas by strategy
 * (plan_nodes.c), then inside each node the PU that raises the score most
 * (SMT share and cache sharing, computed in O(1) from running counts). */
#include "affinity/plan_nodes.h"

#include "core/error.h"

#include <stdlib.h>
#include <string.h>

#define EPS 1e-12

typedef struct pick_state {
    size_t vm;
    unsigned nv;             /* the VM's vCPU count */
    va_weights w;
    unsigned rem_q;          /* vCPUs still to place in this node */
    unsigned rem_base;       /* slots below cap_base left in this node */
} pick_state;

/* Score gained by putting the next vCPU of the VM on PU p. */
static double gain(const va_plan_ctx *c, const pick_state *s, unsigned p)
{
    unsigned core = c->core_of[p], n = c->core_n[core], k = c->core_k[core];
    unsigned k2 = k + (c->load[p] == 0);
    double before = n ? c->core_w[core] * va_core_capacity(k) / n : 0.0;
    double after = (c->core_w[core] + s->w.share) * va_core_capacity(k2) / (n + 1);
    double g = after - before;
    if (s->nv > 1 && s->w.cache > 0) {
        unsigned l3 = c->l3_of[p];
        double same_core = c->vm_core[core];
        double same_l3 = l3 != VMACCEL_NO_INDEX ? c->vm_l3[l3] : same_core;
        double same_node = c->vm_node[c->node_of[p]];
        double l3_only = same_l3 > same_core ? same_l3 - same_core : 0;
        double node_only = same_node > same_l3 ? same_node - same_l3 : 0;
        double pairs = same_core + 0.6 * l3_only + 0.3 * node_only;
        g += 2.0 * s->w.cache * pairs / (double)(s->nv - 1);
    }
    return g;
}

static bool candidate(const va_plan_ctx *c, const pick_state *s, unsigned p)
{
    if (c->load[p] < c->cap_base)
        return true;
    /* An optional slot only when the node's base slots cannot hold the
     * rest of its quota: the quotas counted exactly that many. */
    return c->load[p] == c->cap_base && c->extra_left > 0 &&
           s->rem_q > s->rem_base;
}

/* Is PU a better choice than PU b? Keys in order: (PACK) a core already
 * holding this VM, fewer vCPUs on the core, more gain, lower PU load,
 * lower index. */
static bool better(const va_plan_ctx *c, unsigned a, double ga, unsigned b,
                   double gb)
{
    if (c->in->smt == VMACCEL_SMT_PACK) {
        bool oa = c->vm_core[c->core_of[a]] > 0, ob = c->vm_core[c->core_of[b]] > 0;
        if (oa != ob)
            return oa;
    }
    unsigned na = c->core_n[c->core_of[a]], nb = c->core_n[c->core_of[b]];
    if (na != nb)
        return na < nb;
    if (ga > gb + EPS || ga < gb - EPS)
        return ga > gb;
    if (c->load[a] != c->load[b])
        return c->load[a] < c->load[b];
    return a < b;
}

/* Cheap keys first: a candidate that already loses on them is not worth
 * the gain computation (this loop is the planner's hot path). */
static bool loses_early(const va_plan_ctx *c, unsigned p, unsigned best)
{
    unsigned cp = c->core_of[p], cb = c->core_of[best];
    if (c->in->smt == VMACCEL_SMT_PACK && (c->vm_core[cp] > 0) != (c->vm_core[cb] > 0))
        return c->vm_core[cb] > 0;
    return c->core_n[cp] > c->core_n[cb];
}

/* p is a copy of best in every input of gain() and every key but the
 * index, so best (examined first, lower index) already wins. Idle cores of
 * one L3 look alike: this skips most of them. */
static bool same_as_best(const va_plan_ctx *c, unsigned p, unsigned best)
{
    unsigned cp = c->core_of[p], cb = c->core_of[best];
    return c->load[p] == c->load[best] && c->core_n[cp] == c->core_n[cb] &&
           c->core_k[cp] == c->core_k[cb] && c->vm_core[cp] == c->vm_core[cb] &&
           c->l3_of[p] == c->l3_of[best] && c->core_w[cp] == c->core_w[cb];
}

static unsigned pick_in_node(const va_plan_ctx *c, const pick_state *s, unsigned n)
{
    unsigned best = VMACCEL_NO_INDEX, prev = VMACCEL_NO_INDEX;
    double best_g = 0;
    for (unsigned i = c->node_first[n]; i < c->node_end[n]; i++) {
        unsigned p = c->node_pu[i];
        if (!candidate(c, s, p) ||
            (best != VMACCEL_NO_INDEX &&
             (loses_early(c, p, best) || same_as_best(c, p, best))))
            continue;
        /* A sibling just examined with no more load wins every key
         * (same core, same or higher gain, lower index). */
        if (prev != VMACCEL_NO_INDEX && c->core_of[prev] == c->core_of[p] &&
            c->load[prev] <= c->load[p])
            continue;
        prev = p;
        double g = gain(c, s, p);
        if (best == VMACCEL_NO_INDEX || better(c, p, g, best, best_g)) {
            best = p;
            best_g = g;
        }
    }
    return best;
}

/* Last resort when base loads left no room: the least loaded usable PU. */
static unsigned pick_fallback(const va_plan_ctx *c)
{
    unsigned best = VMACCEL_NO_INDEX;
    for (unsigned p = 0; p < c->npus; p++)
        if (c->usable[p] && (best == VMACCEL_NO_INDEX || c->load[p] < c->load[best]))
            best = p;
    return best;
}

/* Drops a PU that can take no more vCPUs from its node's list, keeping the
 * list in index order (ties go to the lower index). */
static void retire_if_full(va_plan_ctx *c, unsigned p)
{
    if (c->load[p] < c->cap_base || (c->load[p] == c->cap_base && c->extra_left))
        return;
    unsigned n = c->node_of[p];
    for (unsigned i = c->node_first[n]; i < c->node_end[n]; i++)
        if (c->node_pu[i] == p) {
            memmove(&c->node_pu[i], &c->node_pu[i + 1],
                    (c->node_end[n] - i - 1) * sizeof *c->node_pu);
            c->node_pu[--c->node_end[n]] = p;
            return;
        }
}

static void record(va_plan_ctx *c, size_t vm, unsigned p, unsigned *out)
{
    va_ctx_place(c, vm, p);
    if (c->usable[p])
        retire_if_full(c, p);
    c->vm_core[c->core_of[p]]++;
    if (c->l3_of[p] != VMACCEL_NO_INDEX)
        c->vm_l3[c->l3_of[p]]++;
    c->vm_node[c->node_of[p]]++;
    *out = p;
}

static void forget_vm(va_plan_ctx *c, const unsigned *pu, unsigned nv)
{
    for (unsigned v = 0; v < nv; v++) {
        c->vm_core[c->core_of[pu[v]]] = 0;
        if (c->l3_of[pu[v]] != VMACCEL_NO_INDEX)
            c->vm_l3[c->l3_of[pu[v]]] = 0;
        c->vm_node[c->node_of[pu[v]]] = 0;
    }
}

static unsigned node_base_room(const va_plan_ctx *c, unsigned n)
{
    unsigned room = 0;
    for (unsigned i = c->node_first[n]; i < c->node_end[n]; i++) {
        unsigned load = c->load[c->node_pu[i]];
        room += load < c->cap_base ? c->cap_base - load : 0;
    }
    return room;
}

static void place_vm(va_plan_ctx *c, va_quota *q, size_t vm, unsigned *out)
{
    pick_state s = {vm, c->in->vms[vm].nvcpus, va_strategy_weights(c->strat[vm]), 0, 0};
    unsigned done = 0;
    va_quota_vm(c, vm, q);
    for (unsigned n = 0; n < c->nnodes; n++) {
        if (!q->q[n])
            continue;
        s.rem_q = q->q[n];
        /* Only needed to ration optional slots (see candidate()). */
        s.rem_base = c->extra_left ? node_base_room(c, n) : 0;
        for (; s.rem_q > 0; s.rem_q--) {
            unsigned p = pick_in_node(c, &s, n);
            if (p == VMACCEL_NO_INDEX)
                break;
            s.rem_base -= c->load[p] < c->cap_base;
            record(c, vm, p, &out[done++]);
        }
    }
    while (done < s.nv)
        record(c, vm, pick_fallback(c), &out[done++]);
    forget_vm(c, out, s.nv);
}

/* Largest VMs first (bin packing), input order among equals: a stable
 * insertion sort, portable (no qsort_r) and fast for VM counts. */
static void order_by_size(const va_plan_vm *vms, size_t n, size_t *order)
{
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        for (; j > 0 && vms[order[j - 1]].nvcpus < vms[i].nvcpus; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
}

static int alloc_plan(const va_plan_ctx *c, va_plan *out)
{
    size_t nvms = c->in->nvms;
    memset(out, 0, sizeof *out);
    out->nvms = nvms;
    out->nvcpus = c->nvcpus;
    out->first = calloc(nvms + 1, sizeof *out->first);
    out->pu = calloc(c->nvcpus + 1, sizeof *out->pu);
    out->strategy = calloc(nvms + 1, sizeof *out->strategy);
    out->vm_score = calloc(nvms + 1, sizeof *out->vm_score);
    if (!out->first || !out->pu || !out->strategy || !out->vm_score) {
        va_plan_release(out);
        return va_fail(VMACCEL_ENOMEM, "out of memory for a placement");
    }
    for (size_t i = 0; i < nvms; i++) {
        out->first[i + 1] = out->first[i] + c->in->vms[i].nvcpus;
        out->strategy[i] = c->strat[i];
    }
    return 0;
}

static int run(va_plan_ctx *c, va_plan *out)
{
    unsigned nn = c->nnodes;
    unsigned *qmem = calloc(6 * (size_t)nn, sizeof *qmem);
    size_t *order = calloc(c->in->nvms + 1, sizeof *order);
    if (!qmem || !order) {
        free(qmem);
        free(order);
        return va_fail(VMACCEL_ENOMEM, "out of memory for the planner");
    }
    va_quota q = {qmem, qmem + nn, qmem + 2 * nn, qmem + 3 * nn, qmem + 4 * nn,
                  qmem + 5 * nn, 0};
    order_by_size(c->in->vms, c->in->nvms, order);
    for (size_t i = 0; i < c->in->nvms; i++)
        place_vm(c, &q, order[i], out->pu + out->first[order[i]]);
    free(qmem);
    free(order);
    return 0;
}

int va_plan_compute(const va_plan_input *in, va_plan *out)
{
    if (!out)
        return va_fail(VMACCEL_EINVAL, "plan output is NULL");
    memset(out, 0, sizeof *out);
    va_plan_ctx c;
    int rc = va_ctx_init(&c, in);
    if (rc)
        return rc;
    if (c.nusable == 0)
        rc = va_fail(VMACCEL_ENOENT, "no usable CPU: every PU of the topology "
                     "(%s) is disallowed or reserved", c.t->source);
    if (!rc)
        rc = alloc_plan(&c, out);
    if (!rc)
        rc = run(&c, out);
    if (!rc)
        out->score = va_ctx_score(&c, out->pu, out->vm_score);
    else
        va_plan_release(out);
    va_ctx_free(&c);
    return rc;
}

void va_plan_release(va_plan *p)
{
    if (!p)
        return;
    free(p->first);
    free(p->pu);
    free(p->strategy);
    free(p->vm_score);
    memset(p, 0, sizeof *p);
}
