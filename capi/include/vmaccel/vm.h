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
 * A QEMU without thread names is attached through its QMP socket
 * (opts->qmp_socket, vmaccel_vm_attach_qmp: query-cpus-fast gives the
 * threads and their guest NUMA nodes) or, for a libvirt domain, through
 * libvirt's monitor. A libvirt domain's QEMU is acted on through libvirt
 * (vmaccel_vm_attach_libvirt, opts->libvirt_uri), so libvirt's own view
 * stays true. Each vCPU's limits - its own cgroup's cpuset, and whether
 * the operator placed it - are read at attach and before every pin
 * (vmaccel_vm_vcpu_limits).
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

#define VMACCEL_VM_OPTIONS_VERSION 2
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
    /* ---- version 2 ---- */
    /* A QEMU QMP socket (a path; QEMU's -qmp unix:PATH,server): the vCPU
     * threads come from query-cpus-fast (thread-id, cpu-index and
     * props.node-id, the guest NUMA node) and the guest RAM backends from
     * query-memdev, so a QEMU started without -name ...,debug-threads=on
     * (no thread names) can be attached. The socket must belong to the
     * process attached. Every read is bounded in size (1 MiB) and time
     * (2 s); anything that is not a QEMU monitor is refused (VMACCEL_EPARSE,
     * VMACCEL_ETIMEDOUT, VMACCEL_EIO) before anything changes. NULL: none. */
    const char *qmp_socket;
    /* libvirt: NULL = when the process is a libvirt-managed QEMU (started
     * by libvirtd or virtqemud, with -uuid), act through libvirt at its
     * default URI (qemu:///system for root, qemu:///session otherwise), so
     * that libvirt's own view (virsh vcpuinfo, vcpupin, numatune) stays
     * true; if libvirt cannot be reached the VM is acted on directly and
     * vmaccel_vm_info says why. A URI: act through libvirt there, and fail
     * if the process is not one of its domains. "": never through libvirt.
     * Without libvirt support in the build, a URI is VMACCEL_ENOTSUP. */
    const char *libvirt_uri;
} vmaccel_vm_options;

#define VMACCEL_VM_OPTIONS_INIT { VMACCEL_VM_OPTIONS_VERSION, NULL, NULL, 0, \
    NULL, 0, NULL, NULL }
VMACCEL_API void vmaccel_vm_options_init(vmaccel_vm_options *opts);

/* Attaches the VMM process `pid`. opts may be NULL (version 1 options are
 * accepted). Errors: VMACCEL_EINVAL (bad pid or options), VMACCEL_EGONE
 * (no such process), VMACCEL_EPERM (not allowed to inspect it),
 * VMACCEL_ENOENT (no vCPU thread found; the message lists the thread names
 * seen), VMACCEL_EPARSE (vCPU indices with gaps or duplicates; a QMP reply
 * that is not QEMU's), VMACCEL_ENOTSUP (libvirt asked for, not built in;
 * QMP on Windows). Platforms: Linux (/proc, pidfd); Windows (thread
 * descriptions such as QEMU's "CPU 0/WHPX", VirtualQueryEx for guest RAM,
 * a process handle in place of the pidfd; guest NUMA nodes are not read
 * from the command line: vmaccel_vm_numa_cells' source says why, and
 * vmaccel_vm_set_numa_cells sets them). Thread safety: any thread. */
VMACCEL_API int vmaccel_vm_attach_pid(vmaccel_manager *m, int pid,
                                      const vmaccel_vm_options *opts,
                                      vmaccel_vm **out);

/* Attaches the QEMU that serves the QMP socket `path` (its pid is the
 * socket peer's, SO_PEERCRED), finding its vCPU threads through QMP as
 * opts->qmp_socket does (opts may be NULL; its qmp_socket is ignored).
 * Errors as vmaccel_vm_attach_pid; VMACCEL_ENOENT when nothing listens
 * there. Platforms: Linux; Windows answers VMACCEL_ENOTSUP (QMP over a
 * unix socket, and libvirt, are not built there). Thread safety: any
 * thread. */
VMACCEL_API int vmaccel_vm_attach_qmp(vmaccel_manager *m, const char *path,
                                      const vmaccel_vm_options *opts,
                                      vmaccel_vm **out);

/* Attaches the running libvirt domain `domain` (a name or a UUID) at `uri`
 * (NULL or "": libvirt's default URI) and acts through libvirt from then on:
 * vCPU pins with virDomainPinVcpuFlags(VIR_DOMAIN_AFFECT_LIVE), memory
 * placement with virDomainSetNumaParameters where libvirt holds the memory
 * policy; reads (placement, cgroups, /proc) stay direct. The domain's QEMU
 * must run on this host. opts may be NULL (its libvirt_uri is ignored).
 * Errors: VMACCEL_ENOTSUP (built without libvirt, or a domain of another
 * host), VMACCEL_ENOENT (no such running domain), VMACCEL_EIO (cannot
 * connect, or the connection dropped), VMACCEL_EPERM (libvirt refused),
 * and those of vmaccel_vm_attach_pid. Platforms: Linux with libvirt at build
 * time; elsewhere VMACCEL_ENOTSUP. Thread safety: any thread. */
VMACCEL_API int vmaccel_vm_attach_libvirt(vmaccel_manager *m, const char *uri,
                                          const char *domain,
                                          const vmaccel_vm_options *opts,
                                          vmaccel_vm **out);

/* The UUIDs of the domains running now at `uri` (NULL or "": the default),
 * one per line, into *out (release with vmaccel_buf_free). Errors:
 * VMACCEL_ENOTSUP (built without libvirt), VMACCEL_EIO (cannot connect).
 * Platforms: Linux with libvirt at build time; elsewhere VMACCEL_ENOTSUP.
 * Thread safety: any thread. */
VMACCEL_API int vmaccel_libvirt_domains(const char *uri, vmaccel_buf *out);

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

/* Checks that the process and each vCPU thread still exist, and re-reads
 * each vCPU's limits and the operator's placement (vmaccel_vm_vcpu_limits).
 * A VM whose process exited, or whose every vCPU thread exited, is marked
 * gone (VMACCEL_EGONE); a single exited thread is marked gone (see
 * vmaccel_vm_vcpu) and the call returns 0. For a VM acted on through
 * libvirt, a dropped connection or a stopped domain is VMACCEL_EIO or
 * VMACCEL_EGONE with the reason. */
VMACCEL_API int vmaccel_vm_refresh(vmaccel_vm *vm);

typedef enum vmaccel_vmm_kind {
    VMACCEL_VMM_EXPLICIT = 0,          /* threads given by the caller */
    VMACCEL_VMM_QEMU = 1,
    VMACCEL_VMM_CLOUD_HYPERVISOR = 2,
    VMACCEL_VMM_FIRECRACKER = 3,
    VMACCEL_VMM_CROSVM = 4
} vmaccel_vmm_kind;

/* How a VM's vCPU threads were found. */
typedef enum vmaccel_vcpu_discovery {
    VMACCEL_DISCOVERY_THREAD_NAMES = 0,  /* "CPU n/KVM", "vcpuN", ... */
    VMACCEL_DISCOVERY_EXPLICIT = 1,      /* the caller's thread ids */
    VMACCEL_DISCOVERY_QMP = 2,           /* QMP query-cpus-fast on a socket */
    VMACCEL_DISCOVERY_LIBVIRT_MONITOR = 3 /* the same through libvirt's monitor */
} vmaccel_vcpu_discovery;

/* The path vm-accel's actions on a VM take. */
typedef enum vmaccel_vm_control {
    VMACCEL_CONTROL_OS = 0,       /* system calls on the threads */
    VMACCEL_CONTROL_LIBVIRT = 1   /* libvirt's API (its view stays true) */
} vmaccel_vm_control;

#define VMACCEL_VM_INFO_VERSION 2
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
    /* ---- version 2 ---- */
    vmaccel_vcpu_discovery discovery;
    vmaccel_vm_control control;
    char domain[64];           /* the libvirt domain, or "" */
    char control_note[200];    /* e.g. why a libvirt-managed QEMU is acted
                                  on directly; "" when nothing to say */
} vmaccel_vm_info;
#define VMACCEL_VM_INFO_INIT { VMACCEL_VM_INFO_VERSION, 0, 0, 0, 0, \
    VMACCEL_VMM_EXPLICIT, 0, 0, 0, "", VMACCEL_DISCOVERY_THREAD_NAMES, \
    VMACCEL_CONTROL_OS, "", "" }

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

/* Where a constraint or an operator's placement comes from. */
typedef enum vmaccel_origin {
    VMACCEL_ORIGIN_NONE = 0,      /* nothing limits it / nobody placed it */
    VMACCEL_ORIGIN_CGROUP = 1,    /* a cgroup cpuset (v1 or v2) */
    VMACCEL_ORIGIN_AFFINITY = 2,  /* the thread's affinity mask (taskset) */
    VMACCEL_ORIGIN_LIBVIRT = 3,   /* the libvirt domain XML */
    VMACCEL_ORIGIN_QEMU = 4       /* QEMU's own configuration (via QMP) */
} vmaccel_origin;

/* What limits vCPU `index` and whether the operator placed it, as read by
 * the last attach, pin or vmaccel_vm_refresh. Lists are cpulists
 * ("0-3,8"), truncated to their arrays; sources are for people. */
#define VMACCEL_VCPU_LIMITS_VERSION 1
typedef struct vmaccel_vcpu_limits {
    unsigned version;          /* set by the caller */
    int known;                 /* 0 until first read */
    char cpus[256];            /* CPUs the thread may run on: its own cgroup's
                                  effective cpuset (every online CPU without one) */
    vmaccel_origin cpus_origin;
    char cpus_source[200];     /* "cgroup v1 cpuset /machine/.../vcpu0" */
    char mems[128];            /* memory nodes it may use; "" = any */
    vmaccel_origin mems_origin;
    char mems_source[200];
    /* 1: the operator placed this vCPU (libvirt <vcpupin>, a cgroup cpuset
     * narrower than its parent's such as Kubernetes' CPU manager, taskset);
     * vmaccel_vm_pin leaves it there unless override_pins. */
    int operator_pinned;
    char pinned_cpus[256];
    vmaccel_origin pin_origin;
    char pin_source[200];      /* "libvirt <vcpupin vcpu='0' cpuset='1'/>" */
    /* 1: the operator placed the VM's memory (libvirt <numatune> nodeset,
     * a QEMU memory backend bound to host nodes, cgroup mems narrower than
     * the parent's); the NUMA engine does not migrate it. */
    int memory_pinned;
    char pinned_mems[128];
    vmaccel_origin mem_pin_origin;
    char mem_pin_source[200];
    /* The last pin's decision on this vCPU: kept 1 = left it to the
     * operator's placement; overrode 1 = moved it despite one
     * (override_pins). */
    int kept;
    int overrode;
    int guest_node;            /* guest NUMA node (QMP), -1 if unknown */
} vmaccel_vcpu_limits;
#define VMACCEL_VCPU_LIMITS_INIT { VMACCEL_VCPU_LIMITS_VERSION, 0, "", \
    VMACCEL_ORIGIN_NONE, "", "", VMACCEL_ORIGIN_NONE, "", 0, "", \
    VMACCEL_ORIGIN_NONE, "", 0, "", VMACCEL_ORIGIN_NONE, "", 0, 0, -1 }

/* Fills *out for vCPU `index` from what was read last (no OS call).
 * Platforms: Linux reads cgroup v1 and v2 cpusets per thread; Windows has
 * no per-thread cgroups, so the CPU limit is the online CPUs and the
 * operator's placement is an affinity narrower than them. Thread safety:
 * any thread. */
VMACCEL_API int vmaccel_vm_vcpu_limits(const vmaccel_vm *vm, unsigned index,
                                       vmaccel_vcpu_limits *out);

/* "none", "cgroup", "affinity", "libvirt", "qemu"; never NULL. */
VMACCEL_API const char *vmaccel_origin_name(vmaccel_origin origin);

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
