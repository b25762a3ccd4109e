/* One client's best vCPU move and memory migration (decide_fix.h). */
#include "numa/decide_fix.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static bool allowed(uint64_t mask, unsigned n)
{
    return (mask >> n) & 1u;
}

static double or_zero(double r)
{
    return isnan(r) ? 0.0 : r;
}

/* Nodes the client's vCPUs may use, most of its memory first; among equal
 * shares the ones holding more of its vCPUs first (no needless moves). */
static unsigned order_by_memory(const va_host_model *m, size_t c, unsigned *order)
{
    const uint64_t *b = va_model_bytes(m, c);
    const unsigned *v = va_model_vcpus(m, c);
    unsigned k = 0;
    for (unsigned n = 0; n < m->nodes; n++) {
        if (!allowed(m->clients[c].cpu_nodes, n))
            continue;
        unsigned i = k++;
        while (i > 0 && (b[order[i - 1]] < b[n] ||
                         (b[order[i - 1]] == b[n] && v[order[i - 1]] < v[n]))) {
            order[i] = order[i - 1];
            i--;
        }
        order[i] = n;
    }
    return k;
}

/* The node holding most of the client's memory, allowed or not. */
static unsigned richest_node(const va_host_model *m, size_t c)
{
    const uint64_t *b = va_model_bytes(m, c);
    unsigned best = 0;
    for (unsigned n = 1; n < m->nodes; n++)
        if (b[n] > b[best])
            best = n;
    return best;
}

/* vCPUs that found no allowed node with room stay where they are. */
static void keep_the_rest(const va_host_model *m, size_t c, unsigned *to, unsigned left)
{
    const unsigned *v = va_model_vcpus(m, c);
    for (unsigned n = 0; left && n < m->nodes; n++) {
        unsigned stay = v[n] > to[n] ? v[n] - to[n] : 0;
        stay = stay < left ? stay : left;
        to[n] += stay;
        left -= stay;
    }
}

static void judge(const va_decide_config *cfg, const va_host_model *m, size_t c,
                  va_fix *f)
{
    f->gain = m->clients[c].weight * (f->after - f->before);
    f->ok = f->after - f->before >= cfg->min_gain && f->cost > 0;
}

void va_fix_move(const va_decide_config *cfg, const va_host_model *m, size_t c,
                 unsigned *to, va_fix *f)
{
    memset(f, 0, sizeof *f);
    f->kind = VA_ACT_MOVE_VCPUS;
    const unsigned *v = va_model_vcpus(m, c);
    unsigned order[64], left = m->clients[c].vcpus;
    unsigned k = order_by_memory(m, c, order);
    memset(to, 0, m->nodes * sizeof *to);
    for (unsigned i = 0; i < k && left; i++) {
        unsigned room = va_model_room(m, c, order[i]);
        unsigned take = room < left ? room : left;
        to[order[i]] = take;
        left -= take;
    }
    keep_the_rest(m, c, to, left);
    f->best_node = k ? order[0] : 0;
    f->blocked = k && to[order[0]] < m->clients[c].vcpus;
    unsigned memory_node = richest_node(m, c);
    unsigned most = 0;
    for (unsigned n = 0; n < m->nodes; n++) {
        unsigned in = to[n] > v[n] ? to[n] - v[n] : 0;
        f->moved += in;
        if (in > most) {
            most = in;
            f->target = n;
        }
    }
    f->before = or_zero(va_model_client_rate(m, c, NULL));
    f->after = or_zero(va_model_client_rate(m, c, to));
    f->cost = (double)f->moved * (double)cfg->vcpu_move_cost_bytes;
    judge(cfg, m, c, f);
    if (f->ok)
        return;
    if (!allowed(m->clients[c].cpu_nodes, memory_node))
        snprintf(f->why, sizeof f->why, "its cpuset keeps its vCPUs off node %u, where "
                 "most of its memory is", memory_node);
    else if (f->blocked)
        snprintf(f->why, sizeof f->why, "no room for its vCPUs on node %u, which holds "
                 "most of its memory", f->best_node);
    else
        snprintf(f->why, sizeof f->why, "moving its vCPUs gains too little");
}

double va_fix_rate_after_migration(const va_host_model *m, size_t c, unsigned t,
                                   uint64_t bytes)
{
    const va_model_client *cl = &m->clients[c];
    const unsigned *v = va_model_vcpus(m, c), *fx = va_model_fixed(m, c);
    const uint64_t *b = va_model_bytes(m, c);
    uint64_t elsewhere = cl->bytes - b[t];
    double keep = elsewhere ? 1.0 - (double)bytes / (double)elsewhere : 1.0, local = 0;
    unsigned all = 0;
    for (unsigned n = 0; n < m->nodes; n++) {
        double on_n = n == t ? (double)(b[n] + bytes) : (double)b[n] * keep;
        local += (double)(v[n] + fx[n]) * on_n;
        all += v[n] + fx[n];
    }
    return all && cl->bytes ? local / ((double)all * (double)cl->bytes) : 0.0;
}

/* The allowed node where most of the client's vCPUs run (ties: more of
 * its memory there already); UINT32_MAX when none. */
static unsigned node_of_vcpus(const va_host_model *m, size_t c)
{
    const unsigned *v = va_model_vcpus(m, c), *fx = va_model_fixed(m, c);
    const uint64_t *b = va_model_bytes(m, c);
    unsigned best = UINT32_MAX;
    for (unsigned n = 0; n < m->nodes; n++) {
        if (!allowed(m->clients[c].mem_nodes, n) || v[n] + fx[n] == 0)
            continue;
        if (best == UINT32_MAX || v[n] + fx[n] > v[best] + fx[best] ||
            (v[n] + fx[n] == v[best] + fx[best] && b[n] > b[best]))
            best = n;
    }
    return best;
}

void va_fix_migrate(const va_decide_config *cfg, const va_host_model *m, size_t c,
                    va_fix *f)
{
    memset(f, 0, sizeof *f);
    f->kind = VA_ACT_MIGRATE;
    f->before = or_zero(va_model_client_rate(m, c, NULL));
    unsigned t = node_of_vcpus(m, c);
    if (t == UINT32_MAX) {
        snprintf(f->why, sizeof f->why, "its memory may not go where its vCPUs run");
        return;
    }
    const va_model_node *nd = &m->node[t];
    uint64_t movable = m->clients[c].bytes - va_model_bytes(m, c)[t];
    uint64_t room = nd->free_bytes > nd->reserve_bytes ? nd->free_bytes - nd->reserve_bytes : 0;
    f->target = t;
    f->bytes = movable < room ? movable : room;
    f->after = va_fix_rate_after_migration(m, c, t, f->bytes);
    f->cost = (double)f->bytes;
    f->seconds = cfg->migrate_bytes_per_s ? (double)f->bytes / (double)cfg->migrate_bytes_per_s
                                          : INFINITY;
    judge(cfg, m, c, f);
    if (f->ok)
        return;
    if (movable == 0)
        snprintf(f->why, sizeof f->why, "its memory is on node %u already", t);
    else if (f->bytes < movable)
        snprintf(f->why, sizeof f->why, "node %u has %llu MiB free above its reserve, "
                 "%llu MiB would have to move", t, (unsigned long long)(room >> 20),
                 (unsigned long long)(movable >> 20));
    else
        snprintf(f->why, sizeof f->why, "migrating to node %u gains too little", t);
}
