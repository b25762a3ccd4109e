/*
 * Internal: the planning inputs pin.c gathers for a VM, shared with the
 * re-plan after a topology change (replan.c).
 */
#ifndef VA_AFFINITY_PIN_INTERNAL_H
#define VA_AFFINITY_PIN_INTERNAL_H

#include "vmm/vm_internal.h"

/* Adds to base[logical PU] the vCPUs of the manager's other VMs that
 * vmaccel pinned. Takes the manager's lock and the other VMs' locks:
 * call without vm->lock. */
void va_pin_other_loads(vmaccel_vm *vm, unsigned *base);

/* reserved[logical PU] = the CPU is in `list` (a cpulist, may be NULL),
 * the VMM's cpuset forbids it, or it is not usable now (offline or
 * outside vmaccel's own cpuset: va_platform_usable_cpus). */
int va_pin_reserved_pus(vmaccel_vm *vm, const char *list, bool *reserved);

#endif
