/* The IOTLB: storage, generations, CLOCK replacement, invalidation. */
#include "smmu/iotlb.h"

#include "core/aligned.h"

#include <stdlib.h>
#include <string.h>

#define RLX memory_order_relaxed

int va_iotlb_init(va_iotlb *t, uint32_t cap)
{
    memset(t, 0, sizeof *t);
    t->cap = cap;
    t->bbits = 1;
    while ((1u << t->bbits) < 2 * cap)
        t->bbits++;
    t->e = va_aligned_alloc(64, (size_t)cap * sizeof *t->e);
    if (t->e)
        memset(t->e, 0, (size_t)cap * sizeof *t->e);
    t->bucket = malloc(sizeof *t->bucket << t->bbits);
    if (!t->e || !t->bucket) {
        va_iotlb_fini(t);
        return -1;
    }
    for (uint32_t i = 0; i < (1u << t->bbits); i++)
        atomic_init(&t->bucket[i], VA_NIL);
    for (uint32_t i = 0; i < cap; i++)
        t->e[i].rnext = i + 1 < cap ? i + 1 : VA_NIL;
    t->free_head = 0;
    t->ghand = VA_NIL;
    t->adaptive = true;
    /* The utility monitor samples 1 in 2^k accesses so that its shadow
     * stack (one position per 2^k entries) stays within VA_UMON_MAX. */
    while ((cap >> t->umon_shift) > VA_UMON_MAX)
        t->umon_shift++;
    t->umon_len = cap >> t->umon_shift;
    if (!t->umon_len)
        t->umon_len = 1;
    t->interval = cap / 2 ? cap / 2 : 1;
    return 0;
}

void va_iotlb_fini(va_iotlb *t)
{
    va_aligned_free(t->e);
    free((void *)t->bucket);
    for (uint32_t i = 0; t->part && i < t->nparts; i++)
        free(t->part[i].umon);
    free(t->part);
    t->e = NULL;
    t->bucket = NULL;
    t->part = NULL;
}

int va_iotlb_add_part(va_iotlb *t, uint32_t idx)
{
    if (idx < t->nparts)
        return 0;
    if (idx >= t->parts_cap) {
        uint32_t n = t->parts_cap ? t->parts_cap * 2 : 16;
        while (n <= idx)
            n *= 2;
        va_part *p = realloc(t->part, n * sizeof *p);
        if (!p)
            return -1;
        t->part = p;
        t->parts_cap = n;
    }
    for (uint32_t i = t->nparts; i <= idx; i++) {
        memset(&t->part[i], 0, sizeof t->part[i]);
        t->part[i].hand = VA_NIL;
        /* Monitors are bounded: a guest naming every StreamID must not
         * cost 2 KiB of monitor each. */
        if (i < VA_UMON_STREAMS && !(t->part[i].umon = calloc(1, sizeof(va_umon)))) {
            t->nparts = i;
            return -1;
        }
    }
    t->nparts = idx + 1;
    /* Equal shares until the monitors have something to say. */
    for (uint32_t i = 0; i < t->nparts; i++)
        t->part[i].quota = t->cap / t->nparts;
    return 0;
}

static uint32_t slot_claim(va_gslot *slots, uint32_t n, uint64_t key)
{
    uint64_t h = (key + 1) * 0x9e3779b97f4a7c15ull;
    uint32_t i = (uint32_t)(h >> 40) & (n - 1);
    if (atomic_load_explicit(&slots[i].key, RLX) != key + 1) {
        atomic_store_explicit(&slots[i].key, key + 1, RLX);
        atomic_fetch_add_explicit(&slots[i].gen, 1, RLX);
    }
    return i;
}

static int slot_find(va_gslot *slots, uint32_t n, uint64_t key)
{
    uint64_t h = (key + 1) * 0x9e3779b97f4a7c15ull;
    uint32_t i = (uint32_t)(h >> 40) & (n - 1);
    return atomic_load_explicit(&slots[i].key, RLX) == key + 1 ? (int)i : -1;
}

uint32_t va_iotlb_space_slot(va_iotlb *t, uint64_t key)
{
    return slot_claim(t->space, VA_SPACE_SLOTS, key);
}

uint32_t va_iotlb_vmid_slot(va_iotlb *t, uint32_t vmid_tag)
{
    return slot_claim(t->vmid, VA_VMID_SLOTS, vmid_tag);
}

void va_iotlb_inval_all(va_iotlb *t)
{
    atomic_fetch_add_explicit(&t->global_gen, 1, RLX);
}

void va_iotlb_inval_vmid(va_iotlb *t, uint32_t vmid_tag)
{
    int i = slot_find(t->vmid, VA_VMID_SLOTS, vmid_tag);
    if (i >= 0)
        atomic_fetch_add_explicit(&t->vmid[i].gen, 1, RLX);
}

void va_iotlb_inval_space(va_iotlb *t, uint64_t key)
{
    int i = slot_find(t->space, VA_SPACE_SLOTS, key);
    if (i >= 0)
        atomic_fetch_add_explicit(&t->space[i].gen, 1, RLX);
}

static bool dead(const va_iotlb *t, const va_tlbe *e)
{
    return atomic_load_explicit(&e->gen, RLX) != va_iotlb_gen(t, e->sslot, e->vslot);
}

static uint32_t *ring_of(va_iotlb *t, uint32_t owner)
{
    return t->adaptive ? &t->part[owner].hand : &t->ghand;
}

static void ring_add(va_iotlb *t, uint32_t *hand, uint32_t i)
{
    va_tlbe *e = &t->e[i];
    if (*hand == VA_NIL) {
        e->rnext = e->rprev = i;
        *hand = i;
        return;
    }
    /* Just behind the hand: the newest entry is the last one swept. */
    va_tlbe *h = &t->e[*hand];
    e->rnext = *hand;
    e->rprev = h->rprev;
    t->e[h->rprev].rnext = i;
    h->rprev = i;
}

static void ring_del(va_iotlb *t, uint32_t *hand, uint32_t i)
{
    va_tlbe *e = &t->e[i];
    if (e->rnext == i) {
        *hand = VA_NIL;
        return;
    }
    t->e[e->rprev].rnext = e->rnext;
    t->e[e->rnext].rprev = e->rprev;
    if (*hand == i)
        *hand = e->rnext;
}

static void hash_del(va_iotlb *t, uint32_t i)
{
    va_tlbe *e = &t->e[i];
    uint64_t h = va_iotlb_hash(atomic_load_explicit(&e->tag, RLX),
                               atomic_load_explicit(&e->page, RLX)) >> (64 - t->bbits);
    _Atomic uint32_t *link = &t->bucket[h];
    for (uint32_t n = 0; n <= t->cap; n++) {
        uint32_t j = atomic_load_explicit(link, RLX);
        if (j == VA_NIL)
            return;
        if (j == i) {
            atomic_store_explicit(link, atomic_load_explicit(&e->next, RLX), RLX);
            return;
        }
        link = &t->e[j].next;
    }
}

/* Unlinks a live entry and puts it on the free list. */
static void remove_entry(va_iotlb *t, uint32_t i)
{
    va_tlbe *e = &t->e[i];
    hash_del(t, i);
    ring_del(t, ring_of(t, e->owner), i);
    if (e->owner < t->nparts)
        t->part[e->owner].used--;
    atomic_store_explicit(&e->tag, 0, RLX);
    e->rnext = t->free_head;
    t->free_head = i;
}

static uint32_t clock_sweep(va_iotlb *t, uint32_t *hand)
{
    uint32_t i = *hand;
    for (uint32_t n = 0; n < 2 * t->cap + 1; n++) {
        va_tlbe *e = &t->e[i];
        if (dead(t, e) || !atomic_load_explicit(&e->ref, RLX))
            return i;
        atomic_store_explicit(&e->ref, 0, RLX);
        i = e->rnext;
    }
    return i;
}

/* Under partitioning the victim comes from the inserting stream when it is
 * at its quota, else from the stream furthest over its quota. */
static uint32_t *victim_ring(va_iotlb *t, uint32_t owner)
{
    if (!t->adaptive)
        return &t->ghand;
    va_part *p = &t->part[owner];
    if (p->used && p->used >= p->quota)
        return &p->hand;
    uint32_t best = VA_NIL, most = VA_NIL;
    int64_t over = 0;
    uint32_t biggest = 0;
    for (uint32_t i = 0; i < t->nparts; i++) {
        va_part *q = &t->part[i];
        int64_t d = (int64_t)q->used - (int64_t)q->quota;
        if (q->used && d > over) {
            over = d;
            best = i;
        }
        if (q->used > biggest) {
            biggest = q->used;
            most = i;
        }
    }
    if (best != VA_NIL)
        return &t->part[best].hand;
    return p->used ? &p->hand : &t->part[most].hand;
}

void va_iotlb_insert(va_iotlb *t, uint32_t owner, uint64_t tag, uint64_t page,
                     uint64_t out, uint32_t sslot, uint32_t vslot)
{
    uint32_t i = t->free_head;
    if (i == VA_NIL) {
        uint32_t *hand = victim_ring(t, owner);
        if (*hand == VA_NIL)
            return; /* cannot happen with a full table; be safe */
        i = clock_sweep(t, hand);
        remove_entry(t, i);
        i = t->free_head;
    }
    va_tlbe *e = &t->e[i];
    t->free_head = e->rnext;
    e->owner = owner;
    e->sslot = (uint16_t)sslot;
    e->vslot = (uint16_t)vslot;
    atomic_store_explicit(&e->tag, tag, RLX);
    atomic_store_explicit(&e->page, page, RLX);
    atomic_store_explicit(&e->out, out, RLX);
    atomic_store_explicit(&e->gen, va_iotlb_gen(t, sslot, vslot), RLX);
    atomic_store_explicit(&e->ref, 0, RLX);
    uint64_t h = va_iotlb_hash(tag, page) >> (64 - t->bbits);
    atomic_store_explicit(&e->next, atomic_load_explicit(&t->bucket[h], RLX), RLX);
    atomic_store_explicit(&t->bucket[h], i, RLX);
    ring_add(t, ring_of(t, owner), i);
    if (owner < t->nparts)
        t->part[owner].used++;
}

void va_iotlb_inval_match(va_iotlb *t, va_iotlb_match_fn match, void *ctx)
{
    for (uint32_t i = 0; i < t->cap; i++) {
        va_tlbe *e = &t->e[i];
        uint64_t tag = atomic_load_explicit(&e->tag, RLX);
        if (tag && !dead(t, e) && match(e, tag, ctx))
            remove_entry(t, i);
    }
}

void va_iotlb_drop_owner(va_iotlb *t, uint32_t owner)
{
    if (t->adaptive && owner < t->nparts) {
        va_part *p = &t->part[owner];
        for (uint32_t n = 0; p->hand != VA_NIL && n <= t->cap; n++)
            remove_entry(t, p->hand);
        return;
    }
    for (uint32_t i = 0; i < t->cap; i++)
        if (atomic_load_explicit(&t->e[i].tag, RLX) && t->e[i].owner == owner)
            remove_entry(t, i);
}

static void flush(va_iotlb *t)
{
    for (uint32_t i = 0; i < t->cap; i++)
        if (atomic_load_explicit(&t->e[i].tag, RLX))
            remove_entry(t, i);
}

void va_iotlb_set_adaptive(va_iotlb *t, bool adaptive, uint32_t interval)
{
    flush(t);
    t->adaptive = adaptive;
    t->interval = interval ? interval : (t->cap / 2 ? t->cap / 2 : 1);
    t->since = 0;
    for (uint32_t i = 0; i < t->nparts; i++) {
        if (t->part[i].umon)
            memset(t->part[i].umon, 0, sizeof *t->part[i].umon);
        t->part[i].quota = t->cap / t->nparts;
    }
}
