/* How many of a VM's vCPUs go to each NUMA node (its node quotas), per
 * strategy. The PUs inside each node are chosen by plan_compute.c. */
#include "affinity/plan_nodes.h"

#include <string.h>

#define EPS 1e-12

/* Free slots of each node under the even-load rule: `base` slots below
 * cap_base, plus one optional slot on each PU at or below cap_base (the
 * optional slots are shared with every node through the extra budget). */
void va_quota_begin(const va_plan_ctx *c, va_quota *q)
{
    memset(q->q, 0, c->nnodes * sizeof *q->q);
    memset(q->qbase, 0, c->nnodes * sizeof *q->qbase);
    memset(q->qplus, 0, c->nnodes * sizeof *q->qplus);
    for (unsigned n = 0; n < c->nnodes; n++) {
        unsigned base = 0, plus = 0, idle = 0, last_core = VMACCEL_NO_INDEX;
        for (unsigned i = c->node_first[n]; i < c->node_end[n]; i++) {
            unsigned p = c->node_pu[i], load = c->load[p], core = c->core_of[p];
            base += load < c->cap_base ? c->cap_base - load : 0;
            plus += load <= c->cap_base;
            /* Siblings are adjacent in logical order: count each core once. */
            idle += core != last_core && c->core_n[core] == 0;
            last_core = core;
        }
        q->base[n] = base;
        q->plus[n] = plus;
        q->idle[n] = idle;
    }
    q->extra = c->extra_left;
}

unsigned va_quota_avail(const va_plan_ctx *c, const va_quota *q, unsigned n)
{
    (void)c;
    size_t plus = q->plus[n] - q->qplus[n];
    return (q->base[n] - q->qbase[n]) + (unsigned)(plus < q->extra ? plus : q->extra);
}

static void take(va_quota *q, unsigned n, unsigned k)
{
    for (unsigned i = 0; i < k; i++) {
        if (q->qbase[n] < q->base[n]) {
            q->qbase[n]++;
        } else {
            q->qplus[n]++;
            q->extra--;
        }
        q->q[n]++;
    }
}

/* ---- LOCAL_FIRST ---- */

/* Locality of node n for VM i: 10 / expected distance to its memory
 * (1 for every node when its memory is unknown). */
static void node_locality(const va_plan_ctx *c, size_t i, double *lq)
{
    double *f = c->scratch + c->nnodes;
    if (!va_mem_fraction(c, i, f)) {
        for (unsigned n = 0; n < c->nnodes; n++)
            lq[n] = 1.0;
        return;
    }
    for (unsigned n = 0; n < c->nnodes; n++) {
        double e = 0;
        for (unsigned m = 0; m < c->nnodes; m++)
            e += f[m] * (double)va_topology_dist(c->t, n, m);
        lq[n] = e > 0 ? 10.0 / e : 1.0;
    }
}

/* The node that holds the whole VM: best locality, then one where each
 * vCPU gets an idle core (no SMT sharing), then the tightest fit (keeps
 * large holes for large VMs); NO_INDEX if none. */
static unsigned best_single(const va_plan_ctx *c, const va_quota *q,
                            const double *lq, unsigned k)
{
    unsigned best = VMACCEL_NO_INDEX, best_avail = 0;
    bool best_idle = false;
    for (unsigned n = 0; n < c->nnodes; n++) {
        unsigned a = va_quota_avail(c, q, n);
        bool idle = q->idle[n] >= k;
        if (a < k)
            continue;
        if (best == VMACCEL_NO_INDEX || lq[n] > lq[best] + EPS ||
            (lq[n] > lq[best] - EPS &&
             (idle > best_idle || (idle == best_idle && a < best_avail)))) {
            best = n;
            best_avail = a;
            best_idle = idle;
        }
    }
    return best;
}

static double dist_to_chosen(const va_plan_ctx *c, const va_quota *q, unsigned n)
{
    double d = 0;
    for (unsigned m = 0; m < c->nnodes; m++)
        if (q->q[m])
            d += (double)q->q[m] * (double)va_topology_dist(c->t, n, m);
    return d;
}

/* The next node for a VM that spans nodes: best locality, then nearest to
 * the nodes chosen so far, then most room. */
static unsigned next_span(const va_plan_ctx *c, const va_quota *q, const double *lq)
{
    unsigned best = VMACCEL_NO_INDEX, best_avail = 0;
    double best_d = 0;
    for (unsigned n = 0; n < c->nnodes; n++) {
        unsigned a = va_quota_avail(c, q, n);
        if (!a || q->q[n])
            continue;
        double d = dist_to_chosen(c, q, n);
        if (best == VMACCEL_NO_INDEX || lq[n] > lq[best] + EPS ||
            (lq[n] > lq[best] - EPS &&
             (d < best_d - EPS || (d < best_d + EPS && a > best_avail)))) {
            best = n;
            best_avail = a;
            best_d = d;
        }
    }
    return best;
}

static void quotas_local_first(const va_plan_ctx *c, size_t i, va_quota *q,
                               unsigned k)
{
    double *lq = c->scratch + 2 * c->nnodes;
    node_locality(c, i, lq);
    unsigned n = best_single(c, q, lq, k);
    if (n != VMACCEL_NO_INDEX) {
        take(q, n, k);
        return;
    }
    while (k > 0 && (n = next_span(c, q, lq)) != VMACCEL_NO_INDEX) {
        unsigned a = va_quota_avail(c, q, n);
        unsigned t = a < k ? a : k;
        take(q, n, t);
        k -= t;
    }
}

/* ---- LOAD_BALANCED and BANDWIDTH_OPTIMIZED: one vCPU at a time ---- */

/* a/ua < b/ub without division (-1, 0, 1). */
static int ratio_cmp(double a, double ua, double b, double ub)
{
    double l = a * ub, r = b * ua;
    return l < r - EPS ? -1 : l > r + EPS ? 1 : 0;
}

static unsigned pick_balanced(const va_plan_ctx *c, const va_quota *q)
{
    unsigned best = VMACCEL_NO_INDEX;
    for (unsigned n = 0; n < c->nnodes; n++) {
        if (!va_quota_avail(c, q, n))
            continue;
        if (best == VMACCEL_NO_INDEX) {
            best = n;
            continue;
        }
        double un = c->node_usable[n], ub = c->node_usable[best];
        int own = ratio_cmp(q->q[n], un, q->q[best], ub);
        int all = ratio_cmp(c->node_n[n] + q->q[n], un,
                            c->node_n[best] + q->q[best], ub);
        if (own < 0 || (own == 0 && all < 0))
            best = n;
    }
    return best;
}

static unsigned pick_bandwidth(const va_plan_ctx *c, const va_quota *q,
                               const double *target)
{
    unsigned best = VMACCEL_NO_INDEX;
    double best_def = 0;
    for (unsigned n = 0; n < c->nnodes; n++) {
        if (!va_quota_avail(c, q, n))
            continue;
        double def = target[n] - q->q[n];
        if (best == VMACCEL_NO_INDEX || def > best_def + EPS ||
            (def > best_def - EPS &&
             ratio_cmp(c->node_n[n] + q->q[n], c->node_usable[n],
                       c->node_n[best] + q->q[best], c->node_usable[best]) < 0)) {
            best = n;
            best_def = def;
        }
    }
    return best;
}

static void quotas_one_by_one(const va_plan_ctx *c, size_t i, va_quota *q,
                              unsigned k)
{
    double *target = c->scratch + 2 * c->nnodes;
    bool bw = c->strat[i] == VMACCEL_STRATEGY_BANDWIDTH_OPTIMIZED;
    if (bw) {
        va_spread_target(c, i, target);
        for (unsigned n = 0; n < c->nnodes; n++)
            target[n] *= k;
    }
    for (unsigned v = 0; v < k; v++) {
        unsigned n = bw ? pick_bandwidth(c, q, target) : pick_balanced(c, q);
        if (n == VMACCEL_NO_INDEX)
            return;
        take(q, n, 1);
    }
}

void va_quota_vm(const va_plan_ctx *c, size_t i, va_quota *q)
{
    unsigned k = c->in->vms[i].nvcpus;
    va_quota_begin(c, q);
    if (c->strat[i] == VMACCEL_STRATEGY_LOCAL_FIRST)
        quotas_local_first(c, i, q, k);
    else
        quotas_one_by_one(c, i, q, k);
}
