/*
 * Internal: the SMMU circular queues' index arithmetic (IHI 0070 3.5.1),
 * shared by the command, event and PRI queues. A queue of 2^log2 entries
 * has indexes of log2 bits plus a wrap bit above them; it is empty when
 * PROD == CONS and full when they differ in the wrap bit only.
 */
#ifndef VA_SMMU_QUEUE_H
#define VA_SMMU_QUEUE_H

#include "smmu/smmu_spec.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct va_queue {
    uint64_t base;       /* address of entry 0 */
    unsigned log2;       /* LOG2SIZE, capped at the implemented maximum */
    uint32_t wrapmask;   /* index and wrap bit */
    uint32_t idxmask;    /* index bits */
} va_queue;

/* The geometry of a queue from its *_BASE register. */
static inline va_queue va_queue_of(uint64_t base_reg, unsigned max_log2)
{
    unsigned log2 = (unsigned)Q_BASE_LOG2SIZE(base_reg);
    if (log2 > max_log2)
        log2 = max_log2;
    return (va_queue){base_reg & Q_BASE_ADDR, log2, (2u << log2) - 1, (1u << log2) - 1};
}

static inline bool va_queue_full(const va_queue *q, uint32_t prod, uint32_t cons)
{
    return ((prod ^ cons) & q->wrapmask) == (1u << q->log2);
}

static inline bool va_queue_empty(const va_queue *q, uint32_t prod, uint32_t cons)
{
    return ((prod ^ cons) & q->wrapmask) == 0;
}

/* Address of the entry an index (with its wrap bit) names. */
static inline uint64_t va_queue_slot(const va_queue *q, uint32_t idx, unsigned bytes)
{
    return q->base + (uint64_t)(idx & q->idxmask) * bytes;
}

/* PROD advanced by one, keeping its flag bits above the index. */
static inline uint32_t va_queue_next(const va_queue *q, uint32_t prod)
{
    return (prod & ~q->wrapmask) | ((prod + 1) & q->wrapmask);
}

#endif
