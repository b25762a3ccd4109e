/* Internal: the VM and placement sections of the diagnostic report. */
#ifndef VA_VMM_VM_REPORT_H
#define VA_VMM_VM_REPORT_H

#include "core/manager_internal.h"
#include "report/arena.h"
#include "vmaccel.pb-c.h"

/* Fills r->vms (every attached VM: vCPU threads with where they last ran
 * and their live affinity, guest RAM regions) and r->placements (the last
 * plan of each VM that was pinned or dry-run). Call with m->lock held; takes
 * each VM's lock. Returns 0 or VMACCEL_ENOMEM (arena exhausted). */
int va_vm_report_fill(vmaccel_manager *m, Vmaccel__V1__DiagnosticReport *r, va_arena *a);

#endif
