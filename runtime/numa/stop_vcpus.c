/* A migration's vCPU threads, stopped while a window moves (stop_vcpus.h). */
#include "numa/stop_vcpus.h"

#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>

int va_vcpu_stop_init(va_vcpu_stop *st, const int *tids, size_t ntids)
{
    *st = (va_vcpu_stop){0};
    st->tids = malloc(ntids * sizeof *st->tids);
    st->sigs = calloc(ntids, sizeof *st->sigs);
    st->held = calloc(ntids, sizeof *st->held);
    if (!st->tids || !st->sigs || !st->held) {
        va_vcpu_stop_free(st);
        return va_fail(VMACCEL_ENOMEM, "out of memory for a migration's vCPU list");
    }
    for (size_t i = 0; i < ntids; i++)
        st->tids[i] = tids[i];
    st->ntids = ntids;
    return 0;
}

void va_vcpu_stop_free(va_vcpu_stop *st)
{
    free(st->tids);
    free(st->sigs);
    free(st->held);
    *st = (va_vcpu_stop){0};
}

static void let_go(va_vcpu_stop *st, const va_platform *p)
{
    for (size_t i = 0; i < st->ntids; i++)
        if (st->held[i]) {
            p->thread_resume(p, st->tids[i], st->sigs[i]);
            st->held[i] = false;
        }
}

static void turn_off(va_vcpu_stop *st, const va_platform *p, const char *why)
{
    let_go(st, p);
    st->off = true;
    snprintf(st->why_off, sizeof st->why_off, "%s", why);
}

void va_vcpu_stop_hold(va_vcpu_stop *st, const va_platform *p, int pid)
{
    if (!st->ntids || st->off)
        return;
    if (!p->thread_stop || !p->thread_resume) {
        turn_off(st, p, "this platform cannot stop another process's threads");
        return;
    }
    for (size_t i = 0; i < st->ntids; i++) {
        int rc = p->thread_stop(p, pid, st->tids[i], &st->sigs[i]);
        if (rc == 0) {
            st->held[i] = true;
        } else if (rc != VMACCEL_EGONE) { /* an exited thread needs no stop */
            turn_off(st, p, vmaccel_error_last());
            return;
        }
    }
    st->since_ns = p->now_ns(p);
}

void va_vcpu_stop_release(va_vcpu_stop *st, const va_platform *p)
{
    if (!st->ntids || st->off)
        return;
    let_go(st, p);
    uint64_t now = p->now_ns(p), took = now > st->since_ns ? now - st->since_ns : 0;
    st->pauses++;
    st->total_ns += took;
    st->longest_ns = took > st->longest_ns ? took : st->longest_ns;
}
