/* The engine's side of migrations (engine.h): finished jobs become events
 * that give the real duration and rate, and count in the VM's totals. */
#include "numa/engine.h"

#include <stdio.h>
#include <stdlib.h>

#define MiB (1024.0 * 1024.0)
#define COLLECT_AT_ONCE 64

void va_numa_free_job(va_mig_job *job)
{
    if (job) {
        free(job->regions);
        va_vcpu_stop_free(&job->vcpu_stop);
        free(job);
    }
}

static va_numa_vm *owner_of(va_numa_engine *e, const va_mig_job *job)
{
    for (va_numa_vm *s = e->vms; s; s = s->next)
        if (s->job == job)
            return s;
    return NULL;
}

static double seconds(const va_mig_job *j)
{
    return j->end_ns > j->start_ns && j->start_ns ? (double)(j->end_ns - j->start_ns) * 1e-9
                                                  : 0.0;
}

/* How the vCPUs fared, when they were to stop while windows moved. */
static void tell_stops(const va_mig_job *j, char *out, size_t size)
{
    const va_vcpu_stop *st = &j->vcpu_stop;
    if (!st->ntids)
        out[0] = '\0';
    else if (st->off)
        snprintf(out, size, "; its vCPUs ran on (stopping them failed: %s)", st->why_off);
    else
        snprintf(out, size, "; its vCPUs paused %u time(s) while %u window(s) moved, %.1f ms "
                 "in all, at most %.1f ms at once", st->pauses, st->pauses + j->helped_windows,
                 (double)st->total_ns * 1e-6, (double)st->longest_ns * 1e-6);
}

static void report(va_numa_engine *e, va_numa_vm *s, const va_mig_job *j)
{
    const va_mig_counts *mg = &j->mg.done;
    double moved = (double)mg->pages_moved * 4096 / MiB, secs = seconds(j);
    unsigned target = j->target_node;
    s->pages_migrated += mg->pages_moved;
    if (j->rc || (mg->pages_moved == 0 && mg->pages_failed > 0)) {
        s->failures++;
        va_numa_emit(e, s, VMACCEL_EVENT_REBALANCE_FAILED, "memory migration to node %u "
                     "stopped: %s (%.0f MiB moved, %llu pages could not move, last error %d)",
                     target, j->rc ? vmaccel_error_last() : "no page could move",
                     moved, (unsigned long long)mg->pages_failed, mg->last_error);
        return;
    }
    s->migrations++;
    char stops[240];
    tell_stops(j, stops, sizeof stops);
    va_numa_emit(e, s, VMACCEL_EVENT_REBALANCE_APPLIED, "memory on node %u: %.0f MiB moved "
                 "in %.2f s (%.0f MiB/s), %.0f MiB were there already, %llu pages could "
                 "not move%s", target, moved, secs, secs > 0 ? moved / secs : 0.0,
                 (double)mg->pages_already * 4096 / MiB, (unsigned long long)mg->pages_failed,
                 stops);
}

void va_numa_collect_migrations(va_numa_engine *e)
{
    va_mig_job *done[COLLECT_AT_ONCE];
    size_t n;
    while (e->migrator && (n = va_migrator_collect(e->migrator, done, COLLECT_AT_ONCE)) > 0) {
        for (size_t i = 0; i < n; i++) {
            va_numa_vm *s = owner_of(e, done[i]);
            if (s) {
                report(e, s, done[i]);
                s->job = NULL;
                s->sample_every = 1, s->sample_wait = 0;
            }
            va_numa_free_job(done[i]);
        }
    }
}

void va_numa_report_interrupted(va_numa_engine *e, va_numa_vm *s)
{
    const va_mig_job *j = s->job;
    if (j->state == VA_JOB_DONE && j->rc != VMACCEL_ESTATE) {
        report(e, s, j); /* it ended before the detach: tell how */
        return;
    }
    va_numa_emit(e, s, VMACCEL_EVENT_REBALANCE_FAILED, "memory migration to node %u "
                 "interrupted: the VM was detached%s after %.0f MiB moved",
                 j->target_node, j->rc == VMACCEL_EGONE ? " (its VMM exited)" : "",
                 (double)j->mg.done.pages_moved * 4096 / MiB);
}
