/* Planning a VM within each vCPU's own limits (see plan_limits.h). */
#include "affinity/plan_limits.h"

#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct work {
    const va_limited_input *in;
    unsigned npus;
    unsigned *base;        /* loads so far: other VMs, kept vCPUs, planned groups */
    bool *reserved;        /* the group's: input reserved + outside its set */
    unsigned *group;       /* vCPU indices of the group being planned */
    bool *done;            /* per vCPU: planned or kept */
    unsigned *size;        /* per vCPU: PUs its set allows */
} work;

static bool same_set(const work *w, const bool *a, const bool *b)
{
    return a == b || (a && b && !memcmp(a, b, w->npus * sizeof *a));
}

static unsigned set_size(const work *w, const bool *allowed)
{
    unsigned n = 0;
    for (unsigned p = 0; p < w->npus; p++)
        n += !allowed || allowed[p];
    return n;
}

/* The next group: the not-yet-planned vCPUs sharing the smallest set. */
static unsigned next_group(work *w, const bool **set)
{
    const va_limited_input *in = w->in;
    int best = -1;
    for (unsigned v = 0; v < in->nvcpus; v++)
        if (!w->done[v] && (best < 0 || w->size[v] < w->size[best]))
            best = (int)v;
    if (best < 0)
        return 0;
    *set = in->rules[best].allowed;
    unsigned n = 0;
    for (unsigned v = 0; v < in->nvcpus; v++)
        if (!w->done[v] && same_set(w, in->rules[v].allowed, *set))
            w->group[n++] = v;
    return n;
}

static int no_room(const work *w, unsigned n)
{
    char list[160] = "";
    for (unsigned i = 0; i < n && strlen(list) + 8 < sizeof list; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%u", i ? "," : "",
                 w->group[i]);
    return va_fail(VMACCEL_ENOENT, "vCPU %s: every CPU its cpuset allows is reserved or "
                   "not usable by vm-accel (%s)", list, vmaccel_error_last());
}

static int plan_group(work *w, unsigned n, const bool *set, va_limited_plan *out,
                      double *weighted, bool *first)
{
    const va_limited_input *in = w->in;
    for (unsigned p = 0; p < w->npus; p++)
        w->reserved[p] = (in->reserved && in->reserved[p]) || (set && !set[p]);
    va_plan_vm vm = {.nvcpus = n, .mem_per_node = in->mem_per_node, .strategy = in->strategy};
    va_plan_input pi = {.topo = in->topo, .reserved = w->reserved, .base_load = w->base,
                        .smt = in->smt, .nvms = 1, .vms = &vm};
    va_plan plan;
    int rc = va_plan_compute(&pi, &plan);
    if (rc == VMACCEL_ENOENT)
        return no_room(w, n);
    if (rc)
        return rc;
    for (unsigned i = 0; i < n; i++) {
        out->pu[w->group[i]] = plan.pu[i];
        w->base[plan.pu[i]]++;
        w->done[w->group[i]] = true;
    }
    *weighted += plan.score * n;
    if (*first)
        out->strategy = plan.strategy[0];
    *first = false;
    out->planned += n;
    va_plan_release(&plan);
    return 0;
}

static int run(work *w, va_limited_plan *out)
{
    const va_limited_input *in = w->in;
    for (unsigned p = 0; p < w->npus; p++)
        w->base[p] = in->base_load ? in->base_load[p] : 0;
    for (unsigned v = 0; v < in->nvcpus; v++)
        w->size[v] = set_size(w, in->rules[v].allowed);
    for (unsigned v = 0; v < in->nvcpus; v++)
        if (in->rules[v].keep) {
            w->done[v] = true;
            out->pu[v] = in->rules[v].keep_pu;
            if (in->rules[v].keep_pu < w->npus)
                w->base[in->rules[v].keep_pu]++;
        }
    double weighted = 0;
    bool first = true;
    const bool *set = NULL;
    int rc = 0;
    for (unsigned n; !rc && (n = next_group(w, &set)) > 0;)
        rc = plan_group(w, n, set, out, &weighted, &first);
    out->score = out->planned ? weighted / out->planned : 0.0;
    return rc;
}

int va_plan_limited(const va_limited_input *in, va_limited_plan *out)
{
    memset(out, 0, sizeof *out);
    if (!in || !in->topo || !in->rules || in->nvcpus == 0 || in->nvcpus > VA_PLAN_MAX_VCPUS)
        return va_fail(VMACCEL_EINVAL, "limited plan: no topology, no rules or %u vCPUs",
                       in ? in->nvcpus : 0);
    out->strategy = in->strategy;
    work w = {in, in->topo->count[VMACCEL_OBJ_PU], NULL, NULL, NULL, NULL, NULL};
    w.base = calloc(w.npus + 1, sizeof *w.base);
    w.reserved = calloc(w.npus + 1, sizeof *w.reserved);
    w.group = calloc(in->nvcpus, sizeof *w.group);
    w.done = calloc(in->nvcpus, sizeof *w.done);
    w.size = calloc(in->nvcpus, sizeof *w.size);
    out->pu = calloc(in->nvcpus, sizeof *out->pu);
    int rc = w.base && w.reserved && w.group && w.done && w.size && out->pu
                 ? run(&w, out)
                 : va_fail(VMACCEL_ENOMEM, "out of memory planning a VM");
    free(w.base);
    free(w.reserved);
    free(w.group);
    free(w.done);
    free(w.size);
    if (rc)
        va_limited_plan_release(out);
    return rc;
}

void va_limited_plan_release(va_limited_plan *p)
{
    if (!p)
        return;
    free(p->pu);
    p->pu = NULL;
}
