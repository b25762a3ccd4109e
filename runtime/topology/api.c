/* The public topology accessors. */
#include "topo.h"

#include "core/error.h"

#include <string.h>

VMACCEL_API void vmaccel_topology_options_init(vmaccel_topology_options *opts)
{
    if (opts) {
        vmaccel_topology_options init = VMACCEL_TOPOLOGY_OPTIONS_INIT;
        *opts = init;
    }
}

VMACCEL_API int vmaccel_topology_load(const vmaccel_topology_options *opts,
                                      vmaccel_topology **out)
{
    if (!out)
        return va_fail(VMACCEL_EINVAL, "vmaccel_topology_load: out is NULL");
    *out = NULL;
    vmaccel_topology *t;
    int rc = va_topology_build(opts, &t);
    if (rc)
        return rc;
    rc = va_handle_register(&t->handle, VA_HANDLE_TOPOLOGY);
    if (rc) {
        va_topology_destroy(t);
        return rc;
    }
    *out = t;
    return 0;
}

VMACCEL_API void vmaccel_topology_free(vmaccel_topology *topo)
{
    if (!topo)
        return;
    if (!va_handle_is_live(topo, VA_HANDLE_TOPOLOGY) || topo->owned_by_manager) {
        va_fail(VMACCEL_EINVAL, "vmaccel_topology_free: not a topology from "
                "vmaccel_topology_load (freed, foreign or the manager's)");
        return;
    }
    va_handle_unregister(topo, VA_HANDLE_TOPOLOGY);
    va_topology_destroy(topo);
}

static int check_topo(const vmaccel_topology *t)
{
    return va_handle_check(t, VA_HANDLE_TOPOLOGY, "topology");
}

static int check_kind(vmaccel_object_kind kind)
{
    if ((unsigned)kind >= VA_KIND_COUNT)
        return va_fail(VMACCEL_EINVAL, "unknown object kind %d", (int)kind);
    return 0;
}

static int check_index(const vmaccel_topology *t, vmaccel_object_kind kind,
                       unsigned index)
{
    if (index >= t->count[kind])
        return va_fail(VMACCEL_ERANGE, "object index %u out of range (%u of kind %d)",
                       index, t->count[kind], (int)kind);
    return 0;
}

static int check_info(const void *info, unsigned version, unsigned expected)
{
    if (!info)
        return va_fail(VMACCEL_EINVAL, "info pointer is NULL");
    if (version != expected)
        return va_fail(VMACCEL_EINVAL, "info version %u, expected %u (use the "
                       "matching _INIT macro)", version, expected);
    return 0;
}

VMACCEL_API int vmaccel_topology_count(const vmaccel_topology *t,
                                       vmaccel_object_kind kind, unsigned *count)
{
    int rc = check_topo(t);
    if (!rc)
        rc = check_kind(kind);
    if (!rc && !count)
        rc = va_fail(VMACCEL_EINVAL, "count pointer is NULL");
    if (rc)
        return rc;
    *count = t->count[kind];
    return 0;
}

VMACCEL_API int vmaccel_topology_pu(const vmaccel_topology *t, unsigned index,
                                    vmaccel_pu_info *info)
{
    int rc = check_topo(t);
    if (!rc)
        rc = check_info(info, info ? info->version : 0, VMACCEL_PU_INFO_VERSION);
    if (!rc)
        rc = check_index(t, VMACCEL_OBJ_PU, index);
    if (rc)
        return rc;
    const va_topo_pu *pu = &t->pus[index];
    info->os_index = pu->os_index;
    info->core = pu->core;
    info->package = pu->package;
    info->numa_node = pu->node;
    info->l1 = pu->cache[0];
    info->l2 = pu->cache[1];
    info->l3 = pu->cache[2];
    info->allowed = pu->allowed;
    return 0;
}

VMACCEL_API int vmaccel_topology_numa_node(const vmaccel_topology *t,
                                           unsigned index,
                                           vmaccel_numa_node_info *info)
{
    int rc = check_topo(t);
    if (!rc)
        rc = check_info(info, info ? info->version : 0,
                        VMACCEL_NUMA_NODE_INFO_VERSION);
    if (!rc)
        rc = check_index(t, VMACCEL_OBJ_NUMA_NODE, index);
    if (rc)
        return rc;
    const va_topo_object *n = &t->objects[VMACCEL_OBJ_NUMA_NODE][index];
    info->os_index = n->os_index;
    info->memory_bytes = n->size_bytes;
    info->pu_count = n->ncpus;
    return 0;
}

VMACCEL_API int vmaccel_topology_distance(const vmaccel_topology *t, unsigned from,
                                          unsigned to, unsigned *distance)
{
    int rc = check_topo(t);
    if (!rc)
        rc = check_index(t, VMACCEL_OBJ_NUMA_NODE, from);
    if (!rc)
        rc = check_index(t, VMACCEL_OBJ_NUMA_NODE, to);
    if (!rc && !distance)
        rc = va_fail(VMACCEL_EINVAL, "distance pointer is NULL");
    if (rc)
        return rc;
    *distance = va_topology_dist(t, from, to);
    return 0;
}

static int check_cache_kind(vmaccel_object_kind kind)
{
    if (kind != VMACCEL_OBJ_L1_CACHE && kind != VMACCEL_OBJ_L2_CACHE &&
        kind != VMACCEL_OBJ_L3_CACHE)
        return va_fail(VMACCEL_EINVAL, "kind %d is not a cache kind", (int)kind);
    return 0;
}

VMACCEL_API int vmaccel_topology_cache(const vmaccel_topology *t,
                                       vmaccel_object_kind kind, unsigned index,
                                       vmaccel_cache_info *info)
{
    int rc = check_topo(t);
    if (!rc)
        rc = check_cache_kind(kind);
    if (!rc)
        rc = check_info(info, info ? info->version : 0, VMACCEL_CACHE_INFO_VERSION);
    if (!rc)
        rc = check_index(t, kind, index);
    if (rc)
        return rc;
    const va_topo_object *c = &t->objects[kind][index];
    info->level = c->level;
    info->size_bytes = c->size_bytes;
    info->line_size = c->line_size;
    info->pu_count = c->ncpus;
    return 0;
}

/* Copies up to cap entries and reports the full count. */
static int copy_cpus(const unsigned *src, unsigned n, unsigned *cpus, size_t cap,
                     size_t *count)
{
    if (!count)
        return va_fail(VMACCEL_EINVAL, "count pointer is NULL");
    if (cap && !cpus)
        return va_fail(VMACCEL_EINVAL, "cpus is NULL but cap is %zu", cap);
    if (cap)
        memcpy(cpus, src, (n < cap ? n : cap) * sizeof *cpus);
    *count = n;
    return 0;
}

VMACCEL_API int vmaccel_topology_object_cpus(const vmaccel_topology *t,
                                             vmaccel_object_kind kind,
                                             unsigned index, unsigned *cpus,
                                             size_t cap, size_t *count)
{
    int rc = check_topo(t);
    if (!rc)
        rc = check_kind(kind);
    if (!rc)
        rc = check_index(t, kind, index);
    if (rc)
        return rc;
    const va_topo_object *o = &t->objects[kind][index];
    return copy_cpus(o->cpus, o->ncpus, cpus, cap, count);
}

VMACCEL_API int vmaccel_topology_allowed_cpus(const vmaccel_topology *t,
                                              unsigned *cpus, size_t cap,
                                              size_t *count)
{
    int rc = check_topo(t);
    if (rc)
        return rc;
    return copy_cpus(t->allowed, t->nallowed, cpus, cap, count);
}
