/* The load of threads the engine does not watch, per node (engine.h):
 * what the CPUs were busy with since the previous period, less what the
 * watched vCPUs ran there. */
#include "numa/engine.h"

#include "vmm/vm_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static unsigned cpu_count(const vmaccel_topology *t)
{
    unsigned n = 0;
    for (unsigned p = 0; p < t->count[VMACCEL_OBJ_PU]; p++)
        if (t->pus[p].os_index + 1 > n)
            n = t->pus[p].os_index + 1;
    return n < VA_MAX_CPUS ? n : VA_MAX_CPUS;
}

/* Busy CPUs per node (a fraction of PUs) over `ns`. */
static void busy_per_node(const va_numa_engine *e, const uint64_t *now, double ns,
                          double *busy, unsigned nodes)
{
    const vmaccel_topology *t = e->m->topology;
    for (unsigned p = 0; p < t->count[VMACCEL_OBJ_PU]; p++) {
        unsigned cpu = t->pus[p].os_index, node = t->pus[p].node;
        if (cpu < e->nbusy && node < nodes && va_numa_pu_usable(e, p) &&
            now[cpu] >= e->busy_prev[cpu])
            busy[node] += (double)(now[cpu] - e->busy_prev[cpu]) / ns;
    }
}

void va_numa_other_load(va_numa_engine *e, va_host_model *m, va_numa_vm *const *states,
                        size_t n)
{
    const va_platform *p = va_manager_platform(e->m);
    unsigned ncpus = cpu_count(e->m->topology);
    uint64_t *now = calloc(ncpus + 1, sizeof *now), t = p->now_ns(p);
    if (!now || !p->cpu_times || p->cpu_times(p, now, ncpus)) {
        free(now); /* unknown: other threads take nothing */
        return;
    }
    double busy[VA_MAX_NODES] = {0}, ns = (double)(t - e->busy_prev_ns);
    if (e->busy_prev && e->nbusy == ncpus && t > e->busy_prev_ns) {
        busy_per_node(e, now, ns, busy, m->nodes);
        for (size_t i = 0; i < n; i++)
            for (unsigned v = 0; v < states[i]->nvcpus; v++) {
                int node = states[i]->vcpu_node[v];
                if (node >= 0 && (unsigned)node < m->nodes)
                    busy[node] -= (double)states[i]->vcpu_runtime[v] / ns;
            }
        for (unsigned k = 0; k < m->nodes; k++)
            m->node[k].other_busy = busy[k] > 0.5 ? (unsigned)lround(busy[k]) : 0;
    }
    free(e->busy_prev);
    e->busy_prev = now;
    e->nbusy = ncpus;
    e->busy_prev_ns = t;
}
