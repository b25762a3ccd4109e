/*
 * Internal: the handle check for hot paths (the SMMU's IOTLB hit), inline
 * over the registry that handle.c owns. C only (C11 atomics).
 */
#ifndef VA_CORE_HANDLE_FAST_H
#define VA_CORE_HANDLE_FAST_H

#include "core/handle.h"

#include <stdatomic.h>
#include <stddef.h>

/* The registry, for va_handle_in_home_slot (handle.c owns both). */
#define VA_HANDLE_SLOTS (1u << 15)
extern _Atomic uintptr_t va_handle_slots[VA_HANDLE_SLOTS];
extern _Atomic unsigned va_handle_rebuild_seq;

static inline size_t va_handle_slot_of(uintptr_t p)
{
    uint64_t x = (uint64_t)p >> 4;
    x *= 0x9e3779b97f4a7c15ull;
    return (size_t)(x >> 49) & (VA_HANDLE_SLOTS - 1);
}

/* For hot paths: true when `h` is a live handle of `kind` sitting in its
 * home slot of the registry with no rebuild overlapping. False does not
 * mean dead: the caller then asks va_handle_is_live/va_handle_check. */
static inline bool va_handle_in_home_slot(const void *h, va_handle_kind kind)
{
    uintptr_t p = (uintptr_t)h;
    unsigned before = atomic_load_explicit(&va_handle_rebuild_seq, memory_order_acquire);
    return p && !(before & 1) &&
           atomic_load_explicit(&va_handle_slots[va_handle_slot_of(p)], memory_order_acquire) == p &&
           atomic_load_explicit(&va_handle_rebuild_seq, memory_order_acquire) == before &&
           __atomic_load_n(&((const va_handle *)h)->kind, __ATOMIC_ACQUIRE) == (uint32_t)kind;
}

#endif
