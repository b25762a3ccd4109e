/*
 * vmaccel/manager.h - the acceleration manager: one per process and host.
 *
 * The manager detects the host (topology, hypervisor, IOMMU) when created
 * and owns every acceleration component: the SMMUv3 model, vCPU affinity
 * and the NUMA engine. Components are switched on one by one (init_smmu,
 * init_vcpu_affinity, enable_numa) or all at once (setup_full), which also
 * records, per component, why it was skipped.
 */
#ifndef VMACCEL_MANAGER_H
#define VMACCEL_MANAGER_H

#include "common.h"
#include "topology.h"

VMACCEL_BEGIN_DECLS

typedef struct vmaccel_manager vmaccel_manager;
typedef struct vmaccel_smmu vmaccel_smmu;

#define VMACCEL_MANAGER_OPTIONS_VERSION 1
typedef struct vmaccel_manager_options {
    unsigned version;           /* VMACCEL_MANAGER_OPTIONS_VERSION */
    /* Where the topology comes from; NULL: the live host. */
    const vmaccel_topology_options *topology;
    /* Roots of the OS trees the probes read; NULL means the real one. Tests
     * point them at fixture trees. */
    const char *sysfs_root;      /* default "/sys" */
    const char *devfs_root;      /* default "/dev" */
    const char *devicetree_root; /* default "/sys/firmware/devicetree/base" */
} vmaccel_manager_options;

#define VMACCEL_MANAGER_OPTIONS_INIT { VMACCEL_MANAGER_OPTIONS_VERSION, \
    NULL, NULL, NULL, NULL }
VMACCEL_API void vmaccel_manager_options_init(vmaccel_manager_options *opts);

/* Creates a manager: loads the topology and probes hypervisor and IOMMU.
 * opts may be NULL (all defaults). Errors: those of vmaccel_topology_load.
 * Thread safety: any thread. */
VMACCEL_API int vmaccel_manager_new(const vmaccel_manager_options *opts,
                                    vmaccel_manager **out);

/* Frees the manager and everything it owns (topology, SMMU model).
 * NULL or an already freed manager is a no-op. Must not race with other
 * calls on the same manager. */
VMACCEL_API void vmaccel_manager_free(vmaccel_manager *m);

/* Components a manager can enable. */
typedef enum vmaccel_component {
    VMACCEL_COMPONENT_SMMU = 0,
    VMACCEL_COMPONENT_VCPU_AFFINITY = 1,
    VMACCEL_COMPONENT_NUMA = 2,
    VMACCEL_COMPONENT_COUNT_ = 3 /* number of components in this version */
} vmaccel_component;

typedef enum vmaccel_component_state {
    VMACCEL_COMPONENT_OFF = 0,     /* not requested yet */
    VMACCEL_COMPONENT_ON = 1,      /* initialised / enabled */
    VMACCEL_COMPONENT_SKIPPED = 2  /* setup_full skipped it; see the reason */
} vmaccel_component_state;

/* Initialises every component the host supports: the SMMUv3 model, vCPU
 * affinity, and NUMA balancing when the host has two or more NUMA nodes.
 * A component that cannot be set up is marked SKIPPED with the reason
 * (vmaccel_manager_component). Returns 0 unless an argument is bad or an
 * allocation fails. Thread safety: any thread; serialised internally. */
VMACCEL_API int vmaccel_manager_setup_full(vmaccel_manager *m);

/* State of one component and, when SKIPPED, why. `reason` (may be NULL
 * when reason_len is 0) receives a NUL-terminated, possibly truncated
 * message. Thread safety: any thread. */
VMACCEL_API int vmaccel_manager_component(const vmaccel_manager *m,
                                          vmaccel_component component,
                                          vmaccel_component_state *state,
                                          char *reason, size_t reason_len);

/* Creates the SMMUv3 model (the model exists whether or not the host has a
 * real SMMUv3; vmaccel_manager_iommu says what the host has). Idempotent.
 * Thread safety: any thread; serialised internally. */
VMACCEL_API int vmaccel_manager_init_smmu(vmaccel_manager *m);

/* Prepares vCPU placement on this topology and the CPUs this process may
 * use. Idempotent. Thread safety: any thread; serialised internally. */
VMACCEL_API int vmaccel_manager_init_vcpu_affinity(vmaccel_manager *m);

/* Turns NUMA locality balancing on. `numa_nodes` must equal the topology's
 * NUMA node count (a guard against acting on a host other than the one the
 * caller planned for): otherwise VMACCEL_EINVAL with both numbers in the
 * message. Idempotent. Thread safety: any thread. */
VMACCEL_API int vmaccel_manager_enable_numa(vmaccel_manager *m,
                                            unsigned numa_nodes);

/* Turns NUMA balancing off. Idempotent. Thread safety: any thread. */
VMACCEL_API int vmaccel_manager_disable_numa(vmaccel_manager *m);

/* The manager's topology, borrowed: valid until vmaccel_manager_free.
 * Thread safety: any thread. */
VMACCEL_API int vmaccel_manager_topology(const vmaccel_manager *m,
                                         const vmaccel_topology **topo);

/* Whether NUMA balancing / the SMMU model / vCPU affinity are on (1) or
 * off (0). Thread safety: any thread. */
VMACCEL_API int vmaccel_manager_numa_enabled(const vmaccel_manager *m,
                                             int *enabled);
VMACCEL_API int vmaccel_manager_smmu_initialized(const vmaccel_manager *m,
                                                 int *initialized);
VMACCEL_API int vmaccel_manager_vcpu_affinity_initialized(
    const vmaccel_manager *m, int *initialized);

/* The SMMUv3 model, borrowed (valid until vmaccel_manager_free).
 * VMACCEL_ESTATE before vmaccel_manager_init_smmu. Thread safety: any. */
VMACCEL_API int vmaccel_manager_smmu(vmaccel_manager *m, vmaccel_smmu **smmu);

/* ---- Host probes (run once by vmaccel_manager_new) ---- */

typedef enum vmaccel_hypervisor {
    VMACCEL_HV_KVM = 0,   /* Linux */
    VMACCEL_HV_HVF = 1,   /* macOS Hypervisor.framework */
    VMACCEL_HV_WHPX = 2,  /* Windows Hypervisor Platform */
    VMACCEL_HV_COUNT_ = 3
} vmaccel_hypervisor;

typedef enum vmaccel_hv_status {
    VMACCEL_HV_AVAILABLE = 0,      /* usable */
    VMACCEL_HV_UNAVAILABLE = 1,    /* this platform, but not usable here */
    VMACCEL_HV_NOT_APPLICABLE = 2  /* not this platform */
} vmaccel_hv_status;

#define VMACCEL_HV_INFO_VERSION 1
typedef struct vmaccel_hv_info {
    unsigned version;        /* set by the caller */
    vmaccel_hv_status status;
    int api_version;         /* KVM_GET_API_VERSION, or 0 */
    unsigned max_vcpus;      /* KVM_CAP_MAX_VCPUS, or 0 */
    unsigned recommended_vcpus; /* KVM_CAP_NR_VCPUS, or 0 */
    char reason[256];        /* why unavailable / not applicable, or "" */
} vmaccel_hv_info;
#define VMACCEL_HV_INFO_INIT { VMACCEL_HV_INFO_VERSION, \
    VMACCEL_HV_NOT_APPLICABLE, 0, 0, 0, "" }

VMACCEL_API int vmaccel_manager_hypervisor(const vmaccel_manager *m,
                                           vmaccel_hypervisor hv,
                                           vmaccel_hv_info *info);

typedef enum vmaccel_iommu_kind {
    VMACCEL_IOMMU_NONE = 0,
    VMACCEL_IOMMU_SMMUV3 = 1,
    VMACCEL_IOMMU_INTEL_VTD = 2,
    VMACCEL_IOMMU_AMD_VI = 3,
    VMACCEL_IOMMU_OTHER = 4
} vmaccel_iommu_kind;

#define VMACCEL_IOMMU_INFO_VERSION 1
typedef struct vmaccel_iommu_info {
    unsigned version;        /* set by the caller */
    int present;             /* 1 if the host has an IOMMU in use */
    vmaccel_iommu_kind kind; /* the first unit's kind */
    unsigned units;          /* entries under /sys/class/iommu */
    unsigned groups;         /* entries under /sys/kernel/iommu_groups */
    unsigned dt_smmuv3_nodes;/* device-tree nodes compatible "arm,smmu-v3" */
    char reason[256];        /* why not present, or "" */
} vmaccel_iommu_info;
#define VMACCEL_IOMMU_INFO_INIT { VMACCEL_IOMMU_INFO_VERSION, 0, \
    VMACCEL_IOMMU_NONE, 0, 0, 0, "" }

VMACCEL_API int vmaccel_manager_iommu(const vmaccel_manager *m,
                                      vmaccel_iommu_info *info);

/* ---- The runtime loop ---- */

/* Starts the manager's runtime: one libuv loop on one thread owned by the
 * manager, which runs the periodic work (sampling, rebalancing) and the
 * event callbacks. Idempotent: 0 if it already runs, also when called from
 * a callback on the loop thread. VMACCEL_EIO if the loop or its thread
 * cannot be created. Thread safety: any thread. */
VMACCEL_API int vmaccel_manager_start(vmaccel_manager *m);

/* Stops the runtime: work already posted still runs, the callback in
 * progress (if any) finishes, then the thread is joined and every loop
 * resource released before it returns; its time is bounded by the longest
 * callback (callbacks must not block). Idempotent: 0 if not running. From
 * a callback on the loop thread it cannot wait for itself: VMACCEL_ESTATE,
 * nothing changes - stop from another thread. vmaccel_manager_free stops
 * the runtime itself. Thread safety: any thread but the loop thread. */
VMACCEL_API int vmaccel_manager_stop(vmaccel_manager *m);

/* Whether the runtime loop runs (1) or not (0). Thread safety: any. */
VMACCEL_API int vmaccel_manager_running(vmaccel_manager *m, int *running);

VMACCEL_END_DECLS

#endif /* VMACCEL_MANAGER_H */
