/* Plans as protobuf: Placement messages and `vmaccel plan`'s report. */
#include "affinity/plan_api.h"

#include "core/error.h"
#include "report/encode.h"
#include "report/topology_report.h"

#include <stdlib.h>

Vmaccel__V1__Placement *va_placement_msg(uint64_t vm_id, const unsigned *cpus,
                                         const unsigned *nodes, size_t n, double score,
                                         vmaccel_strategy s, va_arena *a)
{
    Vmaccel__V1__Placement *pl = va_arena_alloc(a, sizeof *pl);
    if (!pl)
        return NULL;
    vmaccel__v1__placement__init(pl);
    pl->vm_id = vm_id;
    pl->score = score;
    pl->strategy = (char *)vmaccel_strategy_name(s);
    pl->vcpus = va_arena_array(a, n, sizeof *pl->vcpus);
    for (size_t i = 0; pl->vcpus && i < n; i++) {
        Vmaccel__V1__VcpuPlacement *v = va_arena_alloc(a, sizeof *v);
        if (!v)
            return NULL;
        vmaccel__v1__vcpu_placement__init(v);
        v->vcpu = (uint32_t)i;
        v->cpu = cpus[i];
        v->numa_node = nodes[i];
        pl->vcpus[pl->n_vcpus++] = v;
    }
    return pl;
}

static Vmaccel__V1__Placement *vm_placement(const vmaccel_plan *p, size_t vm, va_arena *a)
{
    size_t first = p->plan.first[vm], n = p->plan.first[vm + 1] - first;
    unsigned *cpus = va_arena_array(a, n, sizeof *cpus);
    unsigned *nodes = va_arena_array(a, n, sizeof *nodes);
    if (!cpus || !nodes)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const va_topo_pu *pu = &p->topo->pus[p->plan.pu[first + i]];
        cpus[i] = pu->os_index;
        nodes[i] = pu->node;
    }
    return va_placement_msg(vm, cpus, nodes, n, p->plan.vm_score[vm],
                            p->plan.strategy[vm], a);
}

VMACCEL_API int vmaccel_plan_report(const vmaccel_plan *p, vmaccel_format format,
                                    vmaccel_buf *out)
{
    int rc = va_handle_check(p, VA_HANDLE_PLAN, "plan");
    if (!rc && !out)
        rc = va_fail(VMACCEL_EINVAL, "output buffer pointer is NULL");
    if (!rc && !p->computed)
        rc = va_fail(VMACCEL_ESTATE, "the plan is not computed: call vmaccel_plan_compute");
    if (rc)
        return rc;
    va_arena a = VA_ARENA_INIT;
    Vmaccel__V1__DiagnosticReport r = VMACCEL__V1__DIAGNOSTIC_REPORT__INIT;
    r.library_version = (char *)vmaccel_version();
    r.topology = va_report_topology(p->topo, &a);
    r.placements = va_arena_array(&a, p->plan.nvms, sizeof *r.placements);
    for (size_t i = 0; r.placements && i < p->plan.nvms; i++)
        r.placements[r.n_placements++] = vm_placement(p, i, &a);
    rc = a.failed ? va_fail(VMACCEL_ENOMEM, "out of memory building a plan report")
                  : va_report_encode(&r.base, format, out);
    va_arena_free(&a);
    return rc;
}
