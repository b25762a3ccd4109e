/*
 * Internal: the IOTLB. Entries are keyed by (space, page size, input page),
 * where a space is one (VMID, ASID) pair. Validity is a generation check:
 * an entry is live while its stored generation equals the sum of its
 * space's, its VMID's and the global generation, so invalidating all, one
 * VMID or one ASID is one increment. Storage is bounded (capacity entries);
 * replacement is CLOCK, per stream under adaptive partitioning (quotas from
 * utility monitors, see upart.c) or over one global ring.
 *
 * Lookups (va_iotlb_find) read atomics only and are safe against a
 * concurrent writer when the caller validates with the model's seqlock;
 * everything else needs the model's lock.
 */
#ifndef VA_SMMU_IOTLB_H
#define VA_SMMU_IOTLB_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#define VA_NIL 0xffffffffu
#define VA_SPACE_SLOTS 4096u
#define VA_VMID_SLOTS 1024u
#define VA_UMON_MAX 128u
#define VA_UMON_STREAMS 64u /* beyond this many streams: equal shares */

/* Permission bits kept in the low bits of an entry's output word. */
#define VA_PERM_PRIV_SHIFT 0   /* rwx at the privileged level */
#define VA_PERM_USER_SHIFT 3   /* rwx unprivileged */
#define VA_PERM_GLOBAL (1u << 6)
#define VA_ENTRY_NESTED (1u << 7) /* stage 1 and stage 2: IPA not kept */
#define VA_ENTRY_SAMPLED (1u << 8) /* its key feeds the utility monitor */
#define VA_OUT_META_MASK 0xfffull

typedef struct va_tlbe {
    /* One cache line per entry: the hit path touches one line. */
    _Alignas(64) _Atomic uint64_t tag; /* space key << 8 | size shift; 0: free */
    _Atomic uint64_t page;   /* input address >> shift */
    _Atomic uint64_t out;    /* output base | permission bits */
    _Atomic uint64_t gen;
    _Atomic uint32_t next;   /* hash chain */
    _Atomic uint8_t ref;     /* CLOCK reference bit, set by hits */
    /* below: only under the lock */
    uint32_t owner;          /* stream index */
    uint32_t rnext, rprev;   /* replacement ring (or free list) */
    uint16_t sslot, vslot;
} va_tlbe;

/* A generation slot: a space (VMID, ASID) or a VMID. key+1, 0: unused. */
typedef struct va_gslot {
    _Atomic uint64_t key;
    _Atomic uint64_t gen;
} va_gslot;

/* Utility monitor of one stream: a sampled shadow LRU stack. */
typedef struct va_umon {
    uint64_t sh[VA_UMON_MAX];
    uint32_t n;
    uint64_t hist[VA_UMON_MAX]; /* hits at each stack position */
    uint64_t samples;
} va_umon;

typedef struct va_part {
    uint32_t hand;           /* CLOCK hand into its ring, VA_NIL if empty */
    uint32_t used, quota;
    uint32_t reported;       /* quota in the last IOTLB_REPARTITIONED event */
    va_umon *umon;           /* the first VA_UMON_STREAMS streams only */
} va_part;

typedef struct va_iotlb {
    uint32_t cap;
    va_tlbe *e;
    _Atomic uint32_t *bucket;
    uint32_t bbits;
    uint32_t free_head;
    va_gslot space[VA_SPACE_SLOTS];
    va_gslot vmid[VA_VMID_SLOTS];
    _Atomic uint64_t global_gen;
    bool adaptive;
    uint32_t ghand;          /* global ring when not adaptive */
    va_part *part;           /* per stream index */
    uint32_t nparts, parts_cap;
    uint32_t umon_shift;     /* sample 1 in 2^umon_shift accesses */
    uint32_t umon_len;       /* shadow stack length */
    uint32_t interval, since;
    uint64_t sizes_all;      /* every size ever inserted */
    uint64_t repartitions;
} va_iotlb;

int va_iotlb_init(va_iotlb *t, uint32_t cap);
void va_iotlb_fini(va_iotlb *t);

/* Grows the partition array to hold stream index `idx`. */
int va_iotlb_add_part(va_iotlb *t, uint32_t idx);

static inline uint64_t va_iotlb_hash(uint64_t tag, uint64_t page)
{
    uint64_t x = (tag * 0x9e3779b97f4a7c15ull) ^ (page * 0xc2b2ae3d27d4eb4full);
    return x ^ (x >> 29);
}

static inline uint64_t va_iotlb_gen(const va_iotlb *t, uint32_t sslot,
                                    uint32_t vslot)
{
    return atomic_load_explicit(&t->space[sslot].gen, memory_order_relaxed) +
           atomic_load_explicit(&t->vmid[vslot].gen, memory_order_relaxed) +
           atomic_load_explicit(&t->global_gen, memory_order_relaxed);
}

/* Lock-free lookup; NULL on a miss. *hash gets the key's hash. */
static inline __attribute__((always_inline)) va_tlbe *
va_iotlb_find(va_iotlb *t, uint64_t tag, uint64_t page, uint64_t gen, uint64_t *hash)
{
    *hash = va_iotlb_hash(tag, page);
    uint64_t h = *hash >> (64 - t->bbits);
    uint32_t i = atomic_load_explicit(&t->bucket[h], memory_order_relaxed);
    for (uint32_t n = 0; i < t->cap && n < t->cap; n++) {
        va_tlbe *e = &t->e[i];
        if (atomic_load_explicit(&e->tag, memory_order_relaxed) == tag &&
            atomic_load_explicit(&e->page, memory_order_relaxed) == page &&
            atomic_load_explicit(&e->gen, memory_order_relaxed) == gen)
            return e;
        i = atomic_load_explicit(&e->next, memory_order_relaxed);
    }
    return NULL;
}

/* Space and VMID slots: found or claimed (claiming bumps the slot's
 * generation, which kills the previous owner's entries). */
uint32_t va_iotlb_space_slot(va_iotlb *t, uint64_t key);
uint32_t va_iotlb_vmid_slot(va_iotlb *t, uint32_t vmid_tag);

/* Inserts an entry for stream `owner`; evicts by CLOCK within the quota
 * rules. */
void va_iotlb_insert(va_iotlb *t, uint32_t owner, uint64_t tag, uint64_t page,
                     uint64_t out, uint32_t sslot, uint32_t vslot);

/* O(1) invalidations. */
void va_iotlb_inval_all(va_iotlb *t);
void va_iotlb_inval_vmid(va_iotlb *t, uint32_t vmid_tag);
void va_iotlb_inval_space(va_iotlb *t, uint64_t key);

/* Removes entries for which match(entry) is true; O(capacity). */
typedef bool (*va_iotlb_match_fn)(const va_tlbe *e, uint64_t tag, void *ctx);
void va_iotlb_inval_match(va_iotlb *t, va_iotlb_match_fn match, void *ctx);

/* Drops every entry owned by stream `owner`. */
void va_iotlb_drop_owner(va_iotlb *t, uint32_t owner);

/* Records an access for the utility monitor of `owner` (sampled). */
void va_iotlb_umon_access(va_iotlb *t, uint32_t owner, uint64_t hash);
static inline bool va_iotlb_sampled(const va_iotlb *t, uint64_t hash)
{
    return ((hash >> 40) & ((1ull << t->umon_shift) - 1)) == 0;
}

/* Recomputes quotas from the utility monitors (upart.c). */
void va_iotlb_repartition(va_iotlb *t);

/* Switches between adaptive partitioning and one global ring; flushes. */
void va_iotlb_set_adaptive(va_iotlb *t, bool adaptive, uint32_t interval);

#endif
