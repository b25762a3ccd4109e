/*
 * vmaccel/vm.h - VMs handed to the manager: their vCPU threads and guest RAM.
 *
 * A VM is either a running VMM process attached by pid, or an in-process
 * VM registered by a host program that is itself the VMM. Attaching holds
 * a pidfd on the process, and every later action first checks through it
 * that the process is still the one attached (and, per thread, that the
 * thread id still names the same thread), so a recycled pid or tid is never
 * acted on. A VM whose process or vCPU threads exit is marked gone (a
 * VMACCEL_EVENT_VM_GONE event is emitted); calls on it then fail with
 * VMACCEL_EGONE, never crash.
 *
 * vCPU threads are found by name when not given:
 *   QEMU             "CPU n/KVM", "CPU n/TCG", "CPU n/HVF" (also WHPX, ...);
 *                    QEMU names threads only with -name NAME,debug-threads=on
 *                    (libvirt always sets it)
 *   cloud-hypervisor "vcpuN"
 *   Firecracker      "fc_vcpu N"
 *   crosvm           "crosvm_vcpuN"
 * vCPU index n comes from the name; indices must be 0..count-1 without gaps.
 * Guest RAM is read from /proc/PID/maps when not given: QEMU memory-backend
 * mappings (memfd names, hugetlbfs or /dev/shm files) and otherwise the
 * largest anonymous or shared mappings (>= 64 MiB, or the single largest).
 *
 * Thread safety: VM calls may come from any thread; calls on one VM are
 * serialised internally. vmaccel_vm_detach must not race with other calls
 * on the same VM.
 */
#ifndef VMACCEL_VM_H
#define VMACCEL_VM_H

#include "common.h"
#include "manager.h"

VMACCEL_BEGIN_DECLS

typedef struct vmaccel_vm vmaccel_vm;

/* A guest RAM range in the VMM's address space. This struct never grows. */
typedef struct vmaccel_mem_range {
    uint64_t start;
    uint64_t length;
} vmaccel_mem_range;

#define VMACCEL_VM_OPTIONS_VERSION 1
typedef struct vmaccel_vm_options {
    unsigned version;              /* VMACCEL_VM_OPTIONS_VERSION */
    const char *name;              /* NULL: the process name (comm) */
    /* vCPU thread ids in vCPU order; NULL: find them by thread name.
     * Required for vmaccel_vm_register. At most 4096. */
    const int *vcpu_tids;
    size_t nvcpu_tids;
    /* Guest RAM; NULL: read /proc/PID/maps (attach) or none (register). */
    const vmaccel_mem_range *memory;
    size_t nmemory;
} vmaccel_vm_options;

#define VMACCEL_VM_OPTIONS_INIT { VMACCEL_VM_OPTIONS_VERSION, NULL, NULL, 0, \
    NULL, 0 }
VMACCEL_API void vmaccel_vm_options_init(vmaccel_vm_options *opts);

/* Attaches the VMM process `pid`. opts may be NULL. Errors: VMACCEL_EINVAL
 * (bad pid or options), VMACCEL_EGONE (no such process), VMACCEL_EPERM (not
 * allowed to inspect it), VMACCEL_ENOENT (no vCPU thread found; the message
 * lists the thread names seen), VMACCEL_EPARSE (vCPU indices with gaps or
 * duplicates). Platforms: Linux (/proc, pidfd); Windows (thread
 * descriptions such as QEMU's "CPU 0/WHPX", VirtualQueryEx for guest RAM,
 * a process handle in place of the pidfd; guest NUMA nodes are not read
 * from the command line: vmaccel_vm_numa_cells' source says why, and
 * vmaccel_vm_set_numa_cells sets them). Thread safety: any thread. */
VMACCEL_API int vmaccel_vm_attach_pid(vmaccel_manager *m, int pid,
                                      const vmaccel_vm_options *opts,
                                      vmaccel_vm **out);

/* Registers a VM run by this very process: opts->vcpu_tids must be threads
 * of this process; opts->memory (optional) are ranges of its address space.
 * Thread safety: any thread. */
VMACCEL_API int vmaccel_vm_register(vmaccel_manager *m,
                                    const vmaccel_vm_options *opts,
                                    vmaccel_vm **out);

/* Forgets the VM (its threads keep whatever affinity they have; call
 * vmaccel_vm_restore_affinity first to undo pinning). NULL is a no-op.
 * Every VM still attached is detached by vmaccel_manager_free. */
VMACCEL_API void vmaccel_vm_detach(vmaccel_vm *vm);

/* Checks that the process and each vCPU thread still exist. A VM whose
 * process exited, or whose every vCPU thread exited, is marked gone
 * (VMACCEL_EGONE); a single exited thread is marked gone (see
 * vmaccel_vm_vcpu) and the call returns 0. */
VMACCEL_API int vmaccel_vm_refresh(vmaccel_vm *vm);

typedef enum vmaccel_vmm_kind {
    VMACCEL_VMM_EXPLICIT = 0,          /* threads given by the caller */
    VMACCEL_VMM_QEMU = 1,
    VMACCEL_VMM_CLOUD_HYPERVISOR = 2,
    VMACCEL_VMM_FIRECRACKER = 3,
    VMACCEL_VMM_CROSVM = 4
} vmaccel_vmm_kind;

#define VMACCEL_VM_INFO_VERSION 1
typedef struct vmaccel_vm_info {
    unsigned version;          /* set by the caller */
    uint64_t id;               /* unique within the manager, from 1 */
    int pid;                   /* the VMM (this process when registered) */
    int in_process;            /* 1 when registered */
    int gone;                  /* 1 once the process or all vCPUs exited */
    vmaccel_vmm_kind vmm;
    unsigned vcpu_count;
    unsigned memory_regions;
    uint64_t memory_bytes;     /* sum of the regions' lengths */
    char name[64];
} vmaccel_vm_info;
#define VMACCEL_VM_INFO_INIT { VMACCEL_VM_INFO_VERSION, 0, 0, 0, 0, \
    VMACCEL_VMM_EXPLICIT, 0, 0, 0, "" }

VMACCEL_API int vmaccel_vm_info_get(const vmaccel_vm *vm, vmaccel_vm_info *info);

#define VMACCEL_VCPU_INFO_VERSION 1
typedef struct vmaccel_vcpu_info {
    unsigned version;          /* set by the caller */
    unsigned index;            /* vCPU number */
    int tid;                   /* its thread */
    int gone;                  /* 1 once the thread exited */
    int last_cpu;              /* OS CPU it last ran on, -1 if unknown */
    int planned_cpu;           /* OS CPU of the last pin (also dry run), -1 */
    unsigned planned_node;     /* logical NUMA node of planned_cpu */
    int result;                /* 0 or VMACCEL_E* of the last pin, capture or restore */
    int pinned;                /* 1 while vmaccel's affinity is in force */
    char thread_name[16];
} vmaccel_vcpu_info;
#define VMACCEL_VCPU_INFO_INIT { VMACCEL_VCPU_INFO_VERSION, 0, 0, 0, -1, -1, \
    0, 0, 0, "" }

/* Describes vCPU `index` (0..vcpu_count-1); last_cpu is read live. */
VMACCEL_API int vmaccel_vm_vcpu(const vmaccel_vm *vm, unsigned index,
                                vmaccel_vcpu_info *info);

/* The CPUs vCPU `index`'s thread may run on now (its live affinity),
 * ascending. Writes at most `cap` entries and the full count. */
VMACCEL_API int vmaccel_vm_vcpu_allowed_cpus(const vmaccel_vm *vm,
                                             unsigned index, unsigned *cpus,
                                             size_t cap, size_t *count);

#define VMACCEL_MEMORY_REGION_INFO_VERSION 1
typedef struct vmaccel_memory_region_info {
    unsigned version;          /* set by the caller */
    uint64_t start;
    uint64_t length;
    char name[128];            /* mapping name from /proc/PID/maps or "" */
} vmaccel_memory_region_info;
#define VMACCEL_MEMORY_REGION_INFO_INIT { VMACCEL_MEMORY_REGION_INFO_VERSION, \
    0, 0, "" }

VMACCEL_API int vmaccel_vm_memory_region(const vmaccel_vm *vm, unsigned index,
                                         vmaccel_memory_region_info *info);

/* ---- Guest NUMA nodes (the NUMA engine's clients) ----
 * A VM whose guest has NUMA nodes is balanced node by node: each guest
 * node's vCPUs are placed next to the memory they touch, so a VM wider
 * than a host node still ends local. Attaching a QEMU reads them from its
 * command line (-numa node,cpus=...,memdev=ID with -object
 * memory-backend-*,id=ID,size=S: each backend is a mapping of its own);
 * a VMM in this process, or a caller that knows better, sets them here. */
#define VMACCEL_NUMA_CELL_VERSION 1
typedef struct vmaccel_numa_cell {
    unsigned version;                 /* VMACCEL_NUMA_CELL_VERSION */
    const unsigned *vcpus;            /* vCPU indices of this guest node */
    size_t nvcpus;
    const vmaccel_mem_range *memory;  /* its guest RAM, VMM address space */
    size_t nmemory;
} vmaccel_numa_cell;
#define VMACCEL_NUMA_CELL_INIT { VMACCEL_NUMA_CELL_VERSION, NULL, 0, NULL, 0 }

/* Sets the VM's guest NUMA nodes (ncells 0: none, the VM is one client);
 * their memory becomes the VM's guest RAM. Every vCPU must be in exactly
 * one cell; ranges must be page-aligned, not empty and not overlap; at
 * most 64 cells and 64 ranges in all. Errors: VMACCEL_EINVAL with the
 * reason (nothing changes). Thread safety: any thread. Platforms: all. */
VMACCEL_API int vmaccel_vm_set_numa_cells(vmaccel_vm *vm, const vmaccel_numa_cell *cells,
                                          size_t ncells);

/* How many guest NUMA nodes the VM has (read at attach or set), and where
 * they came from ("QEMU -numa", "API", "" when none); source may be NULL.
 * Thread safety: any thread. */
VMACCEL_API int vmaccel_vm_numa_cells(const vmaccel_vm *vm, unsigned *count,
                                      char *source, size_t source_len);

VMACCEL_END_DECLS

#endif /* VMACCEL_VM_H */
