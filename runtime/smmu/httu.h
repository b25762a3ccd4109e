/*
 * Internal: hardware translation table updates (HTTU, IHI 0070 3.13; the
 * Armv8-A hardware Access flag and dirty state rules).
 *
 * With HA, a leaf with AF == 0 is used and AF is set in guest memory
 * instead of an Access fault. With HD, a write that only the leaf's own
 * write protection forbids (stage 1 AP[2] == 1, stage 2 S2AP[1] == 0) on a
 * leaf with DBM == 1 (writable-clean) makes it writable-dirty in memory
 * (AP[2] cleared, S2AP[1] set) and proceeds. Updates are compare-and-swap
 * against the value the walk read: if the guest changed the descriptor in
 * between, the walk is done again with the new value.
 */
#ifndef VA_SMMU_HTTU_H
#define VA_SMMU_HTTU_H

#include "smmu/cfg.h"
#include "smmu/walk.h"

#include <stdint.h>

struct vmaccel_smmu;

/* Walks that lose the race for a descriptor this many times in a row give
 * up with F_WALK_EABT: a guest rewriting a descriptor without end must not
 * hang the model. */
#define VA_HTTU_MAX_TRIES 64

/* The stage-1 leaf an access leaves behind, and the permissions (rwx
 * privileged in bits 0-2, unprivileged in 3-5) it grants once updated.
 * Returns r->desc itself when nothing is to change. A dirty update happens
 * only when it makes the access allowed. */
uint64_t va_httu_s1_leaf(const va_walk_res *r, const va_s1cfg *c, int range,
                         unsigned access, unsigned *perms);

/* The same for a stage-2 leaf; `cls` is the fault CLASS of the access
 * (dirty updates never come from a CD fetch). */
uint64_t va_httu_s2_leaf(uint64_t desc, const va_s2cfg *c, unsigned need,
                         unsigned cls, unsigned *perms);

/* Compares-and-swaps the descriptor at physical address `pa`: 0 when it
 * stored, 1 when memory held another value (now in *expected), -1 for an
 * external abort. Uses the memory's cas callback, else a read, compare and
 * write under the model's lock. */
int va_mem_cas64(struct vmaccel_smmu *s, uint64_t pa, uint64_t *expected,
                 uint64_t desired);

#endif
