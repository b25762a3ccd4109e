/* The sampler (see sampler.h). */
#include "numa/sampler.h"

#include "core/error.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 4096u
#define QUERY_CHUNK 512 /* pages per move_pages call */
/* The first round of an adaptive sample: enough to bound the variance of
 * a placement (an eighth of the worst-case sample, at least this). */
#define FIRST_ROUND_MIN 256

int va_sampler_state_init(va_sampler_state *st, size_t nvcpus, uint64_t seed)
{
    memset(st, 0, sizeof *st);
    va_rng_seed(&st->rng, seed);
    st->last_runtime = calloc(nvcpus ? nvcpus : 1, sizeof *st->last_runtime);
    if (!st->last_runtime)
        return va_fail(VMACCEL_ENOMEM, "out of memory for sampler state");
    st->nvcpus = nvcpus;
    return 0;
}

void va_sampler_state_release(va_sampler_state *st)
{
    free(st->last_runtime);
    memset(st, 0, sizeof *st);
}

static uint64_t region_pages(const va_sample_region *r, size_t nr)
{
    uint64_t total = 0;
    for (size_t i = 0; i < nr; i++)
        total += r[i].length / PAGE;
    return total;
}

/* Address of the idx-th page of the regions taken end to end. */
static void *page_address(const va_sample_region *r, size_t nr, uint64_t idx)
{
    for (size_t i = 0; i < nr; i++) {
        uint64_t n = r[i].length / PAGE;
        if (idx < n)
            return (void *)(uintptr_t)(r[i].start + idx * PAGE);
        idx -= n;
    }
    return NULL;
}

/* Kernel node numbers below this map through a table; the rest (rare
 * sparse numbering) through the topology. */
#define OS_NODE_TABLE 256

typedef struct node_map {
    unsigned logical[OS_NODE_TABLE];
} node_map;

static void build_node_map(const vmaccel_topology *t, node_map *map)
{
    for (unsigned i = 0; i < OS_NODE_TABLE; i++)
        map->logical[i] = VMACCEL_NO_INDEX;
    for (unsigned i = 0; i < va_topology_nodes(t); i++) {
        unsigned os = t->objects[VMACCEL_OBJ_NUMA_NODE][i].os_index;
        if (os < OS_NODE_TABLE)
            map->logical[os] = i;
    }
}

/* Queries one chunk of sampled pages and counts them per logical node. */
static int query_chunk(const va_memory_query *q, const node_map *map, const uint64_t *idx,
                       size_t n, va_memory_sample *out)
{
    void *pages[QUERY_CHUNK];
    int status[QUERY_CHUNK];
    for (size_t i = 0; i < n; i++)
        pages[i] = page_address(q->regions, q->nregions, idx[i]);
    int rc = q->plat->move_pages(q->plat, q->pid, n, pages, NULL, status);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        unsigned node = status[i] >= 0 && status[i] < OS_NODE_TABLE
                            ? map->logical[status[i]] : VMACCEL_NO_INDEX;
        if (node == VMACCEL_NO_INDEX || node >= VA_MAX_NODES)
            continue; /* not resident yet, unmapped, or an unknown node */
        out->pages_on_node[node]++;
        out->pages_resident++;
    }
    return 0;
}

/* One stratified round of n pages, added to out. */
static int sample_round(const va_memory_query *q, const node_map *map, va_rng *rng,
                        size_t n, va_memory_sample *out)
{
    uint64_t *idx = malloc(n * sizeof *idx);
    if (!idx)
        return va_fail(VMACCEL_ENOMEM, "out of memory for %zu sample pages", n);
    va_sample_pages(rng, out->pages_total, n, idx);
    int rc = 0;
    for (size_t off = 0; off < n && !rc; off += QUERY_CHUNK) {
        size_t chunk = n - off < QUERY_CHUNK ? n - off : QUERY_CHUNK;
        rc = query_chunk(q, map, idx + off, chunk, out);
    }
    out->pages_sampled += n;
    free(idx);
    return rc;
}

/* The largest p (1 - p) over the categories seen (each node, and "not
 * resident"), each p moved towards 1/2 by its own uncertainty after n
 * pages: a bound on the variance, not the estimate of it. */
static double variance_bound(const va_memory_sample *s, unsigned nodes)
{
    double n = (double)s->pages_sampled, worst = 0;
    for (unsigned k = 0; k <= nodes; k++) {
        uint64_t count = k < nodes ? s->pages_on_node[k] : s->pages_sampled - s->pages_resident;
        double p = (double)count / n;
        double far = fabs(p - 0.5) - (VA_Z_95 * sqrt(p * (1 - p) / n) + 1.0 / n);
        double q = far > 0 ? 0.5 - far : 0.5;
        worst = q * (1 - q) > worst ? q * (1 - q) : worst;
    }
    return worst;
}

int va_sample_memory(const va_memory_query *q, va_rng *rng, va_memory_sample *out)
{
    memset(out, 0, sizeof *out);
    unsigned nodes = va_topology_nodes(q->topo);
    if (nodes > VA_MAX_NODES)
        return va_fail(VMACCEL_ENOTSUP, "%u NUMA nodes: the sampler handles %d", nodes,
                       VA_MAX_NODES);
    out->pages_total = region_pages(q->regions, q->nregions);
    size_t full = va_sample_size(out->pages_total, q->error, VA_Z_95);
    if (full == 0)
        return 0;
    node_map map;
    build_node_map(q->topo, &map);
    size_t first = full <= FIRST_ROUND_MIN ? full
                   : full / 8 > FIRST_ROUND_MIN ? full / 8 : FIRST_ROUND_MIN;
    int rc = sample_round(q, &map, rng, first, out);
    double pq = rc ? 0.25 : variance_bound(out, nodes);
    size_t needed = va_sample_size_pq(out->pages_total, q->error, VA_Z_95, pq);
    if (!rc && needed > out->pages_sampled)
        rc = sample_round(q, &map, rng, needed - out->pages_sampled, out);
    if (!rc)
        pq = variance_bound(out, nodes);
    double fpc = 1.0 - (double)out->pages_sampled / (double)out->pages_total;
    out->error = VA_Z_95 * sqrt(pq * (fpc > 0 ? fpc : 0) / (double)out->pages_sampled);
    return rc;
}

/* Reads /proc/PID/task/TID/NAME; NULL when the thread is gone. */
static char *read_task(const va_sampler_input *in, int tid, const char *name)
{
    char *text = NULL;
    size_t len;
    if (in->plat->read_proc(in->plat, in->pid, tid, name, &text, &len) != 0)
        return NULL;
    return text;
}

static void observe_vcpu(const va_sampler_input *in, va_sampler_state *st, size_t i,
                         va_vcpu_obs *v, va_sample_stats *stats)
{
    memset(v, 0, sizeof *v);
    v->node = -1;
    v->cpu = -1;
    char *stat = read_task(in, in->tids[i], "stat");
    if (!stat) {
        stats->vcpus_gone++;
        return;
    }
    int cpu = va_parse_stat_cpu(stat);
    free(stat);
    v->cpu = cpu;
    unsigned pu = cpu >= 0 ? va_topology_pu_by_os(in->topo, (unsigned)cpu) : VMACCEL_NO_INDEX;
    if (pu != VMACCEL_NO_INDEX && in->topo->pus[pu].node != VMACCEL_NO_INDEX)
        v->node = (int)in->topo->pus[pu].node;
    char *schedstat = read_task(in, in->tids[i], "schedstat");
    uint64_t runtime;
    if (schedstat && va_parse_schedstat(schedstat, &runtime) == 0 && i < st->nvcpus) {
        if (st->primed && runtime >= st->last_runtime[i])
            v->runtime_ns = runtime - st->last_runtime[i];
        st->last_runtime[i] = runtime;
    }
    free(schedstat);
    if (st->skip_faults)
        return;
    char *sched = read_task(in, in->tids[i], "sched");
    if (sched)
        va_parse_sched_faults(sched, in->topo, &v->have_faults, &v->faults_local,
                              &v->faults_remote);
    free(sched);
}

/* After a period in which no vCPU showed fault counters, stop asking for a
 * while; count down otherwise. */
static void update_fault_skip(va_sampler_state *st, const va_vcpu_obs *vcpus, size_t n)
{
    if (st->skip_faults) {
        st->skip_faults--;
        return;
    }
    bool any = false;
    for (size_t i = 0; i < n && !any; i++)
        any = vcpus[i].have_faults;
    if (!any)
        st->skip_faults = VA_SAMPLER_FAULT_RECHECK;
}

void va_sample_vcpus(const va_sampler_input *in, va_sampler_state *st,
                     va_vcpu_obs *vcpus, va_sample_stats *stats)
{
    for (size_t i = 0; i < in->ntids; i++)
        observe_vcpu(in, st, i, &vcpus[i], stats);
    update_fault_skip(st, vcpus, in->ntids);
    st->primed = true;
}

int va_sampler_run(const va_sampler_input *in, va_sampler_state *st,
                   va_vm_obs *obs, va_vcpu_obs *vcpus, va_sample_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    memset(obs->pages_on_node, 0, sizeof obs->pages_on_node);
    obs->nodes = va_topology_nodes(in->topo);
    va_memory_query q = {in->plat, in->topo, in->pid, in->regions, in->nregions, in->error};
    va_memory_sample mem;
    int rc = va_sample_memory(&q, &st->rng, &mem);
    if (rc)
        return rc;
    memcpy(obs->pages_on_node, mem.pages_on_node, sizeof obs->pages_on_node);
    stats->pages_total = mem.pages_total;
    stats->pages_sampled = mem.pages_sampled;
    stats->pages_resident = mem.pages_resident;
    stats->error = mem.error;
    va_sample_vcpus(in, st, vcpus, stats);
    obs->vcpus = vcpus;
    obs->nvcpus = in->ntids;
    return 0;
}
