/* The reference solver: tries every valid placement and keeps the best
 * score. vCPUs of one VM are interchangeable, so each VM's vCPUs take PUs
 * in non-decreasing order (multisets), which removes the n! duplicates. */
#include "affinity/plan_ctx.h"

#include "core/error.h"

#include <stdlib.h>
#include <string.h>

typedef struct search {
    va_plan_ctx *c;
    unsigned *cur, *best;
    double best_score;
    uint64_t leaves, max_leaves;
    bool found;
} search;

static void leaf(search *s)
{
    s->leaves++;
    if (!va_ctx_even(s->c, NULL, 0))
        return;
    double sc = va_ctx_score_placed(s->c, s->cur, NULL);
    if (!s->found || sc > s->best_score + 1e-12) {
        s->found = true;
        s->best_score = sc;
        memcpy(s->best, s->cur, s->c->nvcpus * sizeof *s->cur);
    }
}

static void visit(search *s, size_t vm, unsigned v, size_t off, unsigned minp)
{
    va_plan_ctx *c = s->c;
    if (s->leaves > s->max_leaves)
        return;
    if (vm == c->in->nvms) {
        leaf(s);
        return;
    }
    if (v == c->in->vms[vm].nvcpus) {
        visit(s, vm + 1, 0, off, 0);
        return;
    }
    for (unsigned p = minp; p < c->npus; p++) {
        if (!va_ctx_room(c, p))
            continue;
        s->cur[off] = p;
        va_ctx_place(c, vm, p);
        visit(s, vm, v + 1, off + 1, p);
        va_ctx_unplace(c, vm, p);
    }
}

static int finish(va_plan_ctx *c, const search *s, va_plan *out)
{
    size_t nvms = c->in->nvms;
    out->nvms = nvms;
    out->nvcpus = c->nvcpus;
    out->first = calloc(nvms + 1, sizeof *out->first);
    out->strategy = calloc(nvms + 1, sizeof *out->strategy);
    out->vm_score = calloc(nvms + 1, sizeof *out->vm_score);
    if (!out->first || !out->strategy || !out->vm_score)
        return va_fail(VMACCEL_ENOMEM, "out of memory for a placement");
    for (size_t i = 0; i < nvms; i++) {
        out->first[i + 1] = out->first[i] + c->in->vms[i].nvcpus;
        out->strategy[i] = c->strat[i];
    }
    out->pu = s->best;
    out->score = va_ctx_score(c, out->pu, out->vm_score);
    return 0;
}

int va_plan_exhaustive(const va_plan_input *in, uint64_t max_leaves, va_plan *out)
{
    if (!out)
        return va_fail(VMACCEL_EINVAL, "plan output is NULL");
    memset(out, 0, sizeof *out);
    va_plan_ctx c;
    int rc = va_ctx_init(&c, in);
    if (rc)
        return rc;
    search s = {&c, calloc(c.nvcpus + 1, sizeof(unsigned)),
                calloc(c.nvcpus + 1, sizeof(unsigned)), 0, 0, max_leaves, false};
    if (!s.cur || !s.best)
        rc = va_fail(VMACCEL_ENOMEM, "out of memory for the reference solver");
    if (!rc)
        visit(&s, 0, 0, 0, 0);
    if (!rc && s.leaves > max_leaves)
        rc = va_fail(VMACCEL_ERANGE, "more than %llu placements to try",
                     (unsigned long long)max_leaves);
    if (!rc && !s.found)
        rc = va_fail(VMACCEL_ENOENT, "no valid placement exists");
    if (!rc)
        rc = finish(&c, &s, out);
    free(s.cur);
    if (rc) {
        free(s.best);
        out->pu = NULL;
        va_plan_release(out);
    }
    va_ctx_free(&c);
    return rc;
}
