/*
 * The platform of a VM acted on through libvirt (see vmm/libvirt.h): the
 * linux table with three operations replaced.
 *  set_affinity       virDomainPinVcpuFlags(AFFECT_LIVE) for a vCPU thread
 *                     (libvirt rewrites the vCPU's cgroup, its affinity and
 *                     its live <vcpupin>), then vm-accel's record of its pin
 *                     in the domain's metadata; other threads: linux
 *  move_pages         when libvirt holds the memory policy in cpuset.mems
 *                     (numatune strict/restrictive with a nodeset) and a
 *                     target node is outside it, the nodeset is set to the
 *                     targets first (virDomainSetNumaParameters, live), or
 *                     the kernel would refuse the moves
 *  managed_placement  the live XML's <vcpupin>, <numatune> and records
 *
 * Locking: lv_vm.lock guards the record, the cached facts and the
 * tid -> vCPU map; libvirt calls are made with it held (they are one RPC
 * each and libvirt's keepalive bounds a dead connection).
 */
#include "vmm/libvirt/lv.h"

#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lv_vm {
    va_platform plat;            /* first: &plat is the lv_vm */
    virConnectPtr conn;
    virDomainPtr dom;
    char uri[256];               /* "" = libvirt's default */
    char uuid[VIR_UUID_STRING_BUFLEN];
    pthread_mutex_t lock;
    int *tids;                   /* by vCPU index */
    size_t ntids;
    lv_facts facts;              /* the XML as last read */
    bool have_facts;
};

lv_vm *lv_vm_of(const va_platform *p)
{
    return (lv_vm *)p->ctx;
}

/* A connection that dropped (libvirtd restarted) is opened again once and
 * the domain found again by UUID; a domain gone meanwhile is VMACCEL_EGONE. */
static int ensure_locked(lv_vm *v)
{
    if (lv_api.virConnectIsAlive(v->conn) == 1)
        return 0;
    virConnectPtr conn;
    virDomainPtr dom;
    int rc = lv_open(v->uri[0] ? v->uri : NULL, &conn);
    if (rc)
        return va_fail(VMACCEL_EIO, "the libvirt connection dropped and reconnecting "
                       "failed: %s", vmaccel_error_last());
    if ((rc = lv_lookup(conn, v->uuid, &dom)) != 0) {
        lv_api.virConnectClose(conn);
        return va_fail(rc == VMACCEL_ENOENT ? VMACCEL_EGONE : rc, "after the libvirt "
                       "connection dropped: %s", vmaccel_error_last());
    }
    lv_api.virDomainFree(v->dom);
    lv_api.virConnectClose(v->conn);
    v->conn = conn;
    v->dom = dom;
    return 0;
}

static int read_facts_locked(lv_vm *v)
{
    int rc = ensure_locked(v);
    if (rc)
        return rc;
    char *xml = lv_api.virDomainGetXMLDesc(v->dom, 0);
    if (!xml)
        return lv_fail(VMACCEL_EIO, "libvirt domain %s: reading its XML",
                       lv_api.virDomainGetName(v->dom));
    lv_facts f;
    rc = lv_parse_domain_xml(xml, strlen(xml), &f);
    free(xml);
    if (rc)
        return rc;
    lv_facts_free(&v->facts);
    v->facts = f;
    v->have_facts = true;
    return 0;
}

static int vcpu_of_locked(const lv_vm *v, int tid)
{
    for (size_t i = 0; i < v->ntids; i++)
        if (v->tids[i] == tid)
            return (int)i;
    return -1;
}

static unsigned char *cpumap_of(const va_cpumask *cpus, int *maplen)
{
    int last = -1;
    for (unsigned c = 0; c < VA_MAX_CPUS; c++)
        if (va_cpumask_isset(cpus, c))
            last = (int)c;
    *maplen = last / 8 + 1;
    unsigned char *map = calloc((size_t)*maplen, 1);
    for (int c = 0; map && c <= last; c++)
        if (va_cpumask_isset(cpus, (unsigned)c))
            VIR_USE_CPU(map, c);
    return map;
}

/* The domain's CPUs: <vcpu cpuset> or every online CPU. */
static void domain_cpus_locked(const lv_vm *v, va_cpumask *out)
{
    if (!v->facts.vcpu_cpuset[0] || lv_parse_cpuset(v->facts.vcpu_cpuset, out))
        v->plat.online_cpus(&v->plat, out);
}

/* Whether `cpuset` (libvirt syntax; "" = none) restricts nothing. */
static bool unrestricted_locked(const lv_vm *v, const char *cpuset)
{
    va_cpumask mine, all, common;
    if (!cpuset[0] || lv_parse_cpuset(cpuset, &mine))
        return true;
    domain_cpus_locked(v, &all);
    va_cpumask_and(&common, &mine, &all);
    return va_cpumask_equal(&common, &all);
}

/* Updates vm-accel's record for vCPU i after pinning it to `cpus`: kept
 * with the pin it replaced, or dropped when the pin gives back what was
 * there before vm-accel (a restore). */
static int record_locked(lv_vm *v, unsigned i, const va_cpumask *cpus)
{
    lv_pin_record *r = &v->facts.ours[i];
    char now[256];
    va_cpumask was;
    va_cpumask_format(cpus, now, sizeof now);
    if (!r->present) {
        snprintf(r->was, sizeof r->was, "%s",
                 unrestricted_locked(v, v->facts.vcpupin[i]) ? "" : v->facts.vcpupin[i]);
        r->present = true;
    }
    bool back = r->was[0] ? lv_parse_cpuset(r->was, &was) == 0 && va_cpumask_equal(&was, cpus)
                          : unrestricted_locked(v, now);
    if (back)
        r->present = false;
    else
        snprintf(r->cpuset, sizeof r->cpuset, "%s", now);
    snprintf(v->facts.vcpupin[i], sizeof v->facts.vcpupin[i], "%s", now);
    char *xml = lv_pins_xml(v->facts.ours, v->facts.vcpus);
    if (!xml)
        return va_fail(VMACCEL_ENOMEM, "out of memory for vm-accel's pin record");
    int rc = lv_api.virDomainSetMetadata(v->dom, VIR_DOMAIN_METADATA_ELEMENT, xml, LV_NS_PREFIX,
                                  LV_NS_URI, VIR_DOMAIN_AFFECT_LIVE);
    free(xml);
    return rc < 0 ? lv_fail(VMACCEL_EIO, "libvirt domain %s: recording vm-accel's pin in "
                            "its metadata", lv_api.virDomainGetName(v->dom))
                  : 0;
}

static int pin_vcpu_locked(lv_vm *v, unsigned i, const va_cpumask *cpus)
{
    int rc = v->have_facts ? ensure_locked(v) : read_facts_locked(v);
    if (!rc && i >= v->facts.vcpus)
        rc = va_fail(VMACCEL_EINVAL, "vCPU %u: libvirt domain %s has %u", i,
                     lv_api.virDomainGetName(v->dom), v->facts.vcpus);
    int maplen = 0;
    unsigned char *map = rc ? NULL : cpumap_of(cpus, &maplen);
    if (!rc && !map)
        rc = va_fail(VMACCEL_ENOMEM, "out of memory for a CPU map");
    if (!rc &&
        lv_api.virDomainPinVcpuFlags(v->dom, i, map, maplen, VIR_DOMAIN_AFFECT_LIVE) < 0) {
        char list[128];
        va_cpumask_format(cpus, list, sizeof list);
        rc = lv_fail(VMACCEL_EIO, "virDomainPinVcpuFlags(%s, vCPU %u, CPUs %s)",
                     lv_api.virDomainGetName(v->dom), i, list);
    }
    free(map);
    return rc ? rc : record_locked(v, i, cpus);
}

static int set_affinity(const va_platform *p, int tid, const va_cpumask *cpus)
{
    lv_vm *v = lv_vm_of(p);
    pthread_mutex_lock(&v->lock);
    int i = vcpu_of_locked(v, tid);
    int rc = i >= 0 ? pin_vcpu_locked(v, (unsigned)i, cpus)
                    : va_platform_linux()->set_affinity(p, tid, cpus);
    pthread_mutex_unlock(&v->lock);
    return rc;
}

static int lv_set_affinity(const va_platform *p, int tid, const va_cpumask *cpus)
{
    lv_quiet q;
    lv_quiet_begin(&q);
    int rc = set_affinity(p, tid, cpus);
    lv_quiet_end(&q);
    return rc;
}

/* The nodes a move asks for that libvirt's strict nodeset leaves out. */
static bool outside_nodeset_locked(const lv_vm *v, size_t count, const int *nodes,
                                   va_cpumask *want)
{
    va_cpumask set;
    if (strcmp(v->facts.mem_mode, "strict") && strcmp(v->facts.mem_mode, "restrictive"))
        return false;
    if (!v->facts.mem_nodeset[0] || lv_parse_cpuset(v->facts.mem_nodeset, &set))
        return false;
    va_cpumask_zero(want);
    bool outside = false;
    for (size_t k = 0; k < count; k++)
        if (nodes[k] >= 0 && nodes[k] < VA_MAX_CPUS) {
            va_cpumask_set(want, (unsigned)nodes[k]);
            outside |= !va_cpumask_isset(&set, (unsigned)nodes[k]);
        }
    return outside;
}

static int widen_nodeset_locked(lv_vm *v, const va_cpumask *nodes)
{
    char list[256];
    va_cpumask_format(nodes, list, sizeof list);
    virTypedParameter param;
    memset(&param, 0, sizeof param);
    snprintf(param.field, sizeof param.field, "%s", VIR_DOMAIN_NUMA_NODESET);
    param.type = VIR_TYPED_PARAM_STRING;
    param.value.s = list;
    if (lv_api.virDomainSetNumaParameters(v->dom, &param, 1, VIR_DOMAIN_AFFECT_LIVE) < 0)
        return lv_fail(VMACCEL_EIO, "virDomainSetNumaParameters(%s, nodeset %s)",
                       lv_api.virDomainGetName(v->dom), list);
    snprintf(v->facts.mem_nodeset, sizeof v->facts.mem_nodeset, "%s", list);
    return 0;
}

static int pages_move(const va_platform *p, int pid, size_t count, void *const *pages,
                      const int *nodes, int *status)
{
    lv_vm *v = lv_vm_of(p);
    int rc = 0;
    if (nodes) {
        va_cpumask want;
        pthread_mutex_lock(&v->lock);
        rc = v->have_facts ? 0 : read_facts_locked(v);
        if (!rc && outside_nodeset_locked(v, count, nodes, &want))
            rc = widen_nodeset_locked(v, &want);
        pthread_mutex_unlock(&v->lock);
    }
    return rc ? rc : va_platform_linux()->move_pages(p, pid, count, pages, nodes, status);
}

static int lv_move_pages(const va_platform *p, int pid, size_t count, void *const *pages,
                         const int *nodes, int *status)
{
    lv_quiet q;
    lv_quiet_begin(&q);
    int rc = pages_move(p, pid, count, pages, nodes, status);
    lv_quiet_end(&q);
    return rc;
}

static void managed_vcpu_locked(const lv_vm *v, unsigned i, va_managed_vcpu *out)
{
    const char *pin = v->facts.vcpupin[i];
    memset(out, 0, sizeof *out);
    if (unrestricted_locked(v, pin) || lv_parse_cpuset(pin, &out->cpus))
        return;
    out->pinned = true;
    va_cpumask ours;
    const lv_pin_record *r = &v->facts.ours[i];
    out->by_vmaccel = r->present && lv_parse_cpuset(r->cpuset, &ours) == 0 &&
                      va_cpumask_equal(&ours, &out->cpus);
    snprintf(out->source, sizeof out->source, "libvirt <vcpupin vcpu='%u' cpuset='%s'/>%s",
             i, pin, out->by_vmaccel ? " (set by vm-accel)" : "");
}

static int managed(const va_platform *p, va_managed *out)
{
    lv_vm *v = lv_vm_of(p);
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&v->lock);
    int rc = read_facts_locked(v);
    const lv_facts *f = &v->facts;
    out->vcpus = rc ? NULL : calloc(f->vcpus, sizeof *out->vcpus);
    if (!rc && !out->vcpus)
        rc = va_fail(VMACCEL_ENOMEM, "out of memory for libvirt's placement");
    if (!rc) {
        snprintf(out->what, sizeof out->what, "libvirt domain %s", f->name);
        out->nvcpus = f->vcpus;
        for (unsigned i = 0; i < f->vcpus; i++)
            managed_vcpu_locked(v, i, &out->vcpus[i]);
        out->mem_pinned = f->mem_nodeset[0] && lv_parse_cpuset(f->mem_nodeset,
                                                               &out->mem_nodes) == 0;
        out->mem_strict = !strcmp(f->mem_mode, "strict") || !strcmp(f->mem_mode, "restrictive");
        snprintf(out->mem_source, sizeof out->mem_source,
                 "libvirt <numatune><memory mode='%s' nodeset='%s'/>", f->mem_mode,
                 f->mem_nodeset);
    }
    pthread_mutex_unlock(&v->lock);
    return rc;
}

static int lv_managed(const va_platform *p, va_managed *out)
{
    lv_quiet q;
    lv_quiet_begin(&q);
    int rc = managed(p, out);
    lv_quiet_end(&q);
    return rc;
}

int lv_vm_new(virConnectPtr conn, virDomainPtr dom, const char *uri, lv_vm **out)
{
    lv_vm *v = calloc(1, sizeof *v);
    if (!v)
        return va_fail(VMACCEL_ENOMEM, "out of memory for a libvirt VM");
    v->plat = *va_platform_linux();
    v->plat.name = "libvirt";
    v->plat.ctx = v;
    v->plat.set_affinity = lv_set_affinity;
    v->plat.move_pages = lv_move_pages;
    v->plat.managed_placement = lv_managed;
    v->conn = conn;
    v->dom = dom;
    snprintf(v->uri, sizeof v->uri, "%s", uri ? uri : "");
    if (lv_api.virDomainGetUUIDString(dom, v->uuid) < 0) {
        free(v);
        return lv_fail(VMACCEL_EIO, "libvirt domain %s: UUID", lv_api.virDomainGetName(dom));
    }
    pthread_mutex_init(&v->lock, NULL);
    *out = v;
    return 0;
}

va_platform *lv_vm_platform(lv_vm *v)
{
    return &v->plat;
}

virDomainPtr lv_vm_domain(lv_vm *v)
{
    return v->dom;
}

static void vm_free(va_platform *p)
{
    lv_vm *v = lv_vm_of(p);
    if (!v)
        return;
    lv_facts_free(&v->facts);
    free(v->tids);
    if (v->dom)
        lv_api.virDomainFree(v->dom);
    if (v->conn)
        lv_api.virConnectClose(v->conn);
    pthread_mutex_destroy(&v->lock);
    free(v);
}

void lv_vm_free(va_platform *p)
{
    lv_quiet q;
    lv_quiet_begin(&q);
    vm_free(p);
    lv_quiet_end(&q);
}

int lv_vm_bind(lv_vm *v, const va_vcpu *vcpus, size_t n)
{
    int *tids = calloc(n + 1, sizeof *tids);
    if (!tids)
        return va_fail(VMACCEL_ENOMEM, "out of memory for the vCPU map");
    for (size_t i = 0; i < n; i++) {
        if (vcpus[i].index >= n) {
            free(tids);
            return va_fail(VMACCEL_EINVAL, "vCPU index %u of %zu", vcpus[i].index, n);
        }
        tids[vcpus[i].index] = vcpus[i].tid;
    }
    pthread_mutex_lock(&v->lock);
    free(v->tids);
    v->tids = tids;
    v->ntids = n;
    pthread_mutex_unlock(&v->lock);
    return 0;
}

static int guest_nodes(lv_vm *v, va_vcpu *vcpus, size_t n)
{
    pthread_mutex_lock(&v->lock);
    int rc = v->have_facts ? 0 : read_facts_locked(v);
    for (size_t i = 0; !rc && i < n; i++)
        if (vcpus[i].guest_node < 0 && vcpus[i].index < v->facts.vcpus)
            vcpus[i].guest_node = v->facts.guest_node[vcpus[i].index];
    pthread_mutex_unlock(&v->lock);
    return rc;
}

int lv_vm_guest_nodes(lv_vm *v, va_vcpu *vcpus, size_t n)
{
    lv_quiet q;
    lv_quiet_begin(&q);
    int rc = guest_nodes(v, vcpus, n);
    lv_quiet_end(&q);
    return rc;
}
