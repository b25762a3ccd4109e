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

/*
 * What limits a vCPU thread, and whether the operator placed it.
 *
 * Plain data on each va_vcpu (`limits`), written only by
 * va_vm_refresh_limits() (vmm/limits.h: when it runs and its locking) and
 * read, under vm->lock, by the planner and the applier (affinity/pin.c,
 * apply.c), the report, `vmaccel pin` and the NUMA engine. CPU masks hold
 * OS CPU numbers; memory masks hold OS NUMA node numbers (the same bit
 * set type).
 *
 *  cpus      the CPUs the thread may run on *through the path vm-accel acts
 *            on*: its own cgroup's effective cpuset (v1 or v2, per thread:
 *            libvirt gives every vCPU its own cgroup), or for a libvirt VM
 *            whose vCPU cgroup only mirrors a <vcpupin>, the domain's
 *            cgroup (libvirt rewrites the vCPU's cgroup with each pin); all
 *            online CPUs when no cpuset governs it. Never empty once known.
 *  mems      the memory nodes its allocations may use (the cgroup's
 *            effective mems); empty when no cpuset governs it (any node).
 *  cpu_pin   set when someone other than vm-accel placed the thread:
 *            libvirt <vcpupin> narrower than the domain's CPUs (not one
 *            vm-accel recorded as its own in the domain's metadata); a
 *            cgroup cpuset narrower than its parent's (a Kubernetes CPU
 *            manager's exclusive CPUs, docker --cpuset-cpus) unless it is
 *            the very cpuset vm-accel itself runs in; an affinity narrower
 *            than the cgroup's (taskset), judged on the affinity from
 *            before vm-accel's first change; or an affinity changed by
 *            someone else after vm-accel pinned it. `cpus` of the pin is
 *            where they put it. vm-accel leaves such a vCPU where it is
 *            (counting its CPU as taken) unless told to override.
 *  mem_pin   set when the operator placed the VM's memory: libvirt
 *            <numatune> with a nodeset, a QEMU memory backend bound to host
 *            nodes (policy bind/preferred/interleave, seen through QMP), or
 *            cgroup mems narrower than the parent's.
 *  *.source  where each came from, for people: "cgroup v1 cpuset
 *            /machine/qemu-1-lv.libvirt-qemu/vcpu0", "libvirt <vcpupin
 *            vcpu='0' cpuset='1'/>", "affinity 1 (cgroup allows 0-1)".
 */
typedef enum va_origin {
    VA_ORIGIN_NONE = 0,       /* nothing limits it / nobody placed it */
    VA_ORIGIN_CGROUP = 1,     /* a cgroup cpuset (source names the cgroup) */
    VA_ORIGIN_AFFINITY = 2,   /* the thread's affinity mask (taskset) */
    VA_ORIGIN_LIBVIRT = 3,    /* the libvirt domain XML (source: the element) */
    VA_ORIGIN_QEMU = 4        /* QEMU's configuration, read through QMP */
} va_origin;

typedef struct va_limit {
    bool set;                   /* for pins: placed by the operator */
    va_cpumask mask;
    va_origin origin;
    char source[200];
} va_limit;

typedef struct va_vcpu_limits {
    bool known;                 /* refreshed at least once */
    va_limit cpus;              /* always set once known */
    va_limit mems;              /* set when a cpuset governs it */
    va_limit cpu_pin;
    va_limit mem_pin;
} va_vcpu_limits;

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
    va_cpumask applied;         /* what vm-accel last set (valid while pinned) */
    bool kept;                  /* the last pin left it to the operator's pin */
    bool overrode;              /* the last pin overrode the operator's pin */
    int guest_node;             /* guest NUMA node (QMP props.node-id), -1 */
    va_saved saved;             /* originals before vmaccel's first change */
    va_vcpu_limits limits;      /* see above */
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
/* A QEMU memory backend, as QMP's query-memdev describes it. */
#define VA_VM_MAX_MEMDEVS 16
typedef struct va_memdev {
    char id[64];
    uint64_t size;
    char policy[16];             /* "default", "bind", "preferred", "interleave" */
    va_cpumask host_nodes;       /* OS node numbers; empty: none given */
} va_memdev;

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
    vmaccel_vcpu_discovery discovery; /* how its vCPU threads were found */
    vmaccel_vm_control control;  /* the path actions take */
    char domain[64];             /* libvirt domain name, or "" */
    char control_note[200];      /* why control is what it is, when not obvious */
    va_memdev memdevs[VA_VM_MAX_MEMDEVS]; /* QMP query-memdev (QMP attach) */
    size_t nmemdevs;
    va_limit qemu_mem_pin;       /* memdevs bound to host nodes (limits.h) */
    /* A platform of this VM's own (libvirt: acts through libvirt, reads
     * through linux), freed with the VM; plat points to it. */
    va_platform *own_plat;
    void (*own_plat_free)(va_platform *p);
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
/* Fills vm->vcpus and vm->memdevs through QMP (vmm/discover_qmp.c): from a
 * socket, or from replies fetched otherwise (libvirt's monitor). */
int va_vm_find_vcpus_qmp(vmaccel_vm *vm, const char *socket_path);
int va_vm_take_qmp_cpus(vmaccel_vm *vm, const char *reply, size_t len, const char *via);
int va_vm_take_qmp_memdevs(vmaccel_vm *vm, const char *reply, size_t len);
/* One vCPU: its thread's start time and name (VMACCEL_EGONE: no such
 * thread of the VMM). */
int va_vcpu_fill(vmaccel_vm *vm, va_vcpu *v, unsigned index, int tid);
/* vm->vcpus sorted by index must be exactly 0..n-1 (VMACCEL_EPARSE). */
int va_vm_check_indices(const vmaccel_vm *vm);

/* Sums, per logical NUMA node of the manager's topology, the guest RAM
 * bytes resident there (from /proc/PID/numa_maps). Returns false when
 * unknown (no regions, unreadable, nothing resident). */
bool va_vm_memory_per_node(vmaccel_vm *vm, uint64_t *bytes, unsigned nnodes);

#endif
