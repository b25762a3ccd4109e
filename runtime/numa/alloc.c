/* NUMA-aware allocation for in-process VMMs, through libnuma. */
#include "core/error.h"
#include "core/manager_internal.h"
#include "topology/topo.h"
#include "vmaccel/numa.h"

#include <numa.h>
#include <string.h>

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
    if (numa_available() < 0)
        return va_fail(VMACCEL_ENOTSUP, "the kernel has no NUMA support (libnuma)");
    void *p = NULL;
    switch (policy) {
    case VMACCEL_ALLOC_LOCAL:
        p = numa_alloc_local(size);
        break;
    case VMACCEL_ALLOC_ONNODE:
        if (node >= va_topology_nodes(m->topology))
            return va_fail(VMACCEL_EINVAL, "node %u: the topology has %u nodes", node,
                           va_topology_nodes(m->topology));
        p = numa_alloc_onnode(size, (int)m->topology->objects[VMACCEL_OBJ_NUMA_NODE][node].os_index);
        break;
    case VMACCEL_ALLOC_INTERLEAVE:
        p = numa_alloc_interleaved(size);
        break;
    default:
        return va_fail(VMACCEL_EINVAL, "unknown allocation policy %d", (int)policy);
    }
    if (!p)
        return va_fail(VMACCEL_ENOMEM, "libnuma could not allocate %zu bytes", size);
    memset(p, 0, size); /* fault the pages in under the policy */
    *out = p;
    return 0;
}

VMACCEL_API void vmaccel_numa_free(void *ptr, size_t size)
{
    if (ptr)
        numa_free(ptr, size);
}
