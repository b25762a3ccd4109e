/* The manager's lifecycle and its component switches. */
#include "core/manager_internal.h"

#include "core/error.h"
#include "hv/probe.h"
#include "loop/runtime.h"
#include "numa/engine.h"
#include "vmm/vm_internal.h"
#include "smmu/smmu_model.h"
#include "topology/topo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int va_manager_check(const vmaccel_manager *m)
{
    return va_handle_check(m, VA_HANDLE_MANAGER, "manager");
}

VMACCEL_API void vmaccel_manager_options_init(vmaccel_manager_options *opts)
{
    if (opts) {
        vmaccel_manager_options init = VMACCEL_MANAGER_OPTIONS_INIT;
        *opts = init;
    }
}

static int set_root(char *dst, const char *given, const char *fallback,
                    const char *what)
{
    const char *root = given ? given : fallback;
    if (strlen(root) >= VA_PATH_LEN)
        return va_fail(VMACCEL_EINVAL, "%s root is longer than %d bytes", what,
                       VA_PATH_LEN - 1);
    strcpy(dst, root);
    return 0;
}

static int set_roots(vmaccel_manager *m, const vmaccel_manager_options *o)
{
    int rc = set_root(m->roots.sysfs, o->sysfs_root, "/sys", "sysfs");
    if (!rc)
        rc = set_root(m->roots.devfs, o->devfs_root, "/dev", "devfs");
    if (!rc)
        rc = set_root(m->roots.devicetree, o->devicetree_root,
                      "/sys/firmware/devicetree/base", "device-tree");
    return rc;
}

static int load_topology(vmaccel_manager *m, const vmaccel_manager_options *o)
{
    int rc = va_topology_build(o->topology, &m->topology);
    if (rc)
        return rc;
    m->topology->owned_by_manager = true;
    rc = va_handle_register(&m->topology->handle, VA_HANDLE_TOPOLOGY);
    if (rc) {
        va_topology_destroy(m->topology);
        m->topology = NULL;
    }
    return rc;
}

static void destroy(vmaccel_manager *m)
{
    va_runtime_free(m); /* first: stops the loop before anything it uses */
    va_vm_detach_all(m);
    va_numa_destroy(m);
    if (m->smmu)
        va_smmu_destroy(m->smmu);
    if (m->topology) {
        va_handle_unregister(m->topology, VA_HANDLE_TOPOLOGY);
        va_topology_destroy(m->topology);
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
}

VMACCEL_API int vmaccel_manager_new(const vmaccel_manager_options *opts,
                                    vmaccel_manager **out)
{
    vmaccel_manager_options defaults = VMACCEL_MANAGER_OPTIONS_INIT;
    const vmaccel_manager_options *o = opts ? opts : &defaults;
    if (!out)
        return va_fail(VMACCEL_EINVAL, "vmaccel_manager_new: out is NULL");
    *out = NULL;
    if (o->version != VMACCEL_MANAGER_OPTIONS_VERSION)
        return va_fail(VMACCEL_EINVAL, "manager options version %u, expected %u "
                       "(initialise with VMACCEL_MANAGER_OPTIONS_INIT)",
                       o->version, VMACCEL_MANAGER_OPTIONS_VERSION);
    vmaccel_manager *m = calloc(1, sizeof *m);
    if (!m)
        return va_fail(VMACCEL_ENOMEM, "out of memory for a manager");
    pthread_mutex_init(&m->lock, NULL);
    int rc = set_roots(m, o);
    if (!rc)
        rc = load_topology(m, o);
    if (!rc) {
        va_probe_hypervisors(&m->roots, m->hv);
        va_probe_iommu(&m->roots, &m->iommu);
        rc = va_handle_register(&m->handle, VA_HANDLE_MANAGER);
    }
    if (rc) {
        destroy(m);
        return rc;
    }
    va_clear_error();
    *out = m;
    return 0;
}

VMACCEL_API void vmaccel_manager_free(vmaccel_manager *m)
{
    if (!m)
        return;
    if (va_handle_is_live(m, VA_HANDLE_MANAGER) && va_runtime_on_loop_thread(m)) {
        va_fail(VMACCEL_ESTATE, "vmaccel_manager_free: called from a callback "
                "on the manager's loop thread; not freed");
        return;
    }
    if (!va_handle_unregister(m, VA_HANDLE_MANAGER)) {
        va_fail(VMACCEL_EINVAL, "vmaccel_manager_free: freed or foreign handle");
        return;
    }
    destroy(m);
}

static void set_component(vmaccel_manager *m, vmaccel_component c,
                          vmaccel_component_state state, const char *reason)
{
    m->component[c].state = state;
    snprintf(m->component[c].reason, VA_REASON_LEN, "%s", reason ? reason : "");
}

/* Called with m->lock held. */
static int init_smmu_locked(vmaccel_manager *m)
{
    if (m->smmu)
        return 0;
    int rc = va_smmu_create(NULL, &m->smmu);
    if (rc)
        return rc;
    m->smmu->owned_by_manager = true;
    set_component(m, VMACCEL_COMPONENT_SMMU, VMACCEL_COMPONENT_ON, NULL);
    return 0;
}

VMACCEL_API int vmaccel_manager_init_smmu(vmaccel_manager *m)
{
    int rc = va_manager_check(m);
    if (rc)
        return rc;
    pthread_mutex_lock(&m->lock);
    rc = init_smmu_locked(m);
    pthread_mutex_unlock(&m->lock);
    return rc;
}

/* Called with m->lock held. vCPUs can be placed when this process may use
 * at least one CPU: it is the cpuset the applier will intersect with. */
static int init_affinity_locked(vmaccel_manager *m)
{
    if (m->topology->nallowed == 0)
        return va_fail(VMACCEL_ESTATE, "this process may run on no CPU of the "
                       "topology (%s): nothing to place vCPUs on",
                       m->topology->source);
    set_component(m, VMACCEL_COMPONENT_VCPU_AFFINITY, VMACCEL_COMPONENT_ON, NULL);
    return 0;
}

VMACCEL_API int vmaccel_manager_init_vcpu_affinity(vmaccel_manager *m)
{
    int rc = va_manager_check(m);
    if (rc)
        return rc;
    pthread_mutex_lock(&m->lock);
    rc = init_affinity_locked(m);
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static int enable_numa_locked(vmaccel_manager *m, unsigned numa_nodes)
{
    unsigned have = va_topology_nodes(m->topology);
    if (numa_nodes != have)
        return va_fail(VMACCEL_EINVAL, "enable_numa(%u): the topology (%s) has "
                       "%u NUMA node%s", numa_nodes, m->topology->source, have,
                       have == 1 ? "" : "s");
    set_component(m, VMACCEL_COMPONENT_NUMA, VMACCEL_COMPONENT_ON, NULL);
    return 0;
}

VMACCEL_API int vmaccel_manager_enable_numa(vmaccel_manager *m, unsigned numa_nodes)
{
    int rc = va_manager_check(m);
    if (rc)
        return rc;
    pthread_mutex_lock(&m->lock);
    rc = enable_numa_locked(m, numa_nodes);
    pthread_mutex_unlock(&m->lock);
    if (!rc)
        rc = va_numa_enable(m); /* arms the engine's timer on the loop */
    return rc;
}

VMACCEL_API int vmaccel_manager_disable_numa(vmaccel_manager *m)
{
    int rc = va_manager_check(m);
    if (rc)
        return rc;
    pthread_mutex_lock(&m->lock);
    set_component(m, VMACCEL_COMPONENT_NUMA, VMACCEL_COMPONENT_OFF, NULL);
    pthread_mutex_unlock(&m->lock);
    va_numa_disable(m);
    return 0;
}

/* Tries one component for setup_full; a failure becomes SKIPPED + reason,
 * except running out of memory, which is the caller's problem. */
static int try_component(vmaccel_manager *m, vmaccel_component c, int rc)
{
    if (rc == 0 || rc == VMACCEL_ENOMEM)
        return rc;
    set_component(m, c, VMACCEL_COMPONENT_SKIPPED, vmaccel_error_last());
    return 0;
}

static int setup_numa_locked(vmaccel_manager *m)
{
    unsigned nodes = va_topology_nodes(m->topology);
    if (nodes < 2) {
        char why[VA_REASON_LEN];
        snprintf(why, sizeof why, "the host has %u NUMA node: no remote memory "
                 "to balance", nodes);
        set_component(m, VMACCEL_COMPONENT_NUMA, VMACCEL_COMPONENT_SKIPPED, why);
        return 0;
    }
    return try_component(m, VMACCEL_COMPONENT_NUMA, enable_numa_locked(m, nodes));
}

VMACCEL_API int vmaccel_manager_setup_full(vmaccel_manager *m)
{
    int rc = va_manager_check(m);
    if (rc)
        return rc;
    pthread_mutex_lock(&m->lock);
    rc = try_component(m, VMACCEL_COMPONENT_SMMU, init_smmu_locked(m));
    if (!rc)
        rc = try_component(m, VMACCEL_COMPONENT_VCPU_AFFINITY, init_affinity_locked(m));
    if (!rc)
        rc = setup_numa_locked(m);
    bool numa_on = m->component[VMACCEL_COMPONENT_NUMA].state == VMACCEL_COMPONENT_ON;
    pthread_mutex_unlock(&m->lock);
    if (!rc && numa_on)
        rc = va_numa_enable(m);
    if (!rc)
        va_clear_error();
    return rc;
}

VMACCEL_API int vmaccel_manager_component(const vmaccel_manager *m,
                                          vmaccel_component component,
                                          vmaccel_component_state *state,
                                          char *reason, size_t reason_len)
{
    int rc = va_manager_check(m);
    if (rc)
        return rc;
    if ((unsigned)component >= VMACCEL_COMPONENT_COUNT_)
        return va_fail(VMACCEL_EINVAL, "unknown component %d", (int)component);
    if (!state || (reason_len && !reason))
        return va_fail(VMACCEL_EINVAL, "state is NULL, or reason is NULL with a "
                       "non-zero length");
    vmaccel_manager *mm = (vmaccel_manager *)m;
    pthread_mutex_lock(&mm->lock);
    *state = m->component[component].state;
    if (reason_len)
        snprintf(reason, reason_len, "%s", m->component[component].reason);
    pthread_mutex_unlock(&mm->lock);
    return 0;
}
