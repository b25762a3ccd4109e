/* The host model's storage and the formulas of model.h. */
#include "numa/model.h"

#include "core/error.h"
#include "numa/locality.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int alloc_arrays(va_host_model *m)
{
    size_t per = m->nclients * m->nodes + 1;
    m->node = calloc(m->nodes, sizeof *m->node);
    m->vms = calloc(m->nvms + 1, sizeof *m->vms);
    m->clients = calloc(m->nclients + 1, sizeof *m->clients);
    m->vcpus_on = calloc(per, sizeof *m->vcpus_on);
    m->fixed_on = calloc(per, sizeof *m->fixed_on);
    m->bytes_on = calloc(per, sizeof *m->bytes_on);
    if (m->node && m->vms && m->clients && m->vcpus_on && m->fixed_on && m->bytes_on)
        return 0;
    va_model_release(m);
    return va_fail(VMACCEL_ENOMEM, "out of memory for the host model (%zu VMs)", m->nvms);
}

int va_model_init(va_host_model *m, unsigned nodes, size_t nvms, size_t nclients)
{
    memset(m, 0, sizeof *m);
    if (nodes == 0 || nodes > VA_MAX_NODES)
        return va_fail(VMACCEL_EINVAL, "%u NUMA nodes: the engine handles 1..%d", nodes,
                       VA_MAX_NODES);
    m->nodes = nodes;
    m->nvms = nvms;
    m->nclients = nclients;
    int rc = alloc_arrays(m);
    for (size_t c = 0; !rc && c < nclients; c++)
        m->clients[c].cpu_nodes = m->clients[c].mem_nodes = UINT64_MAX;
    return rc;
}

void va_model_release(va_host_model *m)
{
    free(m->node);
    free(m->vms);
    free(m->clients);
    free(m->vcpus_on);
    free(m->fixed_on);
    free(m->bytes_on);
    memset(m, 0, sizeof *m);
}

int va_model_copy(const va_host_model *src, va_host_model *dst)
{
    memset(dst, 0, sizeof *dst);
    dst->nodes = src->nodes;
    dst->nvms = src->nvms;
    dst->nclients = src->nclients;
    int rc = alloc_arrays(dst);
    if (rc)
        return rc;
    size_t per = src->nclients * src->nodes;
    memcpy(dst->node, src->node, src->nodes * sizeof *dst->node);
    memcpy(dst->vms, src->vms, src->nvms * sizeof *dst->vms);
    memcpy(dst->clients, src->clients, src->nclients * sizeof *dst->clients);
    memcpy(dst->vcpus_on, src->vcpus_on, per * sizeof *dst->vcpus_on);
    memcpy(dst->fixed_on, src->fixed_on, per * sizeof *dst->fixed_on);
    memcpy(dst->bytes_on, src->bytes_on, per * sizeof *dst->bytes_on);
    return 0;
}

double va_model_client_rate(const va_host_model *m, size_t c, const unsigned *vcpus)
{
    const va_model_client *cl = &m->clients[c];
    const unsigned *v = vcpus ? vcpus : va_model_vcpus(m, c);
    const unsigned *f = va_model_fixed(m, c);
    const uint64_t *b = va_model_bytes(m, c);
    double local = 0;
    unsigned all = 0;
    for (unsigned n = 0; n < m->nodes; n++) {
        local += (double)(v[n] + f[n]) * (double)b[n];
        all += v[n] + f[n];
    }
    if (all == 0 || cl->bytes == 0)
        return NAN;
    return local / ((double)all * (double)cl->bytes);
}

unsigned va_model_room(const va_host_model *m, size_t c, unsigned n)
{
    const va_model_node *nd = &m->node[n];
    unsigned own = va_model_vcpus(m, c)[n];
    unsigned others = nd->vcpus > own ? nd->vcpus - own : 0;
    unsigned taken = others + nd->other_busy;
    unsigned room = nd->pus > taken ? nd->pus - taken : 0;
    return room > own ? room : own;
}

double va_model_host_rate(const va_host_model *m)
{
    double local = 0, all = 0;
    for (size_t c = 0; c < m->nclients; c++) {
        double r = va_model_client_rate(m, c, NULL), w = m->clients[c].weight;
        if (isnan(r) || w <= 0)
            continue;
        local += w * r;
        all += w;
    }
    return all > 0 ? local / all : NAN;
}
