#include "topology_report.h"

#include "core/error.h"
#include "report/encode.h"

#include <string.h>

static uint32_t *copy_u32(va_arena *a, const unsigned *src, unsigned n)
{
    uint32_t *dst = va_arena_array(a, n, sizeof *dst);
    for (unsigned i = 0; dst && i < n; i++)
        dst[i] = src[i];
    return dst;
}

static int32_t cache_ref(unsigned index)
{
    return index == VMACCEL_NO_INDEX ? -1 : (int32_t)index;
}

static Vmaccel__V1__Package *package_msg(const vmaccel_topology *t, unsigned i,
                                         va_arena *a)
{
    Vmaccel__V1__Package *p = va_arena_alloc(a, sizeof *p);
    if (!p)
        return NULL;
    vmaccel__v1__package__init(p);
    const va_topo_object *o = &t->objects[VMACCEL_OBJ_PACKAGE][i];
    p->index = i;
    p->n_cpus = o->ncpus;
    p->cpus = copy_u32(a, o->cpus, o->ncpus);
    return p;
}

static Vmaccel__V1__NumaNode *node_msg(const vmaccel_topology *t, unsigned i,
                                       va_arena *a)
{
    Vmaccel__V1__NumaNode *n = va_arena_alloc(a, sizeof *n);
    unsigned nodes = va_topology_nodes(t);
    if (!n)
        return NULL;
    vmaccel__v1__numa_node__init(n);
    const va_topo_object *o = &t->objects[VMACCEL_OBJ_NUMA_NODE][i];
    n->index = i;
    n->os_index = o->os_index;
    n->memory_bytes = o->size_bytes;
    n->n_cpus = o->ncpus;
    n->cpus = copy_u32(a, o->cpus, o->ncpus);
    n->n_distances = nodes;
    n->distances = copy_u32(a, &t->distance[i * nodes], nodes);
    return n;
}

static Vmaccel__V1__Core *core_msg(const vmaccel_topology *t, unsigned i,
                                   va_arena *a)
{
    Vmaccel__V1__Core *c = va_arena_alloc(a, sizeof *c);
    if (!c)
        return NULL;
    vmaccel__v1__core__init(c);
    const va_topo_object *o = &t->objects[VMACCEL_OBJ_CORE][i];
    c->index = i;
    c->n_cpus = o->ncpus;
    c->cpus = copy_u32(a, o->cpus, o->ncpus);
    unsigned pu = o->ncpus ? va_topology_pu_by_os(t, o->cpus[0]) : VMACCEL_NO_INDEX;
    if (pu != VMACCEL_NO_INDEX) {
        c->package = t->pus[pu].package;
        c->numa_node = t->pus[pu].node;
    }
    return c;
}

static Vmaccel__V1__Pu *pu_msg(const vmaccel_topology *t, unsigned i, va_arena *a)
{
    Vmaccel__V1__Pu *p = va_arena_alloc(a, sizeof *p);
    if (!p)
        return NULL;
    vmaccel__v1__pu__init(p);
    const va_topo_pu *pu = &t->pus[i];
    p->os_index = pu->os_index;
    p->core = pu->core;
    p->package = pu->package;
    p->numa_node = pu->node;
    p->l1 = cache_ref(pu->cache[0]);
    p->l2 = cache_ref(pu->cache[1]);
    p->l3 = cache_ref(pu->cache[2]);
    p->allowed = pu->allowed;
    return p;
}

static Vmaccel__V1__Cache *cache_msg(const vmaccel_topology *t,
                                     vmaccel_object_kind kind, unsigned i,
                                     va_arena *a)
{
    Vmaccel__V1__Cache *c = va_arena_alloc(a, sizeof *c);
    if (!c)
        return NULL;
    vmaccel__v1__cache__init(c);
    const va_topo_object *o = &t->objects[kind][i];
    c->level = o->level;
    c->index = i;
    c->size_bytes = o->size_bytes;
    c->line_size = o->line_size;
    c->n_cpus = o->ncpus;
    c->cpus = copy_u32(a, o->cpus, o->ncpus);
    return c;
}

static void fill_caches(const vmaccel_topology *t, Vmaccel__V1__Topology *m,
                        va_arena *a)
{
    size_t total = t->count[VMACCEL_OBJ_L1_CACHE] + t->count[VMACCEL_OBJ_L2_CACHE] +
                   t->count[VMACCEL_OBJ_L3_CACHE];
    m->caches = va_arena_array(a, total, sizeof *m->caches);
    if (!m->caches)
        return;
    for (int k = VMACCEL_OBJ_L1_CACHE; k <= VMACCEL_OBJ_L3_CACHE; k++)
        for (unsigned i = 0; i < t->count[k]; i++)
            m->caches[m->n_caches++] = cache_msg(t, (vmaccel_object_kind)k, i, a);
}

/* Fills a repeated message field: n elements made by make(t, i, a). */
#define FILL_REPEATED(field, count, make)                                   \
    do {                                                                    \
        m->field = va_arena_array(a, (count), sizeof *m->field);            \
        for (unsigned i_ = 0; m->field && i_ < (count); i_++)               \
            m->field[m->n_##field++] = make(t, i_, a);                      \
    } while (0)

Vmaccel__V1__Topology *va_report_topology(const vmaccel_topology *t, va_arena *a)
{
    Vmaccel__V1__Topology *m = va_arena_alloc(a, sizeof *m);
    if (!m)
        return NULL;
    vmaccel__v1__topology__init(m);
    m->source = va_arena_strdup(a, t->source);
    FILL_REPEATED(packages, t->count[VMACCEL_OBJ_PACKAGE], package_msg);
    FILL_REPEATED(numa_nodes, t->count[VMACCEL_OBJ_NUMA_NODE], node_msg);
    FILL_REPEATED(cores, t->count[VMACCEL_OBJ_CORE], core_msg);
    FILL_REPEATED(pus, t->count[VMACCEL_OBJ_PU], pu_msg);
    fill_caches(t, m, a);
    m->n_allowed_cpus = t->nallowed;
    m->allowed_cpus = copy_u32(a, t->allowed, t->nallowed);
    return a->failed ? NULL : m;
}

VMACCEL_API int vmaccel_topology_report(const vmaccel_topology *topo,
                                        vmaccel_format format, vmaccel_buf *out)
{
    int rc = va_handle_check(topo, VA_HANDLE_TOPOLOGY, "topology");
    if (rc)
        return rc;
    va_arena a = VA_ARENA_INIT;
    Vmaccel__V1__Topology *m = va_report_topology(topo, &a);
    rc = m ? va_report_encode(&m->base, format, out)
           : va_fail(VMACCEL_ENOMEM, "out of memory building a topology report");
    va_arena_free(&a);
    return rc;
}
