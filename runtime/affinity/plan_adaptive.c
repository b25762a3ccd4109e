/* ADAPTIVE: choosing a strategy per VM from observed metrics (the rules
 * are stated in vmaccel/affinity.h). */
#include "affinity/planner.h"

/* True when no node holds 75% of the VM's memory (unknown: false). */
static bool memory_spread(const va_plan_input *in, const va_plan_vm *v)
{
    if (!v->mem_per_node)
        return false;
    unsigned nodes = va_topology_nodes(in->topo);
    double sum = 0, top = 0;
    for (unsigned n = 0; n < nodes; n++) {
        double b = (double)v->mem_per_node[n];
        sum += b;
        top = b > top ? b : top;
    }
    return sum > 0 && top < 0.75 * sum;
}

/* The VMs' observed demand for CPUs exceeds the usable PUs. */
static bool host_overcommitted(const va_plan_input *in)
{
    double demand = 0;
    for (size_t i = 0; i < in->nvms; i++)
        if (in->vms[i].have_metrics)
            demand += in->vms[i].cpu_demand;
    unsigned usable = 0;
    for (unsigned p = 0; p < in->topo->count[VMACCEL_OBJ_PU]; p++)
        usable += in->topo->pus[p].allowed && !(in->reserved && in->reserved[p]);
    return demand > (double)usable;
}

vmaccel_strategy va_plan_resolve(const va_plan_input *in, size_t i)
{
    const va_plan_vm *v = &in->vms[i];
    if (v->strategy != VMACCEL_STRATEGY_ADAPTIVE)
        return v->strategy;
    if (!v->have_metrics)
        return VMACCEL_STRATEGY_LOCAL_FIRST;
    if (v->local_rate < 0.5 && memory_spread(in, v))
        return VMACCEL_STRATEGY_BANDWIDTH_OPTIMIZED;
    if (host_overcommitted(in))
        return VMACCEL_STRATEGY_LOAD_BALANCED;
    return VMACCEL_STRATEGY_LOCAL_FIRST;
}
