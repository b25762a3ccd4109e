/* Pinning a VM: plan its vCPUs on the manager's topology (the other VMs'
 * pinned vCPUs count as load), then apply. */
#include "affinity/apply.h"
#include "affinity/pin_internal.h"
#include "affinity/planner.h"

#include "core/error.h"
#include "topology/topo.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>

VMACCEL_API void vmaccel_pin_options_init(vmaccel_pin_options *opts)
{
    if (opts) {
        vmaccel_pin_options init = VMACCEL_PIN_OPTIONS_INIT;
        *opts = init;
    }
}

static int check_options(const vmaccel_vm *vm, const vmaccel_pin_options *o)
{
    if (o->version != VMACCEL_PIN_OPTIONS_VERSION)
        return va_fail(VMACCEL_EINVAL, "pin options version %u, expected %u "
                       "(initialise with VMACCEL_PIN_OPTIONS_INIT)", o->version,
                       VMACCEL_PIN_OPTIONS_VERSION);
    if ((unsigned)o->strategy >= VMACCEL_STRATEGY_COUNT_)
        return va_fail(VMACCEL_EINVAL, "unknown strategy %d", (int)o->strategy);
    if ((unsigned)o->smt > VMACCEL_SMT_ONE_PER_CORE)
        return va_fail(VMACCEL_EINVAL, "unknown SMT policy %d", (int)o->smt);
    if (o->vcpu_count > vm->nvcpus)
        return va_fail(VMACCEL_EINVAL, "%u vCPUs asked for, the VM has %zu",
                       o->vcpu_count, vm->nvcpus);
    if (o->set_nice && (o->nice < -20 || o->nice > 19))
        return va_fail(VMACCEL_ERANGE, "nice %d is outside -20..19", o->nice);
    if ((unsigned)o->sched > VMACCEL_SCHED_RR)
        return va_fail(VMACCEL_EINVAL, "unknown scheduling policy %d", (int)o->sched);
    bool rt = o->sched == VMACCEL_SCHED_FIFO || o->sched == VMACCEL_SCHED_RR;
    if (rt && (o->rt_priority < 1 || o->rt_priority > 99))
        return va_fail(VMACCEL_ERANGE, "real-time priority %d is outside 1..99",
                       o->rt_priority);
    return 0;
}

void va_pin_other_loads(vmaccel_vm *vm, unsigned *base)
{
    vmaccel_manager *m = vm->m;
    pthread_mutex_lock(&m->lock);
    for (vmaccel_vm *o = m->vms; o; o = o->next) {
        if (o == vm)
            continue;
        pthread_mutex_lock(&o->lock);
        for (size_t i = 0; !o->gone && i < o->nvcpus; i++) {
            const va_vcpu *v = &o->vcpus[i];
            unsigned pu = v->pinned && !v->gone && v->planned_cpu >= 0
                              ? va_topology_pu_by_os(m->topology, (unsigned)v->planned_cpu)
                              : VMACCEL_NO_INDEX;
            if (pu != VMACCEL_NO_INDEX)
                base[pu]++;
        }
        pthread_mutex_unlock(&o->lock);
    }
    pthread_mutex_unlock(&m->lock);
}

int va_pin_reserved_pus(vmaccel_vm *vm, const char *list, bool *reserved)
{
    const vmaccel_topology *t = vm->m->topology;
    va_cpumask res, cpuset, usable;
    va_cpumask_zero(&res);
    int rc = list && *list ? va_cpumask_parse(list, &res) : 0;
    if (!rc)
        rc = vm->plat->cpuset_of(vm->plat, vm->pid, &cpuset);
    if (!rc)
        rc = va_platform_usable_cpus(vm->plat, &usable);
    for (unsigned p = 0; !rc && p < t->count[VMACCEL_OBJ_PU]; p++) {
        unsigned os = t->pus[p].os_index;
        reserved[p] = va_cpumask_isset(&res, os) || !va_cpumask_isset(&cpuset, os) ||
                      !va_cpumask_isset(&usable, os);
    }
    return rc;
}

static int plan_vm(vmaccel_vm *vm, const vmaccel_pin_options *o, unsigned n,
                   const unsigned *base, va_plan *plan)
{
    const vmaccel_topology *t = vm->m->topology;
    unsigned npus = t->count[VMACCEL_OBJ_PU], nodes = va_topology_nodes(t);
    bool *reserved = calloc(npus + 1, sizeof *reserved);
    uint64_t *mem = calloc(nodes + 1, sizeof *mem);
    int rc = reserved && mem ? va_pin_reserved_pus(vm, o->reserved_cpus, reserved)
                             : va_fail(VMACCEL_ENOMEM, "out of memory planning a VM");
    if (!rc) {
        va_plan_vm pv = {.nvcpus = n, .strategy = o->strategy};
        if (va_vm_memory_per_node(vm, mem, nodes))
            pv.mem_per_node = mem;
        va_plan_input in = {.topo = t, .reserved = reserved, .base_load = base,
                            .smt = o->smt, .nvms = 1, .vms = &pv};
        rc = va_plan_compute(&in, plan);
    }
    free(reserved);
    free(mem);
    return rc;
}

static va_apply_req request_of(const vmaccel_pin_options *o)
{
    static const int sched_policy[] = {-1, SCHED_OTHER, SCHED_FIFO, SCHED_RR};
    va_apply_req req = {o->dry_run != 0, o->set_nice != 0, o->nice,
                        sched_policy[o->sched], o->rt_priority};
    return req;
}

static unsigned vcpus_of(const vmaccel_vm *vm, const vmaccel_pin_options *o)
{
    return o->vcpu_count ? o->vcpu_count : (unsigned)vm->nvcpus;
}

/* Records the plan on the vCPUs and turns it into one mask per vCPU. */
static void targets_of(vmaccel_vm *vm, const va_plan *plan, va_cpumask *targets)
{
    const vmaccel_topology *t = vm->m->topology;
    for (size_t i = 0; i < plan->nvcpus; i++) {
        const va_topo_pu *pu = &t->pus[plan->pu[i]];
        vm->vcpus[i].planned_cpu = (int)pu->os_index;
        vm->vcpus[i].planned_node = pu->node;
        va_cpumask_zero(&targets[i]);
        va_cpumask_set(&targets[i], pu->os_index);
    }
}

static int pin_locked(vmaccel_vm *vm, const vmaccel_pin_options *o, const unsigned *base)
{
    unsigned n = vcpus_of(vm, o);
    va_plan plan;
    int rc = va_vm_guard(vm);
    if (!rc)
        rc = plan_vm(vm, o, n, base, &plan);
    if (rc)
        return rc;
    va_cpumask *targets = calloc(n, sizeof *targets);
    if (!targets) {
        va_plan_release(&plan);
        return va_fail(VMACCEL_ENOMEM, "out of memory for CPU masks");
    }
    targets_of(vm, &plan, targets);
    vm->plan_score = plan.score;
    vm->plan_strategy = plan.strategy[0];
    va_apply_req req = request_of(o);
    rc = va_apply(vm, targets, n, &req);
    free(targets);
    va_plan_release(&plan);
    return rc;
}

static int check_call(const vmaccel_vm *vm, const vmaccel_pin_options *opts)
{
    int rc = va_vm_check(vm);
    if (!rc && !opts)
        rc = va_fail(VMACCEL_EINVAL, "pin options are NULL");
    return rc ? rc : check_options(vm, opts);
}

VMACCEL_API int vmaccel_vm_affinity_state_capture(vmaccel_vm *vm,
                                                  const vmaccel_pin_options *opts)
{
    int rc = check_call(vm, opts);
    if (rc)
        return rc;
    va_apply_req req = request_of(opts);
    pthread_mutex_lock(&vm->lock);
    rc = va_capture(vm, vcpus_of(vm, opts), &req);
    pthread_mutex_unlock(&vm->lock);
    return rc;
}

VMACCEL_API int vmaccel_vm_pin(vmaccel_vm *vm, const vmaccel_pin_options *opts)
{
    int rc = check_call(vm, opts);
    if (rc)
        return rc;
    unsigned npus = vm->m->topology->count[VMACCEL_OBJ_PU];
    unsigned *base = calloc(npus + 1, sizeof *base);
    if (!base)
        return va_fail(VMACCEL_ENOMEM, "out of memory planning a VM");
    va_pin_other_loads(vm, base);
    pthread_mutex_lock(&vm->lock);
    rc = pin_locked(vm, opts, base);
    pthread_mutex_unlock(&vm->lock);
    free(base);
    return rc;
}

VMACCEL_API int vmaccel_vm_configure_affinity(vmaccel_vm *vm, unsigned vcpu_count,
                                              vmaccel_strategy strategy)
{
    vmaccel_pin_options o = VMACCEL_PIN_OPTIONS_INIT;
    o.vcpu_count = vcpu_count;
    o.strategy = strategy;
    return vmaccel_vm_pin(vm, &o);
}

VMACCEL_API int vmaccel_vm_restore_affinity(vmaccel_vm *vm)
{
    int rc = va_vm_check(vm);
    if (rc)
        return rc;
    pthread_mutex_lock(&vm->lock);
    rc = va_restore(vm);
    pthread_mutex_unlock(&vm->lock);
    return rc;
}
