/* The report's locality section from the engine's latest view. */
#include "numa/engine.h"

static const char *source_name(va_locality_source s)
{
    return s == VA_SOURCE_NUMA_FAULTS ? "numa_faults"
           : s == VA_SOURCE_PAGE_PLACEMENT ? "page_placement" : "none";
}

static Vmaccel__V1__Locality *locality_msg(const va_numa_vm *s, unsigned nodes,
                                           va_arena *a)
{
    Vmaccel__V1__Locality *l = va_arena_alloc(a, sizeof *l);
    if (!l)
        return NULL;
    vmaccel__v1__locality__init(l);
    l->vm_id = s->vm_id;
    l->local_rate = s->have_loc ? s->local_rate : 0.0;
    l->source = (char *)source_name(s->have_loc ? s->source : VA_SOURCE_NONE);
    l->vcpu_local_rate = va_arena_array(a, s->nvcpus, sizeof *l->vcpu_local_rate);
    for (size_t i = 0; l->vcpu_local_rate && i < s->nvcpus; i++) {
        double r = s->vcpu_rate[i];
        l->vcpu_local_rate[l->n_vcpu_local_rate++] = r == r ? r : 0.0; /* NaN: 0 */
    }
    nodes = s->nodes < nodes ? s->nodes : nodes;
    l->pages_per_node = va_arena_array(a, nodes, sizeof *l->pages_per_node);
    for (unsigned n = 0; l->pages_per_node && n < nodes; n++) {
        uint64_t pages = 0;
        for (unsigned c = 0; c < s->nclients; c++)
            pages += s->client_pages[c * s->nodes + n];
        l->pages_per_node[l->n_pages_per_node++] = pages;
    }
    return l;
}

int va_numa_report(vmaccel_manager *m, Vmaccel__V1__DiagnosticReport *r, va_arena *a)
{
    va_numa_engine *e = va_numa_existing(m);
    if (!e)
        return 0;
    unsigned nodes = va_topology_nodes(m->topology);
    if (nodes > VA_MAX_NODES)
        nodes = VA_MAX_NODES;
    pthread_mutex_lock(&e->lock);
    size_t n = 0;
    for (const va_numa_vm *s = e->vms; s; s = s->next)
        n += s->samples > 0;
    r->locality = va_arena_array(a, n, sizeof *r->locality);
    for (const va_numa_vm *s = e->vms; r->locality && s; s = s->next)
        if (s->samples > 0)
            r->locality[r->n_locality++] = locality_msg(s, nodes, a);
    pthread_mutex_unlock(&e->lock);
    return a->failed ? -1 : 0;
}
