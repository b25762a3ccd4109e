/* The manager's DiagnosticReport. */
#include "core/error.h"
#include "core/manager_internal.h"
#include "loop/events.h"
#include "numa/engine.h"
#include "report/encode.h"
#include "report/smmu_section.h"
#include "report/topology_report.h"
#include "vmm/vm_report.h"
#include "vmaccel/report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* VMACCEL_REPORT_TIMESTAMP=<ns> fixes the report's clock, so that the same
 * scenario gives byte-identical reports (the C/Python/Go parity test). */
static uint64_t report_timestamp(void)
{
    const char *fixed = getenv("VMACCEL_REPORT_TIMESTAMP");
    if (fixed && *fixed) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(fixed, &end, 10);
        if (!errno && !*end)
            return v;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const Vmaccel__V1__ProbeStatus probe_status[] = {
    [VMACCEL_HV_AVAILABLE] = VMACCEL__V1__PROBE_STATUS__PROBE_STATUS_AVAILABLE,
    [VMACCEL_HV_UNAVAILABLE] = VMACCEL__V1__PROBE_STATUS__PROBE_STATUS_UNAVAILABLE,
    [VMACCEL_HV_NOT_APPLICABLE] = VMACCEL__V1__PROBE_STATUS__PROBE_STATUS_NOT_APPLICABLE,
};

static Vmaccel__V1__Hypervisor *hypervisor_msg(const vmaccel_hv_info *hv,
                                               vmaccel_hypervisor kind, va_arena *a)
{
    Vmaccel__V1__Hypervisor *h = va_arena_alloc(a, sizeof *h);
    if (!h)
        return NULL;
    vmaccel__v1__hypervisor__init(h);
    h->kind = (Vmaccel__V1__HypervisorKind)(kind + 1); /* enum is 1-based */
    h->status = probe_status[hv->status];
    h->reason = va_arena_strdup(a, hv->reason);
    h->api_version = hv->api_version;
    h->max_vcpus = hv->max_vcpus;
    h->recommended_vcpus = hv->recommended_vcpus;
    return h;
}

static Vmaccel__V1__IommuUnit *unit_msg(const va_iommu_probe *p, unsigned i,
                                        const char *sysfs, va_arena *a)
{
    Vmaccel__V1__IommuUnit *u = va_arena_alloc(a, sizeof *u);
    char path[VA_PATH_LEN + 96];
    if (!u)
        return NULL;
    vmaccel__v1__iommu_unit__init(u);
    u->name = va_arena_strdup(a, p->unit_name[i]);
    u->kind = (Vmaccel__V1__IommuKind)p->unit_kind[i];
    snprintf(path, sizeof path, "%s/class/iommu/%s", sysfs, p->unit_name[i]);
    u->path = va_arena_strdup(a, path);
    return u;
}

static Vmaccel__V1__Iommu *iommu_msg(const vmaccel_manager *m, va_arena *a)
{
    const va_iommu_probe *p = &m->iommu;
    Vmaccel__V1__Iommu *io = va_arena_alloc(a, sizeof *io);
    if (!io)
        return NULL;
    vmaccel__v1__iommu__init(io);
    io->present = p->info.present;
    io->reason = va_arena_strdup(a, p->info.reason);
    io->group_count = p->info.groups;
    unsigned units = p->info.units < VA_MAX_IOMMU_UNITS ? p->info.units : VA_MAX_IOMMU_UNITS;
    io->units = va_arena_array(a, units, sizeof *io->units);
    for (unsigned i = 0; io->units && i < units; i++)
        io->units[io->n_units++] = unit_msg(p, i, m->roots.sysfs, a);
    unsigned dt = p->info.dt_smmuv3_nodes < VA_MAX_IOMMU_UNITS ? p->info.dt_smmuv3_nodes
                                                               : VA_MAX_IOMMU_UNITS;
    io->dt_smmuv3_nodes = va_arena_array(a, dt, sizeof *io->dt_smmuv3_nodes);
    for (unsigned i = 0; io->dt_smmuv3_nodes && i < dt; i++)
        io->dt_smmuv3_nodes[io->n_dt_smmuv3_nodes++] = va_arena_strdup(a, p->dt_node[i]);
    return io;
}

static const char *const component_name[VMACCEL_COMPONENT_COUNT_] = {
    "smmu", "vcpu_affinity", "numa"};

/* Called with m->lock held. */
static Vmaccel__V1__ManagerState *state_msg(const vmaccel_manager *m, va_arena *a)
{
    Vmaccel__V1__ManagerState *s = va_arena_alloc(a, sizeof *s);
    if (!s)
        return NULL;
    vmaccel__v1__manager_state__init(s);
    const va_component *c = m->component;
    s->smmu_initialized = c[VMACCEL_COMPONENT_SMMU].state == VMACCEL_COMPONENT_ON;
    s->vcpu_affinity_initialized =
        c[VMACCEL_COMPONENT_VCPU_AFFINITY].state == VMACCEL_COMPONENT_ON;
    s->numa_enabled = c[VMACCEL_COMPONENT_NUMA].state == VMACCEL_COMPONENT_ON;
    s->components = va_arena_array(a, VMACCEL_COMPONENT_COUNT_, sizeof *s->components);
    for (int i = 0; s->components && i < VMACCEL_COMPONENT_COUNT_; i++) {
        Vmaccel__V1__Component *cm = va_arena_alloc(a, sizeof *cm);
        if (!cm)
            return NULL;
        vmaccel__v1__component__init(cm);
        cm->name = (char *)component_name[i];
        cm->state = (Vmaccel__V1__ComponentState)c[i].state;
        cm->reason = va_arena_strdup(a, c[i].reason);
        s->components[s->n_components++] = cm;
    }
    return s;
}

static void fill_host(const vmaccel_manager *m, Vmaccel__V1__DiagnosticReport *r,
                      va_arena *a)
{
    r->topology = va_report_topology(m->topology, a);
    r->hypervisors = va_arena_array(a, VMACCEL_HV_COUNT_, sizeof *r->hypervisors);
    for (int i = 0; r->hypervisors && i < VMACCEL_HV_COUNT_; i++)
        r->hypervisors[r->n_hypervisors++] =
            hypervisor_msg(&m->hv[i], (vmaccel_hypervisor)i, a);
    r->iommu = iommu_msg(m, a);
}

/* Called with m->lock held: component state, the VMs with their
 * placements, the SMMU model and the recent events are read as one
 * snapshot (the VM, SMMU and events locks all come after the manager's). */
static int fill_state(vmaccel_manager *m, Vmaccel__V1__DiagnosticReport *r, va_arena *a)
{
    r->manager = state_msg(m, a);
    int rc = va_vm_report_fill(m, r, a);
    if (!rc)
        rc = va_report_smmu(m->smmu, r, a);
    size_t n = 0;
    if (!rc)
        rc = va_events_recent(m, a, &r->recent_events, &n);
    r->n_recent_events = n;
    return rc;
}

VMACCEL_API int vmaccel_manager_report(const vmaccel_manager *m,
                                       vmaccel_format format, vmaccel_buf *out)
{
    int rc = va_manager_check(m);
    if (rc)
        return rc;
    if (!out)
        return va_fail(VMACCEL_EINVAL, "output buffer pointer is NULL");
    va_arena a = VA_ARENA_INIT;
    Vmaccel__V1__DiagnosticReport r = VMACCEL__V1__DIAGNOSTIC_REPORT__INIT;
    r.library_version = (char *)vmaccel_version();
    r.timestamp_ns = report_timestamp();
    fill_host(m, &r, &a);
    vmaccel_manager *mm = (vmaccel_manager *)m;
    pthread_mutex_lock(&mm->lock);
    rc = fill_state(mm, &r, &a);
    pthread_mutex_unlock(&mm->lock);
    /* Not under the manager's lock: the engine's lock comes first. */
    if (!rc)
        rc = va_numa_report(mm, &r, &a);
    if (!rc)
        rc = a.failed ? va_fail(VMACCEL_ENOMEM, "out of memory building a report")
                      : va_report_encode(&r.base, format, out);
    va_arena_free(&a);
    return rc;
}
