/* The applier (see apply.h). */
#include "affinity/apply.h"

#include "core/error.h"

#include <sched.h>
#include <stdio.h>
#include <string.h>

/* Failures of one apply/restore, summed up into one message. */
typedef struct failures {
    int first;
    unsigned count;
    char text[768];
} failures;

static void note(failures *f, const va_vcpu *v, int rc)
{
    if (!f->first)
        f->first = rc;
    f->count++;
    size_t used = strlen(f->text);
    if (used + 8 < sizeof f->text)
        snprintf(f->text + used, sizeof f->text - used, "%svCPU %u (tid %d): %s",
                 used ? "; " : "", v->index, v->tid, vmaccel_error_last());
}

static int finish(const failures *f, size_t total, const char *what)
{
    if (!f->first) {
        va_clear_error();
        return 0;
    }
    return va_fail(f->first, "%s: %u of %zu vCPU threads failed: %s", what, f->count,
                   total, f->text);
}

/* Reads the originals once, before vmaccel first changes the thread. */
static int save(vmaccel_vm *vm, va_vcpu *v)
{
    va_saved *s = &v->saved;
    if (s->valid)
        return 0;
    int rc = vm->plat->get_affinity(vm->plat, v->tid, &s->affinity);
    if (!rc)
        rc = vm->plat->get_nice(vm->plat, v->tid, &s->nice);
    if (!rc)
        rc = vm->plat->get_sched(vm->plat, v->tid, &s->policy, &s->priority);
    s->valid = rc == 0;
    s->affinity_changed = s->nice_changed = s->sched_changed = false;
    return rc;
}

static int clip(const va_vcpu *v, const va_cpumask *target, const va_cpumask *cpuset,
                va_cpumask *out)
{
    va_cpumask_and(out, target, cpuset);
    if (!va_cpumask_empty(out))
        return 0;
    char want[128], have[256];
    va_cpumask_format(target, want, sizeof want);
    va_cpumask_format(cpuset, have, sizeof have);
    return va_fail(VMACCEL_EINVAL, "the cpuset allows CPUs %s, asked for %s (%s)", have, want,
                   v->limits.known ? v->limits.cpus.source : "the VMM's cgroup");
}

static int apply_one(vmaccel_vm *vm, va_vcpu *v, const va_cpumask *target,
                     const va_cpumask *process_cpuset, const va_apply_req *req)
{
    va_cpumask eff;
    /* The thread's own cgroup decides, not the process's (each vCPU may
     * sit in a cgroup of its own). */
    const va_cpumask *cpuset = v->limits.known ? &v->limits.cpus.mask : process_cpuset;
    int rc = va_vcpu_guard(vm, v);
    if (!rc)
        rc = clip(v, target, cpuset, &eff);
    if (rc || req->dry_run)
        return rc;
    if ((rc = save(vm, v)))
        return rc;
    if ((rc = vm->plat->set_affinity(vm->plat, v->tid, &eff)))
        return rc;
    v->pinned = v->saved.affinity_changed = true;
    v->applied = eff;
    if (req->set_nice) {
        if ((rc = vm->plat->set_nice(vm->plat, v->tid, req->nice)))
            return rc;
        v->saved.nice_changed = true;
    }
    if (req->policy >= 0) {
        int prio = req->policy == SCHED_OTHER ? 0 : req->rt_priority;
        if ((rc = vm->plat->set_sched(vm->plat, v->tid, req->policy, prio)))
            return rc;
        v->saved.sched_changed = true;
    }
    return 0;
}

int va_apply(vmaccel_vm *vm, const va_cpumask *targets, size_t n,
             const va_apply_req *req)
{
    va_cpumask cpuset;
    int rc = va_vm_guard(vm);
    if (!rc)
        rc = vm->plat->cpuset_of(vm->plat, vm->pid, &cpuset);
    if (rc)
        return rc;
    failures f = {0, 0, ""};
    size_t acted = 0;
    for (size_t i = 0; i < n && i < vm->nvcpus; i++) {
        va_vcpu *v = &vm->vcpus[i];
        if (va_cpumask_empty(&targets[i]))
            continue; /* not part of this change */
        acted++;
        /* The pid must still be the VMM before each action: a process that
         * exits mid-way leaves its remaining threads untouched. */
        rc = va_vm_guard(vm);
        if (!rc)
            rc = apply_one(vm, v, &targets[i], &cpuset, req);
        v->result = rc;
        if (rc)
            note(&f, v, rc);
    }
    return finish(&f, acted, req->dry_run ? "dry run" : "pin");
}

int va_capture(vmaccel_vm *vm, size_t n, const va_apply_req *req)
{
    int rc = va_vm_guard(vm);
    if (rc || req->dry_run)
        return rc;
    failures f = {0, 0, ""};
    for (size_t i = 0; i < n && i < vm->nvcpus; i++) {
        va_vcpu *v = &vm->vcpus[i];
        rc = va_vcpu_guard(vm, v);
        if (!rc)
            rc = save(vm, v);
        if (!rc) {
            v->saved.affinity_changed = true;
            v->saved.nice_changed |= req->set_nice;
            v->saved.sched_changed |= req->policy >= 0;
        }
        v->result = rc;
        if (rc)
            note(&f, v, rc);
    }
    return finish(&f, n < vm->nvcpus ? n : vm->nvcpus, "capture");
}

static int restore_one(vmaccel_vm *vm, va_vcpu *v)
{
    va_saved *s = &v->saved;
    int rc = va_vm_guard(vm);
    if (!rc)
        rc = va_vcpu_guard(vm, v);
    if (!rc && s->affinity_changed)
        rc = vm->plat->set_affinity(vm->plat, v->tid, &s->affinity);
    if (!rc)
        v->pinned = s->affinity_changed = false;
    if (!rc && s->nice_changed)
        rc = vm->plat->set_nice(vm->plat, v->tid, s->nice);
    if (!rc)
        s->nice_changed = false;
    if (!rc && s->sched_changed)
        rc = vm->plat->set_sched(vm->plat, v->tid, s->policy, s->priority);
    if (!rc) {
        s->sched_changed = false;
        s->valid = false; /* the next pin saves afresh */
    }
    return rc;
}

int va_restore(vmaccel_vm *vm)
{
    int rc = va_vm_guard(vm);
    if (rc)
        return rc;
    failures f = {0, 0, ""};
    size_t touched = 0;
    for (size_t i = 0; i < vm->nvcpus; i++) {
        va_vcpu *v = &vm->vcpus[i];
        if (!v->saved.valid)
            continue;
        touched++;
        rc = restore_one(vm, v);
        v->result = rc;
        if (rc)
            note(&f, v, rc);
    }
    return finish(&f, touched, "restore");
}
