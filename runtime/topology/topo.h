/*
 * Internal view of a topology: flat arrays indexed by logical index, built
 * once from hwloc so that the planner, the model and the report never call
 * hwloc on a hot path.
 */
#ifndef VA_TOPOLOGY_TOPO_H
#define VA_TOPOLOGY_TOPO_H

#include "core/handle.h"
#include "vmaccel/topology.h"

#include <stdbool.h>

#define VA_KIND_COUNT 7 /* vmaccel_object_kind values */

typedef struct va_topo_object {
    unsigned os_index;     /* NUMA nodes: kernel node; PUs: CPU number */
    unsigned level;        /* caches: 1..3 */
    uint64_t size_bytes;   /* NUMA nodes: memory; caches: capacity */
    unsigned line_size;    /* caches */
    unsigned *cpus;        /* OS CPU numbers inside, ascending */
    unsigned ncpus;
} va_topo_object;

typedef struct va_topo_pu {
    unsigned os_index;
    unsigned core, package, node;   /* logical indices (VMACCEL_NO_INDEX) */
    unsigned cache[3];              /* L1, L2, L3 logical indices */
    bool allowed;
} va_topo_pu;

struct vmaccel_topology {
    va_handle handle;
    bool owned_by_manager;          /* vmaccel_topology_free refuses it */
    char source[256];
    unsigned count[VA_KIND_COUNT];
    va_topo_object *objects[VA_KIND_COUNT];
    va_topo_pu *pus;                /* count[VMACCEL_OBJ_PU] entries */
    unsigned *distance;             /* nodes x nodes, row-major */
    unsigned *allowed;              /* OS CPU numbers, ascending */
    unsigned nallowed;
    unsigned *pu_of_os;             /* OS CPU number -> logical PU */
    unsigned npu_of_os;             /* highest OS CPU number + 1 */
};

/* Loads a topology without registering it as a public handle. */
int va_topology_build(const vmaccel_topology_options *opts,
                      vmaccel_topology **out);
void va_topology_destroy(vmaccel_topology *topo);

/* Logical PU index for an OS CPU number, or VMACCEL_NO_INDEX. O(1). */
static inline unsigned va_topology_pu_by_os(const vmaccel_topology *t, unsigned os_cpu)
{
    return os_cpu < t->npu_of_os ? t->pu_of_os[os_cpu] : VMACCEL_NO_INDEX;
}

static inline unsigned va_topology_nodes(const vmaccel_topology *t)
{
    return t->count[VMACCEL_OBJ_NUMA_NODE];
}

static inline unsigned va_topology_dist(const vmaccel_topology *t,
                                        unsigned a, unsigned b)
{
    return t->distance[a * t->count[VMACCEL_OBJ_NUMA_NODE] + b];
}

#endif
