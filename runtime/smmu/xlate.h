/*
 * Internal: translating one address with a resolved context (va_xcfg):
 * stage 1, stage 2 or nested, with the permission checks and the fault
 * priorities of the spec (stage-1 faults, including stage-1 permission,
 * before the stage-2 translation of the output address).
 */
#ifndef VA_SMMU_XLATE_H
#define VA_SMMU_XLATE_H

#include "smmu/cfg.h"
#include "vmaccel/smmu.h"

#include <stdint.h>

struct vmaccel_smmu;

typedef struct va_xout {
    uint64_t pa;
    uint8_t shift;      /* the smaller of the stage-1 and stage-2 sizes */
    unsigned perms;     /* rwx privileged (bits 0-2), unprivileged (3-5) */
    bool global;        /* stage-1 nG == 0 */
    unsigned walks;     /* table walks performed */
} va_xout;

/* Guest memory read of an 8-byte little-endian value; 0 or -1 (abort). */
int va_mem_read64(struct vmaccel_smmu *s, uint64_t addr, uint64_t *v);
/* Reads n little-endian dwords. */
int va_mem_read_dwords(struct vmaccel_smmu *s, uint64_t addr, uint64_t *d,
                       unsigned n);
/* Writes n dwords little-endian. */
int va_mem_write_dwords(struct vmaccel_smmu *s, uint64_t addr,
                        const uint64_t *d, unsigned n);

/* In `need` of va_s2_xlate: report the permissions instead of faulting. */
#define VA_XLATE_PROBE 0x100u

/* Stage 2 of one IPA for `need` (rwx bits, VA_XLATE_PROBE); fault CLASS `cls`. `vslot`:
 * the VMID's IOTLB generation slot to use the walk cache with, or VA_NIL. */
int va_s2_xlate(struct vmaccel_smmu *s, const va_s2cfg *c, uint64_t ipa,
                unsigned need, unsigned cls, uint32_t vslot, uint64_t *pa,
                uint8_t *shift, unsigned *perms, vmaccel_smmu_fault *f);

/* Translates iova with context x for `access` (VMACCEL_SMMU_* flags).
 * `slots` (space slot | VMID slot << 16, or VA_NIL) enables the walk
 * cache. Returns 0 or VMACCEL_EFAULT with f filled (input_addr too).
 * With `probe` (ATS Translation Requests), permissions do not fault: o->perms
 * tells what the stages grant, and a stage that grants none of `access`
 * ends the translation (13.7.1: its output is not translated further). */
int va_xlate(struct vmaccel_smmu *s, const va_xcfg *x, uint64_t iova,
             unsigned access, uint32_t slots, bool probe, va_xout *o,
             vmaccel_smmu_fault *f);

/* rwx bits an access needs. */
static inline unsigned va_need(unsigned access)
{
    return access & 7u;
}

#endif
