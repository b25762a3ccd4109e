/* The Windows half of vmaccel_numa_alloc: VirtualAllocExNuma. Windows
 * treats the node as the preferred one for the pages' first commit (as
 * libnuma's preferred policy does), and has no interleave policy: here
 * interleaving commits the range one page at a time, each page preferring
 * the next node in turn. */
#include "numa/alloc_os.h"

#include "core/error.h"

#include <string.h>
#include <windows.h>

static DWORD page_size(void)
{
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return si.dwPageSize;
}

/* The node of the processor this thread runs on now. */
static DWORD current_node(void)
{
    PROCESSOR_NUMBER pn;
    USHORT node = 0;
    GetCurrentProcessorNumberEx(&pn);
    if (!GetNumaProcessorNodeEx(&pn, &node) || node == 0xffff)
        node = 0;
    return node;
}

static int fail_alloc(size_t size, const char *how, DWORD node)
{
    return va_fail(VMACCEL_ENOMEM, "VirtualAllocExNuma(%zu bytes, %s node %lu): error %lu",
                   size, how, (unsigned long)node, (unsigned long)GetLastError());
}

static int alloc_interleaved(size_t size, void **out)
{
    ULONG highest = 0;
    if (!GetNumaHighestNodeNumber(&highest))
        highest = 0;
    HANDLE self = GetCurrentProcess();
    char *base = VirtualAlloc(NULL, size, MEM_RESERVE, PAGE_NOACCESS);
    if (!base)
        return fail_alloc(size, "reserving for", 0);
    DWORD page = page_size();
    DWORD node = 0;
    for (size_t off = 0; off < size; off += page) {
        size_t len = size - off < page ? size - off : page;
        if (!VirtualAllocExNuma(self, base + off, len, MEM_COMMIT, PAGE_READWRITE, node)) {
            int rc = fail_alloc(size, "interleaving on", node);
            VirtualFree(base, 0, MEM_RELEASE);
            return rc;
        }
        node = node == highest ? 0 : node + 1;
    }
    *out = base;
    return 0;
}

int va_os_numa_alloc(size_t size, vmaccel_alloc_policy policy, int os_node, void **out)
{
    if (policy == VMACCEL_ALLOC_INTERLEAVE) {
        int rc = alloc_interleaved(size, out);
        if (rc)
            return rc;
    } else {
        DWORD node = policy == VMACCEL_ALLOC_ONNODE ? (DWORD)os_node : current_node();
        *out = VirtualAllocExNuma(GetCurrentProcess(), NULL, size, MEM_RESERVE | MEM_COMMIT,
                                  PAGE_READWRITE, node);
        if (!*out)
            return fail_alloc(size, policy == VMACCEL_ALLOC_ONNODE ? "on" : "local to", node);
    }
    memset(*out, 0, size); /* fault the pages in under the preference */
    return 0;
}

void va_os_numa_free(void *ptr, size_t size)
{
    (void)size; /* MEM_RELEASE frees the whole reservation */
    VirtualFree(ptr, 0, MEM_RELEASE);
}
