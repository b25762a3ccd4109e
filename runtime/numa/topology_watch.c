/* The engine's topology watch: CPUs going offline/online and vm-accel's
 * cpuset changing become TOPOLOGY_CHANGED events, and the vCPUs left on
 * CPUs no longer usable are re-planned (engine.h, cpu_watch.h). */
#include "numa/engine.h"

#include "affinity/replan.h"
#include "core/error.h"
#include "loop/events.h"
#include "vmm/vm_internal.h"

#include <stdio.h>
#include <string.h>

void va_numa_topology_begin(va_numa_engine *e)
{
    va_cpu_change c;
    if (!e->cpus.have)
        va_cpu_watch_poll(&e->cpus, va_manager_platform(e->m), &c);
}

static void emit(va_numa_engine *e, const va_numa_vm *s, vmaccel_event_type type,
                 const char *what, const char *detail)
{
    va_numa_emit(e, s, type, "%s%s", what, detail);
}

/* The events of one VM's re-plan, like the policy's vCPU moves: PLANNED,
 * then APPLIED or FAILED (only PLANNED in a dry run). */
static void report(va_numa_engine *e, va_numa_vm *s, const va_replan_result *r,
                   const va_cpu_change *c, int rc)
{
    char msg[400], lost[128];
    va_cpumask_format(&c->lost, lost, sizeof lost);
    snprintf(msg, sizeof msg, "vCPU(s) %s on CPU(s) %s, no longer usable: new plan "
             "%s", r->vcpus, lost, r->moves[0] ? r->moves : "none (see the failure)");
    emit(e, s, VMACCEL_EVENT_REBALANCE_PLANNED, msg, e->opts.dry_run ? " (dry run)" : "");
    if (rc) {
        s->failures++;
        emit(e, s, VMACCEL_EVENT_REBALANCE_FAILED,
             "re-plan after a topology change failed: ", vmaccel_error_last());
    } else if (!e->opts.dry_run) {
        s->vcpu_moves++;
        emit(e, s, VMACCEL_EVENT_REBALANCE_APPLIED, "vCPUs moved off unusable CPUs: ",
             r->moves);
    }
}

static void replan_vm(va_numa_engine *e, struct vmaccel_vm *vm, const va_cpu_change *c)
{
    va_replan_result r;
    int rc = va_vm_replan_unusable(vm, &c->usable, e->opts.dry_run != 0, &r);
    if (!r.affected && (!rc || rc == VMACCEL_EGONE))
        return; /* nothing there, or the VMM exited (VM_GONE said so) */
    va_numa_vm *s = va_numa_state_of(e, vm);
    if (!s)
        return;
    if (!r.affected) {
        s->failures++;
        emit(e, s, VMACCEL_EVENT_REBALANCE_FAILED,
             "re-plan after a topology change failed: ", vmaccel_error_last());
        return;
    }
    report(e, s, &r, c, rc);
    /* Samples taken before the move describe the old placement. */
    s->policy.low_streak = 0;
}

void va_numa_topology_period(va_numa_engine *e, struct vmaccel_vm *const *vms, size_t n)
{
    va_cpu_change c;
    if (va_cpu_watch_poll(&e->cpus, va_manager_platform(e->m), &c) || !c.changed)
        return;
    va_event_emitf(e->m, VMACCEL_EVENT_TOPOLOGY_CHANGED, 0, 0.0, "%s", c.message);
    if (!c.shrank)
        return; /* CPUs came back: nothing is moved onto them here */
    for (size_t i = 0; i < n; i++)
        if (va_handle_is_live(vms[i], VA_HANDLE_VM))
            replan_vm(e, vms[i], &c);
}
