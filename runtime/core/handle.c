#include "handle.h"

#include "core/handle_fast.h"

#include "error.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

/* Open addressing with linear probing over a fixed table. A removed slot
 * becomes a tombstone so that probe chains stay intact; when tombstones pile
 * up the table is rebuilt in place. Readers never lock: a sequence counter
 * (odd while a rebuild runs) tells them to retry if a rebuild overlapped
 * their probe. */
#define VA_HANDLE_CAPACITY (VA_HANDLE_SLOTS / 2)
#define TOMBSTONE ((uintptr_t)1)

_Atomic uintptr_t va_handle_slots[VA_HANDLE_SLOTS];
_Atomic unsigned va_handle_rebuild_seq;
#define slots va_handle_slots
#define rebuild_seq va_handle_rebuild_seq
static pthread_mutex_t writer_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned live_count, tombstone_count;

#define slot_of va_handle_slot_of

static ptrdiff_t probe(uintptr_t p)
{
    size_t i = slot_of(p);
    for (size_t n = 0; n < VA_HANDLE_SLOTS; n++, i = (i + 1) & (VA_HANDLE_SLOTS - 1)) {
        uintptr_t v = atomic_load_explicit(&slots[i], memory_order_acquire);
        if (v == p)
            return (ptrdiff_t)i;
        if (v == 0)
            return -1;
    }
    return -1;
}

static void insert_slot(uintptr_t p)
{
    size_t i = slot_of(p);
    for (;;) {
        uintptr_t v = atomic_load_explicit(&slots[i], memory_order_relaxed);
        if (v == 0 || v == TOMBSTONE) {
            if (v == TOMBSTONE)
                tombstone_count--;
            atomic_store_explicit(&slots[i], p, memory_order_release);
            return;
        }
        i = (i + 1) & (VA_HANDLE_SLOTS - 1);
    }
}

/* Called with writer_lock held, when tombstones would lengthen probes. */
static void rebuild(void)
{
    static uintptr_t keep[VA_HANDLE_CAPACITY];
    unsigned n = 0;
    atomic_fetch_add_explicit(&rebuild_seq, 1, memory_order_acq_rel);
    for (size_t i = 0; i < VA_HANDLE_SLOTS; i++) {
        uintptr_t v = atomic_load_explicit(&slots[i], memory_order_relaxed);
        if (v > TOMBSTONE)
            keep[n++] = v;
        atomic_store_explicit(&slots[i], 0, memory_order_relaxed);
    }
    tombstone_count = 0;
    for (unsigned k = 0; k < n; k++)
        insert_slot(keep[k]);
    atomic_fetch_add_explicit(&rebuild_seq, 1, memory_order_acq_rel);
}

static uint32_t tag_of(const void *h)
{
    return __atomic_load_n(&((const va_handle *)h)->kind, __ATOMIC_ACQUIRE);
}

int va_handle_register(va_handle *h, va_handle_kind kind)
{
    pthread_mutex_lock(&writer_lock);
    if (live_count >= VA_HANDLE_CAPACITY) {
        pthread_mutex_unlock(&writer_lock);
        return va_fail(VMACCEL_ENOMEM, "too many live vmaccel handles (%u)",
                       VA_HANDLE_CAPACITY);
    }
    if (live_count + tombstone_count >= VA_HANDLE_SLOTS * 3 / 4)
        rebuild();
    __atomic_store_n(&h->kind, (uint32_t)kind, __ATOMIC_RELEASE);
    insert_slot((uintptr_t)h);
    live_count++;
    pthread_mutex_unlock(&writer_lock);
    return 0;
}

bool va_handle_unregister(const void *h, va_handle_kind kind)
{
    bool removed = false;
    pthread_mutex_lock(&writer_lock);
    ptrdiff_t i = h ? probe((uintptr_t)h) : -1;
    if (i >= 0 && tag_of(h) == (uint32_t)kind) {
        __atomic_store_n(&((va_handle *)h)->kind, 0, __ATOMIC_RELEASE);
        atomic_store_explicit(&slots[i], TOMBSTONE, memory_order_release);
        live_count--;
        tombstone_count++;
        removed = true;
    }
    pthread_mutex_unlock(&writer_lock);
    return removed;
}

bool va_handle_is_live(const void *h, va_handle_kind kind)
{
    if (!h)
        return false;
    for (;;) {
        unsigned before = atomic_load_explicit(&rebuild_seq, memory_order_acquire);
        if (before & 1)
            continue; /* a rebuild is running: its window is microseconds */
        ptrdiff_t i = probe((uintptr_t)h);
        unsigned after = atomic_load_explicit(&rebuild_seq, memory_order_acquire);
        if (before == after)
            return i >= 0 && tag_of(h) == (uint32_t)kind;
    }
}

int va_handle_check(const void *h, va_handle_kind kind, const char *what)
{
    if (va_handle_is_live(h, kind))
        return 0;
    if (!h)
        return va_fail(VMACCEL_EINVAL, "%s handle is NULL", what);
    return va_fail(VMACCEL_EINVAL, "%s handle %p is freed or not a %s", what,
                   h, what);
}
