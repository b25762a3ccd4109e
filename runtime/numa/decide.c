/* The host-wide decision (decide.h): candidates, then a greedy pass over
 * a working copy of the model that records what each action takes. */
#include "numa/decide.h"

#include "core/error.h"
#include "numa/decide_fix.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exchange partners looked at per blocked move, so a full host with many
 * VMs stays linear. */
#define EXCHANGE_CANDIDATES 256

void va_decide_config_defaults(va_decide_config *c)
{
    c->threshold = 0.8;
    c->min_gain = 0.05;
    c->vcpu_move_cost_bytes = 8ull << 20;
    c->migrate_bytes_per_s = 256ull << 20;
    c->horizon_s = 30.0;
    c->queued_bytes = 0;
}

typedef struct cand {
    unsigned client;
    va_action_kind kind;
    double priority;            /* gain per byte of cost */
} cand;

typedef struct ctx {
    const va_decide_config *cfg;
    va_host_model work;         /* the model as the actions so far leave it */
    va_decision_set *out;
    unsigned *to, *ta, *tb;     /* scratch placements, `nodes` each */
    bool *acted;                /* per VM: an action was taken */
    bool *done;                 /* per client: it has its action */
    uint64_t migrating;         /* bytes of the migrations taken */
    size_t *first;              /* per node + 1: clients with movable vCPUs */
    unsigned *on_node;          /* there, in first[n]..first[n+1] (built once) */
} ctx;

static int ctx_init(ctx *x, const va_decide_config *cfg, const va_host_model *m,
                    va_decision_set *out)
{
    memset(x, 0, sizeof *x);
    x->cfg = cfg;
    x->out = out;
    int rc = va_model_copy(m, &x->work);
    if (rc)
        return rc;
    size_t pairs = 0;
    for (size_t i = 0; i < m->nclients * m->nodes; i++)
        pairs += m->vcpus_on[i] > 0;
    x->to = calloc(3 * (size_t)m->nodes, sizeof *x->to);
    x->acted = calloc(m->nvms + 1, sizeof *x->acted);
    x->done = calloc(m->nclients + 1, sizeof *x->done);
    x->first = calloc(m->nodes + 1, sizeof *x->first);
    x->on_node = calloc(pairs + 1, sizeof *x->on_node);
    out->actions = calloc(2 * m->nclients + 1, sizeof *out->actions);
    out->vcpus_after = calloc((2 * m->nclients + 1) * m->nodes, sizeof *out->vcpus_after);
    out->no_fix = calloc(m->nvms + 1, sizeof *out->no_fix);
    if (!x->to || !x->acted || !x->done || !x->first || !x->on_node || !out->actions ||
        !out->vcpus_after || !out->no_fix)
        return va_fail(VMACCEL_ENOMEM, "out of memory deciding for %zu VMs", m->nvms);
    x->ta = x->to + m->nodes;
    x->tb = x->ta + m->nodes;
    return 0;
}

static void ctx_release(ctx *x)
{
    va_model_release(&x->work);
    free(x->to);
    free(x->acted);
    free(x->done);
    free(x->first);
    free(x->on_node);
}

/* Which clients have movable vCPUs on each node (exchange partners). */
static void index_nodes(ctx *x)
{
    const va_host_model *m = &x->work;
    size_t k = 0;
    for (unsigned n = 0; n < m->nodes; n++) {
        x->first[n] = k;
        for (size_t c = 0; c < m->nclients; c++)
            if (va_model_vcpus(m, c)[n] > 0)
                x->on_node[k++] = (unsigned)c;
    }
    x->first[m->nodes] = k;
}

/* The modelled rate with every movable vCPU on node n. */
static double rate_all_on(const va_host_model *m, size_t c, unsigned n, unsigned *to)
{
    memset(to, 0, m->nodes * sizeof *to);
    to[n] = m->clients[c].vcpus;
    double r = va_model_client_rate(m, c, to);
    return isnan(r) ? 0.0 : r;
}

/* A vCPU move's worth per byte of cost: when it lacks room only, as if
 * its best node had room (an exchange may make some); -1 when not worth
 * doing at all. */
static double move_priority(ctx *x, size_t c, const va_fix *mv)
{
    const va_host_model *m = &x->work;
    double p = mv->ok ? mv->gain / mv->cost : -1;
    if (!mv->blocked)
        return p;
    double gain = rate_all_on(m, c, mv->best_node, x->ta) - mv->before;
    double cost = (double)m->clients[c].vcpus * (double)x->cfg->vcpu_move_cost_bytes;
    if (gain < x->cfg->min_gain || cost <= 0)
        return p;
    double ideal = m->clients[c].weight * gain / cost;
    return ideal > p ? ideal : p;
}

/* The client's fix of the kinds its VM may use, by its strategy. */
static bool candidate(ctx *x, size_t c, cand *out, char *why, size_t len)
{
    const va_host_model *m = &x->work;
    const va_model_vm *vm = &m->vms[m->clients[c].vm];
    va_fix mv = {0}, mg = {0};
    if (vm->may_move && m->clients[c].vcpus)
        va_fix_move(x->cfg, m, c, x->to, &mv);
    if (vm->may_migrate && m->clients[c].bytes)
        va_fix_migrate(x->cfg, m, c, &mg);
    double pm = vm->may_move ? move_priority(x, c, &mv) : -1;
    double pg = mg.ok ? mg.gain / mg.cost : -1;
    if (pm >= 0 && (pg < 0 || pm >= pg || (vm->prefer_move && mv.ok &&
                                           mv.after >= x->cfg->threshold))) {
        *out = (cand){(unsigned)c, VA_ACT_MOVE_VCPUS, pm};
        return true;
    }
    if (pg >= 0) {
        *out = (cand){(unsigned)c, VA_ACT_MIGRATE, pg};
        return true;
    }
    if (mv.why[0] && mg.why[0])
        snprintf(why, len, "%s; %s", mv.why, mg.why);
    else
        snprintf(why, len, "%s", mv.why[0] ? mv.why : mg.why[0] ? mg.why
                                                     : "no fix is allowed for it");
    return false;
}

static int by_priority(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->priority != y->priority)
        return x->priority > y->priority ? -1 : 1;
    return (x->client > y->client) - (x->client < y->client);
}

static void note_no_fix(ctx *x, unsigned vm, const char *why)
{
    va_decision_set *d = x->out;
    for (size_t i = 0; i < d->nno_fix; i++)
        if (d->no_fix[i].vm == vm)
            return;
    d->no_fix[d->nno_fix].vm = vm;
    snprintf(d->no_fix[d->nno_fix].why, sizeof d->no_fix[0].why, "%s", why);
    d->nno_fix++;
}

static va_action *new_action(ctx *x, va_action_kind kind, size_t c, const va_fix *f)
{
    va_action *a = &x->out->actions[x->out->nactions++];
    *a = (va_action){kind, (unsigned)c, VA_NO_PARTNER, f->target, f->moved, f->bytes,
                     f->before, f->after, f->gain, f->cost, f->seconds};
    x->acted[x->work.clients[c].vm] = true;
    x->done[c] = true;
    return a;
}

/* Takes a vCPU move: the client's vCPUs go to `to`, the nodes' loads follow. */
static void take_move(ctx *x, size_t c, const unsigned *to, const va_fix *f)
{
    va_host_model *m = &x->work;
    va_action *a = new_action(x, VA_ACT_MOVE_VCPUS, c, f);
    unsigned *v = va_model_vcpus(m, c);
    for (unsigned n = 0; n < m->nodes; n++) {
        m->node[n].vcpus = m->node[n].vcpus - v[n] + to[n];
        v[n] = to[n];
    }
    memcpy(x->out->vcpus_after + (size_t)(a - x->out->actions) * m->nodes, to,
           m->nodes * sizeof *to);
}

/* Takes a migration: node t fills, the others empty in proportion. What
 * leaves a node is not counted as free there until the next period: the
 * pages move while other migrations may be filling it. */
static void take_migration(ctx *x, size_t c, const va_fix *f)
{
    va_host_model *m = &x->work;
    new_action(x, VA_ACT_MIGRATE, c, f);
    uint64_t *b = va_model_bytes(m, c);
    uint64_t elsewhere = m->clients[c].bytes - b[f->target], left = f->bytes;
    for (unsigned n = 0; n < m->nodes && elsewhere; n++) {
        if (n == f->target)
            continue;
        uint64_t out = (uint64_t)((double)b[n] * (double)f->bytes / (double)elsewhere);
        out = out < left ? out : left;
        b[n] -= out;
        left -= out;
    }
    b[f->target] += f->bytes - left;
    m->node[f->target].free_bytes -= f->bytes - left;
    x->migrating += f->bytes;
}

/* What the budget still lets migrations take this period. */
static uint64_t budget_left(const ctx *x)
{
    const va_decide_config *c = x->cfg;
    if (!c->migrate_bytes_per_s)
        return UINT64_MAX;
    double cap = (double)c->migrate_bytes_per_s * c->horizon_s;
    double used = (double)c->queued_bytes + (double)x->migrating;
    return used < cap ? (uint64_t)(cap - used) : 0;
}

static bool try_migration(ctx *x, size_t c, char *why, size_t len)
{
    va_fix f;
    va_fix_migrate(x->cfg, &x->work, c, &f);
    uint64_t left = budget_left(x);
    if (f.ok && f.bytes > left) {
        f.bytes = left;
        f.after = va_fix_rate_after_migration(&x->work, c, f.target, f.bytes);
        f.cost = (double)f.bytes;
        f.gain = x->work.clients[c].weight * (f.after - f.before);
        f.ok = f.bytes > 0 && f.after - f.before >= x->cfg->min_gain;
        f.seconds = (double)f.bytes / (double)x->cfg->migrate_bytes_per_s;
        if (!f.ok)
            snprintf(f.why, sizeof f.why, "the migration budget is taken (%llu MiB queued)",
                     (unsigned long long)((x->cfg->queued_bytes + x->migrating) >> 20));
    }
    if (f.ok)
        take_migration(x, c, &f);
    else
        snprintf(why, len, "%s", f.why);
    return f.ok;
}

/* One possible swap: client a moves k vCPUs from node S to X, client b as
 * many from X to S (both nodes keep their loads). */
typedef struct swap {
    size_t a, b;
    unsigned S, X, k;
} swap;

/* The swap's placements into x->ta, x->tb; the clients' rate gains. */
static void swap_gains(ctx *x, const swap *w, double *ga, double *gb)
{
    const va_host_model *m = &x->work;
    memcpy(x->ta, va_model_vcpus(m, w->a), m->nodes * sizeof *x->ta);
    memcpy(x->tb, va_model_vcpus(m, w->b), m->nodes * sizeof *x->tb);
    x->ta[w->S] -= w->k, x->ta[w->X] += w->k, x->tb[w->X] -= w->k, x->tb[w->S] += w->k;
    *ga = va_model_client_rate(m, w->a, x->ta) - va_model_client_rate(m, w->a, NULL);
    *gb = va_model_client_rate(m, w->b, x->tb) - va_model_client_rate(m, w->b, NULL);
}

/* Whether b can be a's partner at all: another VM's client with movable
 * vCPUs on X, allowed on S, not acted on yet. */
static bool may_partner(const ctx *x, const swap *w)
{
    const va_host_model *m = &x->work;
    const va_model_vm *vb = &m->vms[m->clients[w->b].vm];
    return m->clients[w->b].vm != m->clients[w->a].vm && !vb->busy && vb->may_move &&
           !x->done[w->b] && va_model_vcpus(m, w->b)[w->X] &&
           ((m->clients[w->b].cpu_nodes >> w->S) & 1);
}

/* Takes the swap as two vCPU moves that name each other. */
static void take_swap(ctx *x, const swap *w)
{
    const va_host_model *m = &x->work;
    double ga, gb, cost = (double)w->k * (double)x->cfg->vcpu_move_cost_bytes;
    swap_gains(x, w, &ga, &gb);
    double ra = va_model_client_rate(m, w->a, NULL), rb = va_model_client_rate(m, w->b, NULL);
    va_fix fa = {.ok = true, .kind = VA_ACT_MOVE_VCPUS, .target = w->X, .moved = w->k,
                 .before = ra, .after = ra + ga, .cost = cost,
                 .gain = m->clients[w->a].weight * ga};
    va_fix fb = {.ok = true, .kind = VA_ACT_MOVE_VCPUS, .target = w->S, .moved = w->k,
                 .before = rb, .after = rb + gb, .cost = cost,
                 .gain = m->clients[w->b].weight * gb};
    size_t ia = x->out->nactions;
    take_move(x, w->a, x->ta, &fa);
    take_move(x, w->b, x->tb, &fb);
    x->out->actions[ia].partner = (unsigned)ia + 1;
    x->out->actions[ia + 1].partner = (unsigned)ia;
}

/* A partner B with vCPUs on node X (where A's memory is) for A's vCPUs on
 * the node S holding most of them: swapping k of them keeps both nodes'
 * loads. B must not be worse off - and when B wants a fix itself, the swap
 * must be one. The best total gain wins. */
static bool try_exchange(ctx *x, size_t a, unsigned X)
{
    va_host_model *m = &x->work;
    const unsigned *va = va_model_vcpus(m, a);
    swap w = {.a = a, .X = X, .S = X}, best = {0};
    for (unsigned n = 0; n < m->nodes; n++)
        if (n != X && (w.S == X || va[n] > va[w.S]))
            w.S = n;
    if (w.S == X || va[w.S] == 0)
        return false;
    double best_gain = 0;
    unsigned looked = 0;
    for (size_t i = x->first[X]; i < x->first[X + 1] && looked < EXCHANGE_CANDIDATES; i++) {
        w.b = x->on_node[i];
        if (!may_partner(x, &w))
            continue;
        looked++;
        unsigned on_x = va_model_vcpus(m, w.b)[X];
        w.k = on_x < va[w.S] ? on_x : va[w.S];
        double ga, gb;
        swap_gains(x, &w, &ga, &gb);
        double total = m->clients[a].weight * ga + m->clients[w.b].weight * gb;
        double gb_needed = m->vms[m->clients[w.b].vm].wants_fix ? x->cfg->min_gain : -1e-9;
        if (gb >= gb_needed && ga >= x->cfg->min_gain && total > best_gain)
            best_gain = total, best = w;
    }
    if (best_gain <= 0)
        return false;
    take_swap(x, &best);
    return true;
}

/* The candidate against the capacity left now: its kind, an exchange, the
 * other kind; else "no fix" for its VM. */
static void settle(ctx *x, const cand *k)
{
    size_t c = k->client;
    if (x->done[c])
        return; /* it was an exchange's partner already */
    const va_model_vm *vm = &x->work.vms[x->work.clients[c].vm];
    char why[200] = "";
    if (k->kind == VA_ACT_MOVE_VCPUS) {
        va_fix f;
        va_fix_move(x->cfg, &x->work, c, x->to, &f);
        if (f.blocked && try_exchange(x, c, f.best_node))
            return; /* its best node is full: a swap gives it a place */
        if (f.ok) {
            take_move(x, c, x->to, &f);
            return;
        }
        snprintf(why, sizeof why, "%s", f.why);
        char other[160];
        if (vm->may_migrate && x->work.clients[c].bytes) {
            if (try_migration(x, c, other, sizeof other))
                return;
            size_t used = strlen(why);
            snprintf(why + used, sizeof why - used, "; %s", other);
        }
    } else if (try_migration(x, c, why, sizeof why)) {
        return;
    }
    if (!x->acted[x->work.clients[c].vm])
        note_no_fix(x, x->work.clients[c].vm, why);
}

static int run(ctx *x, const va_host_model *m)
{
    cand *cands = calloc(m->nclients + 1, sizeof *cands);
    if (!cands)
        return va_fail(VMACCEL_ENOMEM, "out of memory deciding for %zu VMs", m->nvms);
    size_t n = 0;
    char why[200];
    for (size_t v = 0; v < m->nvms; v++) {
        const va_model_vm *vm = &m->vms[v];
        if (!vm->wants_fix || vm->busy)
            continue;
        size_t before = n;
        for (unsigned i = 0; i < vm->nclients; i++)
            n += candidate(x, vm->first_client + i, &cands[n], why, sizeof why);
        if (n == before)
            note_no_fix(x, (unsigned)v, why);
    }
    qsort(cands, n, sizeof *cands, by_priority);
    for (size_t i = 0; i < n; i++)
        settle(x, &cands[i]);
    free(cands);
    return 0;
}

int va_decide(const va_decide_config *cfg, const va_host_model *model,
              va_decision_set *out)
{
    memset(out, 0, sizeof *out);
    out->nodes = model->nodes;
    ctx x;
    int rc = ctx_init(&x, cfg, model, out);
    if (!rc) {
        index_nodes(&x);
        rc = run(&x, model);
    }
    out->rate_before = va_model_host_rate(model);
    out->rate_after = rc ? out->rate_before : va_model_host_rate(&x.work);
    ctx_release(&x);
    return rc;
}

void va_decision_release(va_decision_set *d)
{
    free(d->actions);
    free(d->vcpus_after);
    free(d->no_fix);
    memset(d, 0, sizeof *d);
}
