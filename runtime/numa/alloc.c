/* NUMA-aware allocation for in-process VMMs: the checks every OS shares;
 * the allocation itself is alloc_os.h's. */
#include "core/error.h"
#include "core/manager_internal.h"
#include "numa/alloc_os.h"
#include "topology/topo.h"
#include "vmaccel/numa.h"

VMACCEL_API int vmaccel_numa_alloc(const vmaccel_manager *m, size_t size,
                                   vmaccel_alloc_policy policy, unsigned node,
                                   void **out)
{
    int rc = va_manager_check(m);
    if (rc)
        return rc;
    if (!out || size == 0)
        return va_fail(VMACCEL_EINVAL, "vmaccel_numa_alloc: NULL out or size 0");
    *out = NULL;
    int os_node = -1;
    switch (policy) {
    case VMACCEL_ALLOC_LOCAL:
    case VMACCEL_ALLOC_INTERLEAVE:
        break;
    case VMACCEL_ALLOC_ONNODE:
        if (node >= va_topology_nodes(m->topology))
            return va_fail(VMACCEL_EINVAL, "node %u: the topology has %u nodes", node,
                           va_topology_nodes(m->topology));
        os_node = (int)m->topology->objects[VMACCEL_OBJ_NUMA_NODE][node].os_index;
        break;
    default:
        return va_fail(VMACCEL_EINVAL, "unknown allocation policy %d", (int)policy);
    }
    return va_os_numa_alloc(size, policy, os_node, out);
}

VMACCEL_API void vmaccel_numa_free(void *ptr, size_t size)
{
    if (ptr)
        va_os_numa_free(ptr, size);
}
