/* Internal: the OS half of vmaccel_numa_alloc (alloc.c checks the
 * arguments): linux_alloc.c through libnuma, windows_alloc.c through
 * VirtualAllocExNuma. */
#ifndef VA_NUMA_ALLOC_OS_H
#define VA_NUMA_ALLOC_OS_H

#include "vmaccel/numa.h"

#include <stddef.h>

/* size > 0; os_node is the OS's number of the node (ONNODE only). Returns
 * 0 with zeroed, faulted-in memory in *out, or a VMACCEL_E* code with a
 * message. */
int va_os_numa_alloc(size_t size, vmaccel_alloc_policy policy, int os_node, void **out);
void va_os_numa_free(void *ptr, size_t size);

#endif
