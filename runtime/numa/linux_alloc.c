/* The Linux half of vmaccel_numa_alloc: libnuma's allocators. */
#include "numa/alloc_os.h"

#include "core/error.h"

#include <numa.h>
#include <string.h>

int va_os_numa_alloc(size_t size, vmaccel_alloc_policy policy, int os_node, void **out)
{
    if (numa_available() < 0)
        return va_fail(VMACCEL_ENOTSUP, "the kernel has no NUMA support (libnuma)");
    void *p = NULL;
    switch (policy) {
    case VMACCEL_ALLOC_LOCAL:
        p = numa_alloc_local(size);
        break;
    case VMACCEL_ALLOC_ONNODE:
        p = numa_alloc_onnode(size, os_node);
        break;
    case VMACCEL_ALLOC_INTERLEAVE:
        p = numa_alloc_interleaved(size);
        break;
    }
    if (!p)
        return va_fail(VMACCEL_ENOMEM, "libnuma could not allocate %zu bytes", size);
    memset(p, 0, size); /* fault the pages in under the policy */
    *out = p;
    return 0;
}

void va_os_numa_free(void *ptr, size_t size)
{
    numa_free(ptr, size);
}
