/* The public planning API (vmaccel_plan_*) over the pure planner. */
#include "affinity/plan_api.h"

#include "core/error.h"
#include "platform/platform.h"

#include <stdlib.h>
#include <string.h>

static const char *const strategy_names[VMACCEL_STRATEGY_COUNT_] = {
    "local-first", "load-balanced", "bandwidth-optimized", "adaptive"};

VMACCEL_API const char *vmaccel_strategy_name(vmaccel_strategy s)
{
    return (unsigned)s < VMACCEL_STRATEGY_COUNT_ ? strategy_names[s] : "unknown";
}

VMACCEL_API int vmaccel_strategy_parse(const char *name, vmaccel_strategy *out)
{
    if (!name || !out)
        return va_fail(VMACCEL_EINVAL, "strategy name or out is NULL");
    for (int s = 0; s < VMACCEL_STRATEGY_COUNT_; s++) {
        const char *a = name, *b = strategy_names[s];
        while (*a && (*a == *b || (*a == '_' && *b == '-'))) {
            a++;
            b++;
        }
        if (!*a && !*b) {
            *out = (vmaccel_strategy)s;
            return 0;
        }
    }
    return va_fail(VMACCEL_EINVAL, "unknown strategy \"%.64s\" (local-first, "
                   "load-balanced, bandwidth-optimized, adaptive)", name);
}

VMACCEL_API void vmaccel_plan_options_init(vmaccel_plan_options *opts)
{
    if (opts) {
        vmaccel_plan_options init = VMACCEL_PLAN_OPTIONS_INIT;
        *opts = init;
    }
}

static int check_plan(const vmaccel_plan *p)
{
    return va_handle_check(p, VA_HANDLE_PLAN, "plan");
}

static int mark_reserved(vmaccel_plan *p, const char *list)
{
    va_cpumask m;
    int rc = va_cpumask_parse(list, &m);
    for (unsigned i = 0; !rc && i < p->topo->count[VMACCEL_OBJ_PU]; i++)
        p->reserved[i] = va_cpumask_isset(&m, p->topo->pus[i].os_index);
    return rc;
}

static void destroy(vmaccel_plan *p)
{
    va_plan_release(&p->plan);
    for (size_t i = 0; i < p->nvms; i++)
        free(p->mem[i]);
    free(p->mem);
    free(p->vms);
    free(p->reserved);
    free(p);
}

VMACCEL_API int vmaccel_plan_new(const vmaccel_topology *topo,
                                 const vmaccel_plan_options *opts, vmaccel_plan **out)
{
    vmaccel_plan_options defaults = VMACCEL_PLAN_OPTIONS_INIT;
    const vmaccel_plan_options *o = opts ? opts : &defaults;
    int rc = va_handle_check(topo, VA_HANDLE_TOPOLOGY, "topology");
    if (rc)
        return rc;
    if (!out)
        return va_fail(VMACCEL_EINVAL, "vmaccel_plan_new: out is NULL");
    *out = NULL;
    if (o->version != VMACCEL_PLAN_OPTIONS_VERSION)
        return va_fail(VMACCEL_EINVAL, "plan options version %u, expected %u",
                       o->version, VMACCEL_PLAN_OPTIONS_VERSION);
    if ((unsigned)o->strategy >= VMACCEL_STRATEGY_COUNT_ ||
        (unsigned)o->smt > VMACCEL_SMT_ONE_PER_CORE)
        return va_fail(VMACCEL_EINVAL, "unknown strategy %d or SMT policy %d",
                       (int)o->strategy, (int)o->smt);
    vmaccel_plan *p = calloc(1, sizeof *p);
    if (p)
        p->reserved = calloc(topo->count[VMACCEL_OBJ_PU] + 1, sizeof *p->reserved);
    if (!p || !p->reserved) {
        free(p);
        return va_fail(VMACCEL_ENOMEM, "out of memory for a plan");
    }
    p->topo = topo;
    p->strategy = o->strategy;
    p->smt = o->smt;
    rc = o->reserved_cpus && *o->reserved_cpus ? mark_reserved(p, o->reserved_cpus) : 0;
    if (!rc)
        rc = va_handle_register(&p->handle, VA_HANDLE_PLAN);
    if (rc) {
        destroy(p);
        return rc;
    }
    *out = p;
    return 0;
}

static int grow(vmaccel_plan *p)
{
    if (p->nvms < p->cap)
        return 0;
    size_t cap = p->cap ? p->cap * 2 : 8;
    va_plan_vm *vms = realloc(p->vms, cap * sizeof *vms);
    if (vms)
        p->vms = vms;
    uint64_t **mem = vms ? realloc(p->mem, cap * sizeof *mem) : NULL;
    if (!mem)
        return va_fail(VMACCEL_ENOMEM, "out of memory adding a VM to a plan");
    p->mem = mem;
    p->cap = cap;
    return 0;
}

VMACCEL_API int vmaccel_plan_add_vm(vmaccel_plan *p, unsigned vcpus,
                                    const uint64_t *memory_per_node, size_t nnodes,
                                    unsigned *vm_index)
{
    int rc = check_plan(p);
    if (rc)
        return rc;
    unsigned nodes = va_topology_nodes(p->topo);
    if (vcpus == 0 || vcpus > VA_PLAN_MAX_VCPUS)
        return va_fail(VMACCEL_EINVAL, "a VM of %u vCPUs (1..%d)", vcpus, VA_PLAN_MAX_VCPUS);
    if (memory_per_node && nnodes != nodes)
        return va_fail(VMACCEL_EINVAL, "memory for %zu nodes, the topology has %u",
                       nnodes, nodes);
    if (p->nvms >= 1u << 20 || (rc = grow(p)))
        return rc ? rc : va_fail(VMACCEL_ENOMEM, "too many VMs in one plan");
    uint64_t *mem = NULL;
    if (memory_per_node && !(mem = malloc(nodes * sizeof *mem)))
        return va_fail(VMACCEL_ENOMEM, "out of memory adding a VM to a plan");
    if (mem)
        memcpy(mem, memory_per_node, nodes * sizeof *mem);
    p->mem[p->nvms] = mem;
    p->vms[p->nvms] = (va_plan_vm){.nvcpus = vcpus, .mem_per_node = mem,
                                   .strategy = p->strategy};
    if (vm_index)
        *vm_index = (unsigned)p->nvms;
    p->nvms++;
    va_plan_release(&p->plan);
    p->computed = false;
    return 0;
}

VMACCEL_API int vmaccel_plan_compute(vmaccel_plan *p)
{
    int rc = check_plan(p);
    if (rc)
        return rc;
    if (!p->nvms)
        return va_fail(VMACCEL_ESTATE, "the plan has no VM: add some with "
                       "vmaccel_plan_add_vm");
    va_plan_release(&p->plan);
    p->computed = false;
    va_plan_input in = {.topo = p->topo, .reserved = p->reserved, .smt = p->smt,
                        .nvms = p->nvms, .vms = p->vms};
    rc = va_plan_compute(&in, &p->plan);
    p->computed = rc == 0;
    return rc;
}

static int computed(const vmaccel_plan *p)
{
    int rc = check_plan(p);
    if (!rc && !p->computed)
        rc = va_fail(VMACCEL_ESTATE, "the plan is not computed: call vmaccel_plan_compute");
    return rc;
}

VMACCEL_API int vmaccel_plan_vcpu(const vmaccel_plan *p, unsigned vm, unsigned vcpu,
                                  unsigned *cpu, unsigned *numa_node)
{
    int rc = computed(p);
    if (rc)
        return rc;
    if (vm >= p->plan.nvms || vcpu >= p->plan.first[vm + 1] - p->plan.first[vm])
        return va_fail(VMACCEL_ERANGE, "VM %u vCPU %u is not in the plan", vm, vcpu);
    const va_topo_pu *pu = &p->topo->pus[p->plan.pu[p->plan.first[vm] + vcpu]];
    if (cpu)
        *cpu = pu->os_index;
    if (numa_node)
        *numa_node = pu->node;
    return 0;
}

VMACCEL_API int vmaccel_plan_score(const vmaccel_plan *p, unsigned vm, double *score)
{
    int rc = computed(p);
    if (!rc && !score)
        rc = va_fail(VMACCEL_EINVAL, "score is NULL");
    if (!rc && vm != VMACCEL_NO_INDEX && vm >= p->plan.nvms)
        rc = va_fail(VMACCEL_ERANGE, "VM %u is not in the plan", vm);
    if (!rc)
        *score = vm == VMACCEL_NO_INDEX ? p->plan.score : p->plan.vm_score[vm];
    return rc;
}

VMACCEL_API void vmaccel_plan_free(vmaccel_plan *p)
{
    if (!p)
        return;
    if (!va_handle_unregister(p, VA_HANDLE_PLAN)) {
        va_fail(VMACCEL_EINVAL, "vmaccel_plan_free: freed or foreign plan");
        return;
    }
    destroy(p);
}
