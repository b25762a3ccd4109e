/*
 * Internal: one AArch64 VMSAv8-64 translation table walk (stage 1 or
 * stage 2, 4K/16K/64K granules). The walker reads descriptors through a
 * fetch callback, so that a nested stage-1 walk can translate each table
 * address through stage 2 first. At most four lookups; every descriptor
 * value is taken as hostile.
 */
#ifndef VA_SMMU_WALK_H
#define VA_SMMU_WALK_H

#include "smmu/wcache.h"
#include "vmaccel/smmu.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct va_walk_req {
    uint64_t ttb;       /* start table address (an IPA in nested stage 1) */
    uint64_t ia;        /* input address, already range-checked */
    uint8_t ias, gshift, start, oas;
    uint8_t stage;      /* 1 or 2 */
    bool had;           /* stage 1: hierarchical attributes disabled */
    bool affd;          /* access flag faults disabled */
    bool ha;            /* hardware Access flag update: AF == 0 is no fault
                         * (the caller sets AF, see httu.c) */
    const va_wc_ref *wc; /* walk cache, or NULL */
} va_walk_req;

typedef struct va_walk_res {
    uint64_t oa;        /* output address of ia */
    uint8_t shift;      /* page or block size */
    uint8_t level;
    uint64_t desc;      /* the leaf descriptor */
    uint64_t desc_addr; /* where it was read (an IPA in nested stage 1) */
    unsigned aptable, pxntable, uxntable; /* stage 1 table attributes */
} va_walk_res;

/* Reads the 8-byte descriptor at `addr` (for lookup `level`). Returns 0,
 * or fills `f` and returns VMACCEL_EFAULT. */
typedef int (*va_fetch_fn)(void *ctx, uint64_t addr, int level, uint64_t *desc,
                           vmaccel_smmu_fault *f);

/* Returns 0 (res filled) or VMACCEL_EFAULT (f filled: event, stage, level). */
int va_walk(const va_walk_req *rq, va_fetch_fn fetch, void *ctx,
            va_walk_res *res, vmaccel_smmu_fault *f);

/* Stage-1 permissions of a leaf: rwx at the privileged level in bits 0-2,
 * unprivileged in bits 3-5. */
unsigned va_s1_perms(const va_walk_res *r, bool single_priv, bool wxn, bool pan,
                     bool had);
/* Stage-2 permissions (same layout; stage 2 does not tell the two apart). */
unsigned va_s2_perms(uint64_t desc);

void va_fault_set(vmaccel_smmu_fault *f, unsigned event, unsigned stage,
                  int level);

#endif
