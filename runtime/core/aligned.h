/* Internal: cache-line aligned allocation. Windows' C runtime has no
 * aligned_alloc, and what _aligned_malloc returns must go back through
 * _aligned_free, so both halves are named here. */
#ifndef VA_CORE_ALIGNED_H
#define VA_CORE_ALIGNED_H

#include <stdlib.h>
#if defined(_WIN32)
#include <malloc.h>
#endif

static inline void *va_aligned_alloc(size_t align, size_t size)
{
#if defined(_WIN32)
    return _aligned_malloc(size, align);
#else
    return aligned_alloc(align, size);
#endif
}

static inline void va_aligned_free(void *p)
{
#if defined(_WIN32)
    _aligned_free(p);
#else
    free(p);
#endif
}

#endif
