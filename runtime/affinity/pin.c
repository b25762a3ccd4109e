/* Pinning a VM: plan its vCPUs on the manager's topology (the other VMs'
 * pinned vCPUs count as load), then apply. */
#include "affinity/apply.h"
#include "affinity/pin_internal.h"
#include "affinity/plan_limits.h"

#include "core/error.h"
#include "topology/topo.h"
#include "vmm/limits.h"
#include "vmm/procfs.h"

#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

VMACCEL_API void vmaccel_pin_options_init(vmaccel_pin_options *opts)
{
    if (opts) {
        vmaccel_pin_options init = VMACCEL_PIN_OPTIONS_INIT;
        *opts = init;
    }
}

/* The caller's options as the current version (version 1 lacks
 * override_pins: it keeps its default, 0). */
static int check_options(const vmaccel_vm *vm, const vmaccel_pin_options *in,
                         vmaccel_pin_options *o)
{
    vmaccel_pin_options init = VMACCEL_PIN_OPTIONS_INIT;
    *o = init;
    if (in->version == 1)
        memcpy(o, in, offsetof(vmaccel_pin_options, override_pins));
    else if (in->version == VMACCEL_PIN_OPTIONS_VERSION)
        *o = *in;
    else
        return va_fail(VMACCEL_EINVAL, "pin options version %u, expected 1..%u "
                       "(initialise with VMACCEL_PIN_OPTIONS_INIT)", in->version,
                       VMACCEL_PIN_OPTIONS_VERSION);
    o->version = VMACCEL_PIN_OPTIONS_VERSION;
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

/* The CPUs any of the VM's vCPU threads may use (their own cgroups'), or
 * the VMM process's cpuset before the limits were read. */
static int vcpus_cpuset(vmaccel_vm *vm, va_cpumask *out)
{
    bool any = false;
    va_cpumask_zero(out);
    for (size_t i = 0; i < vm->nvcpus; i++) {
        const va_limit *l = &vm->vcpus[i].limits.cpus;
        if (!vm->vcpus[i].limits.known)
            continue;
        any = true;
        for (unsigned c = 0; c < VA_MAX_CPUS; c++)
            if (va_cpumask_isset(&l->mask, c))
                va_cpumask_set(out, c);
    }
    return any ? 0 : vm->plat->cpuset_of(vm->plat, vm->pid, out);
}

int va_pin_reserved_pus(vmaccel_vm *vm, const char *list, bool *reserved)
{
    const vmaccel_topology *t = vm->m->topology;
    va_cpumask res, cpuset, usable;
    va_cpumask_zero(&res);
    int rc = list && *list ? va_cpumask_parse(list, &res) : 0;
    if (!rc)
        rc = vcpus_cpuset(vm, &cpuset);
    if (!rc)
        rc = va_platform_usable_cpus(vm->plat, &usable);
    for (unsigned p = 0; !rc && p < t->count[VMACCEL_OBJ_PU]; p++) {
        unsigned os = t->pus[p].os_index;
        reserved[p] = va_cpumask_isset(&res, os) || !va_cpumask_isset(&cpuset, os) ||
                      !va_cpumask_isset(&usable, os);
    }
    return rc;
}

/* Where a kept vCPU counts as load: the CPU the operator pinned it to, or
 * of several the one it last ran on (else the lowest). */
static unsigned keep_pu_of(vmaccel_vm *vm, const va_vcpu *v)
{
    const va_cpumask *pin = &v->limits.cpu_pin.mask;
    int cpu = -1, last = -1;
    va_thread_last_cpu(vm->plat, vm->pid, v->tid, &last);
    for (unsigned c = 0; c < VA_MAX_CPUS && cpu < 0; c++)
        if (va_cpumask_isset(pin, c))
            cpu = (int)c;
    if (va_cpumask_count(pin) > 1 && last >= 0 && va_cpumask_isset(pin, (unsigned)last))
        cpu = last;
    return cpu < 0 ? VMACCEL_NO_INDEX : va_topology_pu_by_os(vm->m->topology, (unsigned)cpu);
}

/* The planner's rules from each vCPU's limits: its own cpuset, and the
 * operator's placement kept unless overridden. allowed is n * npus. */
static void rules_of(vmaccel_vm *vm, unsigned n, bool override, bool *allowed,
                     va_vcpu_rule *rules)
{
    const vmaccel_topology *t = vm->m->topology;
    unsigned npus = t->count[VMACCEL_OBJ_PU];
    for (unsigned i = 0; i < n; i++) {
        const va_vcpu *v = &vm->vcpus[i];
        rules[i] = (va_vcpu_rule){NULL, false, VMACCEL_NO_INDEX};
        if (!v->limits.known)
            continue;
        bool *a = &allowed[(size_t)i * npus];
        for (unsigned p = 0; p < npus; p++)
            a[p] = va_cpumask_isset(&v->limits.cpus.mask, t->pus[p].os_index);
        rules[i].allowed = a;
        if (v->limits.cpu_pin.set && !override) {
            rules[i].keep = true;
            rules[i].keep_pu = keep_pu_of(vm, v);
        }
    }
}

static int plan_vm(vmaccel_vm *vm, const vmaccel_pin_options *o, unsigned n,
                   const unsigned *base, va_limited_plan *plan, va_vcpu_rule *rules)
{
    const vmaccel_topology *t = vm->m->topology;
    unsigned npus = t->count[VMACCEL_OBJ_PU], nodes = va_topology_nodes(t);
    bool *reserved = calloc(npus + 1, sizeof *reserved);
    bool *allowed = calloc((size_t)n * npus + 1, sizeof *allowed);
    uint64_t *mem = calloc(nodes + 1, sizeof *mem);
    int rc = reserved && allowed && mem ? va_pin_reserved_pus(vm, o->reserved_cpus, reserved)
                                        : va_fail(VMACCEL_ENOMEM, "out of memory planning a VM");
    if (!rc) {
        rules_of(vm, n, o->override_pins != 0, allowed, rules);
        va_limited_input in = {.topo = t, .reserved = reserved, .base_load = base,
                               .smt = o->smt, .strategy = o->strategy, .nvcpus = n,
                               .rules = rules};
        if (va_vm_memory_per_node(vm, mem, nodes))
            in.mem_per_node = mem;
        rc = va_plan_limited(&in, plan);
    }
    free(reserved);
    free(allowed);
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

/* Records the plan on the vCPUs and turns it into one mask per vCPU; a
 * kept vCPU gets none (left alone) and is recorded where it stays. */
static void targets_of(vmaccel_vm *vm, const va_limited_plan *plan, const va_vcpu_rule *rules,
                       unsigned n, bool override, va_cpumask *targets)
{
    const vmaccel_topology *t = vm->m->topology;
    for (unsigned i = 0; i < n; i++) {
        va_vcpu *v = &vm->vcpus[i];
        va_cpumask_zero(&targets[i]);
        v->kept = rules[i].keep;
        v->overrode = !v->kept && override && v->limits.cpu_pin.set;
        if (plan->pu[i] == VMACCEL_NO_INDEX) {
            v->planned_cpu = -1;
            v->result = 0;
            continue;
        }
        const va_topo_pu *pu = &t->pus[plan->pu[i]];
        v->planned_cpu = (int)pu->os_index;
        v->planned_node = pu->node;
        if (v->kept)
            v->result = 0;
        else
            va_cpumask_set(&targets[i], pu->os_index);
    }
}

/* "vCPU 0 on CPU 1 (libvirt <vcpupin .../>)" for each vCPU kept or
 * overridden, into buf. */
static void describe(const vmaccel_vm *vm, unsigned n, bool kept, char *buf, size_t len)
{
    buf[0] = '\0';
    for (unsigned i = 0; i < n; i++) {
        const va_vcpu *v = &vm->vcpus[i];
        if (!(kept ? v->kept : v->overrode) || strlen(buf) + 16 >= len)
            continue;
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%svCPU %u %s CPU %d (%s)", used ? "; " : "",
                 v->index, kept ? "stays on" : "->", v->planned_cpu,
                 v->limits.cpu_pin.source);
    }
}

/* VMACCEL_EVENT_VCPUS_PINNED: what the pin did, and the operator's pins it
 * respected or overrode. */
static void emit_pinned(vmaccel_vm *vm, unsigned n, int rc)
{
    unsigned kept = 0, overrode = 0, moved = 0;
    for (unsigned i = 0; i < n; i++) {
        kept += vm->vcpus[i].kept;
        overrode += vm->vcpus[i].overrode;
        moved += !vm->vcpus[i].kept && vm->vcpus[i].result == 0;
    }
    char k[240], o[240];
    describe(vm, n, true, k, sizeof k);
    describe(vm, n, false, o, sizeof o);
    va_vm_emit(vm, VMACCEL_EVENT_VCPUS_PINNED, "VM %llu \"%s\": %u vCPU(s) pinned (%s)%s"
               "%s%s%s%s%s%s", (unsigned long long)vm->id, vm->name, moved,
               vm->control == VMACCEL_CONTROL_LIBVIRT ? "through libvirt" : "sched_setaffinity",
               rc ? ", some failed" : "", kept ? "; left to the operator's pin: " : "", k,
               overrode ? "; operator's pin overridden: " : "", o,
               vm->control_note[0] ? "; note: " : "", vm->control_note);
}

static int pin_locked(vmaccel_vm *vm, const vmaccel_pin_options *o, const unsigned *base)
{
    unsigned n = vcpus_of(vm, o);
    va_limited_plan plan;
    va_vcpu_rule *rules = calloc(n + 1, sizeof *rules);
    va_cpumask *targets = calloc(n + 1, sizeof *targets);
    int rc = rules && targets ? va_vm_guard(vm)
                              : va_fail(VMACCEL_ENOMEM, "out of memory for CPU masks");
    if (!rc)
        rc = plan_vm(vm, o, n, base, &plan, rules);
    if (!rc) {
        targets_of(vm, &plan, rules, n, o->override_pins != 0, targets);
        vm->plan_score = plan.score;
        vm->plan_strategy = plan.strategy;
        va_apply_req req = request_of(o);
        rc = va_apply(vm, targets, n, &req);
        if (!o->dry_run)
            emit_pinned(vm, n, rc);
        va_limited_plan_release(&plan);
    }
    free(rules);
    free(targets);
    return rc;
}

/* The options as the current version, checked. */
static int check_call(const vmaccel_vm *vm, const vmaccel_pin_options *opts,
                      vmaccel_pin_options *o)
{
    int rc = va_vm_check(vm);
    if (!rc && !opts)
        rc = va_fail(VMACCEL_EINVAL, "pin options are NULL");
    return rc ? rc : check_options(vm, opts, o);
}

VMACCEL_API int vmaccel_vm_affinity_state_capture(vmaccel_vm *vm,
                                                  const vmaccel_pin_options *opts)
{
    vmaccel_pin_options o;
    int rc = check_call(vm, opts, &o);
    if (rc)
        return rc;
    va_apply_req req = request_of(&o);
    pthread_mutex_lock(&vm->lock);
    rc = va_capture(vm, vcpus_of(vm, &o), &req);
    pthread_mutex_unlock(&vm->lock);
    return rc;
}

VMACCEL_API int vmaccel_vm_pin(vmaccel_vm *vm, const vmaccel_pin_options *opts)
{
    vmaccel_pin_options o;
    int rc = check_call(vm, opts, &o);
    /* What limits each vCPU now: read before planning, without the lock. */
    if (!rc)
        rc = va_vm_refresh_limits(vm);
    if (rc)
        return rc;
    unsigned npus = vm->m->topology->count[VMACCEL_OBJ_PU];
    unsigned *base = calloc(npus + 1, sizeof *base);
    if (!base)
        return va_fail(VMACCEL_ENOMEM, "out of memory planning a VM");
    va_pin_other_loads(vm, base);
    pthread_mutex_lock(&vm->lock);
    rc = pin_locked(vm, &o, base);
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
