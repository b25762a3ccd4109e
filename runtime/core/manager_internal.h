/*
 * Internal: the manager object. Other runtime modules reach the manager's
 * state through this header; only runtime/core changes its lifecycle.
 *
 * Locking: `lock` serialises state changes (component switches, VM list,
 * report snapshots). Read-mostly fields set once at creation (topology,
 * probes, roots) need no lock.
 */
#ifndef VA_CORE_MANAGER_INTERNAL_H
#define VA_CORE_MANAGER_INTERNAL_H

#include "core/handle.h"
#include "vmaccel/manager.h"

#include <pthread.h>
#include <stdbool.h>

#define VA_REASON_LEN 256
#define VA_PATH_LEN 256

typedef struct va_component {
    vmaccel_component_state state;
    char reason[VA_REASON_LEN];
} va_component;

/* Roots of the OS trees read by the probes (fixture trees in tests). */
typedef struct va_roots {
    char sysfs[VA_PATH_LEN];
    char devfs[VA_PATH_LEN];
    char devicetree[VA_PATH_LEN];
} va_roots;

/* What the IOMMU probe found, with unit names for the report. */
#define VA_MAX_IOMMU_UNITS 16
typedef struct va_iommu_probe {
    vmaccel_iommu_info info;
    char unit_name[VA_MAX_IOMMU_UNITS][64];
    vmaccel_iommu_kind unit_kind[VA_MAX_IOMMU_UNITS];
    char dt_node[VA_MAX_IOMMU_UNITS][VA_PATH_LEN];
} va_iommu_probe;

struct vmaccel_manager {
    va_handle handle;
    pthread_mutex_t lock;
    va_roots roots;
    vmaccel_topology *topology;              /* owned, registered handle */
    vmaccel_hv_info hv[VMACCEL_HV_COUNT_];   /* probed at creation */
    va_iommu_probe iommu;                    /* probed at creation */
    va_component component[VMACCEL_COMPONENT_COUNT_];
    struct vmaccel_smmu *smmu;               /* after init_smmu */
    /* vCPU affinity (runtime/vmm): attached VMs, a list under `lock`;
     * released by va_vm_detach_all(). The platform is the OS seam
     * (runtime/platform); NULL means va_platform_os(). */
    struct vmaccel_vm *vms;
    size_t nvms;                             /* in `vms` */
    uint64_t next_vm_id;
    const struct va_platform *platform;
    /* The loop and the events (runtime/loop/runtime.h): created on first
     * use, read and set with __atomic builtins only, freed by
     * va_runtime_free(). */
    struct va_runtime *runtime;
    /* NUMA balancing (runtime/numa/engine.h), created on first use and
     * freed by va_numa_destroy() after the loop has stopped. */
    struct va_numa_engine *numa;
};

/* Valid manager or VMACCEL_EINVAL (with a message). */
int va_manager_check(const vmaccel_manager *m);

#endif
