#include "policy.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void va_policy_config_defaults(va_policy_config *c)
{
    c->threshold = 0.8;
    c->hysteresis = 0.05;
    c->trigger_samples = 3;
    c->cooldown_samples = 5;
    c->max_backoff_shift = 4;
    c->migrate_bytes_per_s = 256ull << 20;
    c->vcpu_move_cost_bytes = 8ull << 20;
    c->strategy = VA_STRATEGY_ADAPTIVE;
    c->allow_move = true;
    c->allow_migrate = true;
}

static unsigned cooldown(const va_policy_config *c, const va_policy_state *s)
{
    return c->cooldown_samples << s->backoff_shift;
}

/* Twice the longest cooldown: actions closer than this are relapses. */
static unsigned relapse_window(const va_policy_config *c)
{
    return 2 * (c->cooldown_samples << c->max_backoff_shift);
}

/* Called when acting: a relapse lengthens the next cooldown, a quiet spell
 * resets it. */
static void update_backoff(const va_policy_config *c, va_policy_state *s)
{
    if (s->actions == 0 || s->since_action >= relapse_window(c))
        s->backoff_shift = 0;
    else if (s->backoff_shift < c->max_backoff_shift)
        s->backoff_shift++;
}

static void track_streak(const va_policy_config *c, va_policy_state *s, double rate)
{
    if (rate < c->threshold)
        s->low_streak++;
    else if (rate >= c->threshold + c->hysteresis)
        s->low_streak = 0;
}

static unsigned node_with_most_vcpus(const va_vm_facts *f)
{
    unsigned best = 0;
    for (unsigned n = 1; n < f->nodes; n++)
        if (f->vcpus_on_node[n] > f->vcpus_on_node[best])
            best = n;
    return best;
}

static uint64_t total_bytes(const va_vm_facts *f)
{
    uint64_t t = 0;
    for (unsigned n = 0; n < f->nodes; n++)
        t += f->bytes_on_node[n];
    return t;
}

/* The two candidate fixes, costed in bytes-equivalent. */
typedef struct fixes {
    bool can_move;
    unsigned move_target, moved;
    double move_cost;
    unsigned mem_target;
    uint64_t mem_bytes;
} fixes;

static fixes cost_fixes(const va_policy_config *c, const va_locality *loc,
                        const va_vm_facts *f)
{
    fixes x = {0};
    x.move_target = loc->home_node;
    x.moved = f->vcpus - f->vcpus_on_node[x.move_target];
    x.can_move = c->allow_move && x.moved > 0 &&
                 f->free_pus_on_node[x.move_target] >= x.moved;
    x.move_cost = (double)x.moved * (double)c->vcpu_move_cost_bytes;
    x.mem_target = node_with_most_vcpus(f);
    x.mem_bytes = c->allow_migrate ? total_bytes(f) - f->bytes_on_node[x.mem_target] : 0;
    return x;
}

static void choose(const va_policy_config *c, const fixes *x, va_decision *d)
{
    bool move;
    switch (c->strategy) {
    case VA_STRATEGY_LOAD_BALANCED:
        move = false; /* moving vCPUs across nodes would break the balance */
        break;
    case VA_STRATEGY_LOCAL_FIRST:
    case VA_STRATEGY_BANDWIDTH_OPTIMIZED:
        move = x->can_move; /* place vCPUs by memory, as their planner does */
        break;
    default:
        move = x->can_move && (x->mem_bytes == 0 || x->move_cost <= (double)x->mem_bytes);
        break;
    }
    if (move) {
        d->action = VA_ACTION_MOVE_VCPUS;
        d->target_node = x->move_target;
        d->vcpus_moved = x->moved;
        d->cost_bytes = x->move_cost;
    } else if (x->mem_bytes > 0) {
        d->action = VA_ACTION_MIGRATE_MEMORY;
        d->target_node = x->mem_target;
        d->bytes = x->mem_bytes;
        d->cost_bytes = (double)x->mem_bytes;
        d->seconds = c->migrate_bytes_per_s
                         ? (double)x->mem_bytes / (double)c->migrate_bytes_per_s
                         : INFINITY;
    }
}

static void describe(const va_locality *loc, const va_decision *d, char *why, size_t n)
{
    if (d->action == VA_ACTION_MOVE_VCPUS)
        snprintf(why, n, "local rate %.2f: move %u vCPU(s) to node %u, which "
                 "holds most of the memory", loc->local_rate, d->vcpus_moved,
                 d->target_node);
    else if (d->action == VA_ACTION_MIGRATE_MEMORY)
        snprintf(why, n, "local rate %.2f: migrate %llu MiB to node %u, where "
                 "the vCPUs run (%.1f s at the budget)", loc->local_rate,
                 (unsigned long long)(d->bytes >> 20), d->target_node, d->seconds);
    else
        snprintf(why, n, "local rate %.2f: no fix available (no room on node %u "
                 "and no remote memory)", loc->local_rate, loc->home_node);
}

void va_policy_step(const va_policy_config *c, va_policy_state *s,
                    const va_locality *loc, const va_vm_facts *f, va_decision *out)
{
    memset(out, 0, sizeof *out);
    if (s->since_action < UINT32_MAX)
        s->since_action++;
    if (!loc || loc->source == VA_SOURCE_NONE || isnan(loc->local_rate))
        return;
    track_streak(c, s, loc->local_rate);
    if (s->low_streak < c->trigger_samples ||
        (s->actions > 0 && s->since_action < cooldown(c, s)))
        return;
    fixes x = cost_fixes(c, loc, f);
    choose(c, &x, out);
    describe(loc, out, out->why, sizeof out->why);
    if (out->action == VA_ACTION_NONE)
        return;
    update_backoff(c, s);
    s->actions++;
    s->since_action = 0;
    s->low_streak = 0;
}
