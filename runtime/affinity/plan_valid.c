/* The planner's hard rules, checked on any assignment (tests, reference
 * solver). */
#include "affinity/plan_ctx.h"

#include <stdio.h>

static bool fail(char *why, size_t len, const char *msg, unsigned a, unsigned b)
{
    if (why && len)
        snprintf(why, len, msg, a, b);
    return false;
}

/* Loads of equal-capacity groups (nodes or cores) differ by at most one. */
static bool groups_even(const unsigned *n, const unsigned *usable, unsigned count,
                        const char *what, char *why, size_t len)
{
    for (unsigned a = 0; a < count; a++)
        for (unsigned b = 0; b < count; b++)
            if (usable[a] && usable[a] == usable[b] && n[a] > n[b] + 1) {
                char msg[96];
                snprintf(msg, sizeof msg, "%s %%u holds %%u vCPUs, more than "
                         "one above another of the same size", what);
                return fail(why, len, msg, a, n[a]);
            }
    return true;
}

static bool loads_even(const va_plan_ctx *c, char *why, size_t len)
{
    unsigned lo = ~0u, hi = 0;
    for (unsigned p = 0; p < c->npus; p++) {
        if (!c->usable[p])
            continue;
        unsigned base = c->in->base_load ? c->in->base_load[p] : 0;
        unsigned limit = base > c->cap_base + 1 ? base : c->cap_base + 1;
        if (c->load[p] > limit)
            return fail(why, len, "PU %u holds %u vCPUs, above the even share",
                        p, c->load[p]);
        lo = c->load[p] < lo ? c->load[p] : lo;
        hi = c->load[p] > hi ? c->load[p] : hi;
    }
    if (!c->in->base_load && hi > lo + 1)
        return fail(why, len, "PU loads range from %u to %u vCPUs", lo, hi);
    return true;
}

static bool all_load_balanced(const va_plan_ctx *c)
{
    for (size_t i = 0; i < c->in->nvms; i++)
        if (c->strat[i] != VMACCEL_STRATEGY_LOAD_BALANCED)
            return false;
    return c->in->nvms > 0;
}

bool va_ctx_even(const va_plan_ctx *c, char *why, size_t len)
{
    if (!loads_even(c, why, len))
        return false;
    if (!all_load_balanced(c))
        return true;
    return groups_even(c->node_n, c->node_usable, c->nnodes, "node", why, len) &&
           groups_even(c->core_n, c->core_usable, c->ncores, "core", why, len);
}

bool va_plan_valid(const va_plan_input *in, const unsigned *pu, char *why,
                   size_t len)
{
    va_plan_ctx c;
    if (!pu || va_ctx_init(&c, in))
        return fail(why, len, "bad plan input (%u VMs, PU array %u)",
                    in ? (unsigned)in->nvms : 0u, pu != NULL);
    bool ok = true;
    va_ctx_reset_loads(&c);
    size_t off = 0;
    for (size_t i = 0; ok && i < in->nvms; i++)
        for (unsigned v = 0; ok && v < in->vms[i].nvcpus; v++, off++) {
            if (pu[off] >= c.npus || !c.usable[pu[off]])
                ok = fail(why, len, "vCPU %u is on PU %u, which is not usable",
                          (unsigned)off, pu[off]);
            else
                va_ctx_place(&c, i, pu[off]);
        }
    if (ok)
        ok = va_ctx_even(&c, why, len);
    va_ctx_free(&c);
    return ok;
}
