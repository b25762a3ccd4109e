/* The placement score (defined in vmaccel/affinity.h). Pure. */
#include "affinity/plan_ctx.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double va_pair_value(const va_plan_ctx *c, unsigned a, unsigned b)
{
    if (c->core_of[a] == c->core_of[b])
        return 1.0;
    if (c->l3_of[a] != VMACCEL_NO_INDEX && c->l3_of[a] == c->l3_of[b])
        return 0.6;
    return c->node_of[a] == c->node_of[b] ? 0.3 : 0.0;
}

bool va_mem_fraction(const va_plan_ctx *c, size_t i, double *f)
{
    const uint64_t *mem = c->in->vms[i].mem_per_node;
    if (!mem)
        return false;
    double sum = 0;
    for (unsigned n = 0; n < c->nnodes; n++)
        sum += (double)mem[n];
    if (sum <= 0)
        return false;
    for (unsigned n = 0; n < c->nnodes; n++)
        f[n] = (double)mem[n] / sum;
    return true;
}

void va_spread_target(const va_plan_ctx *c, size_t i, double *t)
{
    if (c->strat[i] == VMACCEL_STRATEGY_BANDWIDTH_OPTIMIZED &&
        va_mem_fraction(c, i, t))
        return;
    for (unsigned n = 0; n < c->nnodes; n++)
        t[n] = c->nusable ? (double)c->node_usable[n] / c->nusable : 0.0;
}

static double expected_distance(const va_plan_ctx *c, unsigned node,
                                const double *f)
{
    double e = 0;
    for (unsigned n = 0; n < c->nnodes; n++)
        if (f[n] > 0)
            e += f[n] * (double)va_topology_dist(c->t, node, n);
    return e;
}

/* Locality term: memory share known, or following the vCPUs' nodes. */
static double loc_term(const va_plan_ctx *c, size_t i, const unsigned *pu,
                       size_t nv, const double *g, double *f)
{
    if (!va_mem_fraction(c, i, f))
        for (unsigned n = 0; n < c->nnodes; n++)
            f[n] = g[n] / (double)nv;
    double sum = 0;
    for (size_t v = 0; v < nv; v++) {
        double e = expected_distance(c, c->node_of[pu[v]], f);
        sum += e > 10.0 ? 10.0 / e : 1.0;
    }
    return sum / (double)nv;
}

static double cache_term(const va_plan_ctx *c, const unsigned *pu, size_t nv)
{
    if (nv < 2)
        return 1.0;
    double sum = 0;
    for (size_t a = 0; a < nv; a++)
        for (size_t b = a + 1; b < nv; b++)
            sum += va_pair_value(c, pu[a], pu[b]);
    return sum / ((double)nv * (double)(nv - 1) / 2.0);
}

static double share_term(const va_plan_ctx *c, const unsigned *pu, size_t nv)
{
    double sum = 0;
    for (size_t v = 0; v < nv; v++) {
        unsigned core = c->core_of[pu[v]];
        sum += va_core_capacity(c->core_k[core]) / (double)c->core_n[core];
    }
    return sum / (double)nv;
}

static double spread_term(const va_plan_ctx *c, size_t i, size_t nv,
                          const double *g, double *t)
{
    va_spread_target(c, i, t);
    double tv = 0;
    for (unsigned n = 0; n < c->nnodes; n++)
        tv += fabs(g[n] / (double)nv - t[n]);
    return 1.0 - tv / 2.0;
}

static double vm_score(const va_plan_ctx *c, size_t i, const unsigned *pu)
{
    size_t nv = c->in->vms[i].nvcpus;
    double *g = c->scratch, *f = g + c->nnodes, *t = f + c->nnodes;
    memset(g, 0, c->nnodes * sizeof *g);
    for (size_t v = 0; v < nv; v++)
        g[c->node_of[pu[v]]] += 1.0;
    va_weights w = va_strategy_weights(c->strat[i]);
    double s = 0;
    if (w.loc > 0)
        s += w.loc * loc_term(c, i, pu, nv, g, f);
    if (w.cache > 0)
        s += w.cache * cache_term(c, pu, nv);
    if (w.share > 0)
        s += w.share * share_term(c, pu, nv);
    if (w.spread > 0)
        s += w.spread * spread_term(c, i, nv, g, t);
    return s;
}

double va_ctx_score_placed(const va_plan_ctx *c, const unsigned *pu,
                           double *vm_scores)
{
    double total = 0;
    size_t off = 0;
    for (size_t i = 0; i < c->in->nvms; i++) {
        double s = vm_score(c, i, pu + off);
        if (vm_scores)
            vm_scores[i] = s;
        total += s * c->in->vms[i].nvcpus;
        off += c->in->vms[i].nvcpus;
    }
    return c->nvcpus ? total / (double)c->nvcpus : 0.0;
}

double va_ctx_score(va_plan_ctx *c, const unsigned *pu, double *vm_scores)
{
    va_ctx_reset_loads(c);
    size_t off = 0;
    for (size_t i = 0; i < c->in->nvms; i++)
        for (unsigned v = 0; v < c->in->vms[i].nvcpus; v++, off++)
            va_ctx_place(c, i, pu[off]);
    return va_ctx_score_placed(c, pu, vm_scores);
}

double va_plan_score(const va_plan_input *in, const unsigned *pu,
                     double *vm_scores)
{
    va_plan_ctx c;
    if (!pu || va_ctx_init(&c, in))
        return -1.0;
    for (size_t v = 0; v < c.nvcpus; v++)
        if (pu[v] >= c.npus) {
            va_ctx_free(&c);
            return -1.0;
        }
    double s = va_ctx_score(&c, pu, vm_scores);
    va_ctx_free(&c);
    return s;
}
