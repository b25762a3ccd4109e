/*
 * Internal: a VM's state (vCPU threads, guest RAM, saved originals) and the
 * functions the rest of the runtime uses on VMs.
 *
 * Locking: the manager's `lock` guards the manager's VM list (m->vms and
 * vm->next). Each VM's `lock` guards its vCPU and memory state. Order:
 * manager lock before any VM lock; never a VM lock while taking the
 * manager's. OS calls are made with the VM's lock held (they are short).
 */
#ifndef VA_VMM_VM_INTERNAL_H
#define VA_VMM_VM_INTERNAL_H

#include "core/handle.h"
#include "core/manager_internal.h"
#include "core/printf_attr.h"
#include "platform/platform.h"
#include "vmaccel/affinity.h"
#include "vmaccel/events.h"
#include "vmaccel/vm.h"

#include <pthread.h>
#include <stdbool.h>

#define VA_VM_MAX_VCPUS 4096
#define VA_VM_MAX_REGIONS 64

typedef struct va_saved {
    bool valid;                 /* originals read before the first change */
    va_cpumask affinity;
    int nice;
    int policy, priority;
    /* What a restore gives back: what vmaccel changed since, or is about to
     * change (vmaccel_vm_affinity_state_capture records the intent before
     * the pin, so that a state saved first already covers it). */
    bool affinity_changed;
    bool nice_changed;
    bool sched_changed;
} va_saved;

typedef struct va_vcpu {
    unsigned index;
    int tid;
    unsigned long long start;   /* thread start time (stat field 22) */
    char name[16];
    bool gone;
    int planned_cpu;            /* -1 none */
    unsigned planned_node;
    int result;
    bool pinned;
    va_saved saved;             /* originals before vmaccel's first change */
} va_vcpu;

typedef struct va_region {
    uint64_t start, length;
    char name[128];
} va_region;

/* A guest NUMA node: its vCPUs (by index) and the guest RAM ranges they
 * touch. The NUMA engine places each as one NUMA client. */
#define VA_VM_MAX_CELLS 64
typedef struct va_cell {
    unsigned *vcpus;
    size_t nvcpus;
    uint64_t (*ranges)[2];       /* start, length */
    size_t nranges;
} va_cell;

struct vmaccel_vm {
    va_handle handle;
    vmaccel_manager *m;
    struct vmaccel_vm *next;     /* manager's list, under m->lock */
    pthread_mutex_t lock;
    uint64_t id;
    int pid;
    int pidfd;                   /* -1 for in-process VMs */
    unsigned long long start;    /* process start time */
    bool in_process;
    bool gone;
    vmaccel_vmm_kind vmm;
    char name[64];
    const va_platform *plat;
    va_vcpu *vcpus;
    size_t nvcpus;
    va_region regions[VA_VM_MAX_REGIONS];
    size_t nregions;
    double plan_score;           /* of the last pin / dry run */
    vmaccel_strategy plan_strategy;
    struct va_numa_vm *numa;     /* the NUMA engine's state (engine lock) */
    va_cell *cells;              /* guest NUMA nodes, or none (ncells 0) */
    size_t ncells;
    char cells_source[64];       /* where they came from ("QEMU -numa", "API") */
};

/* Valid VM or VMACCEL_EINVAL. */
int va_vm_check(const vmaccel_vm *vm);

/* The platform a manager acts through. */
const va_platform *va_manager_platform(const vmaccel_manager *m);

/* Detaches every VM of the manager (vmaccel_manager_free calls it). */
void va_vm_detach_all(vmaccel_manager *m);

/* The guard, called with vm->lock held before any action: 0 if the VMM
 * is still the attached process; otherwise marks the VM gone (with an
 * event) and returns VMACCEL_EGONE. */
int va_vm_guard(vmaccel_vm *vm);

/* Per-thread guard: 0 if vCPU v's tid still names the thread discovered
 * (same start time); otherwise marks it gone, VMACCEL_EGONE. */
int va_vcpu_guard(vmaccel_vm *vm, va_vcpu *v);

/* Emits a VM event (message formatted); never fails the caller. Takes no
 * manager or VM lock. */
void va_vm_emit(vmaccel_vm *vm, vmaccel_event_type type, const char *fmt, ...)
    VA_PRINTF(3, 4);

/* Marks the VM gone and emits VMACCEL_EVENT_VM_GONE once. */
void va_vm_mark_gone(vmaccel_vm *vm, const char *why);

/* Fills vm->regions from /proc/PID/maps (see vmaccel/vm.h for the rule). */
int va_vm_find_memory(vmaccel_vm *vm);

/* The guest NUMA nodes of a QEMU (or anything with its -numa/-object
 * command line): fills vm->cells and makes their backends vm->regions.
 * 0 also when it has none; an error when a layout is there but cannot be
 * matched (vm->cells stays empty, the message says why). VM lock held or
 * not yet published. */
int va_vm_find_cells(vmaccel_vm *vm);
void va_vm_free_cells(vmaccel_vm *vm);

/* Fills vm->vcpus from the process's thread names, or from explicit tids. */
int va_vm_find_vcpus(vmaccel_vm *vm);
int va_vm_take_vcpus(vmaccel_vm *vm, const int *tids, size_t n);

/* Sums, per logical NUMA node of the manager's topology, the guest RAM
 * bytes resident there (from /proc/PID/numa_maps). Returns false when
 * unknown (no regions, unreadable, nothing resident). */
bool va_vm_memory_per_node(vmaccel_vm *vm, uint64_t *bytes, unsigned nnodes);

#endif
