/* Observing one VM each period: its vCPUs, its NUMA clients' memory, its
 * local rate (engine.h, step 2). */
#include "numa/engine.h"

#include "core/error.h"
#include "vmm/vm_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The moment a change is worth an event: 5 percentage points. */
#define LOCALITY_EVENT_DELTA 0.05
/* A VM that stays well placed is sampled at most this many periods apart. */
#define SAMPLE_EVERY_MAX 8
/* NUMA fault counts below this say too little to go on. */
#define MIN_FAULTS 16

/* What a period needs from the VM, copied under its lock so that no VM
 * lock is held across the sampler's system calls. A VM without guest NUMA
 * cells is one client holding all its regions. */
typedef struct vm_view {
    int pid;
    int *tids;
    size_t ntids;
    va_sample_region *regions;
    size_t nregions;
    unsigned nclients;
    unsigned *vcpu_client;        /* [ntids] */
    size_t *client_first;         /* [nclients + 1]: client c's regions */
    vmaccel_strategy strategy;
} vm_view;

/* Grows *buf to hold n items of `size` (keeping what it holds). */
static bool grow(void **buf, size_t n, size_t size)
{
    void *more = realloc(*buf, n * size);
    if (more)
        *buf = more;
    return more != NULL;
}

/* The per-vCPU arrays share one capacity. */
static int grow_vcpus(va_numa_scratch *sc, size_t n)
{
    if (n <= sc->vcpus_cap)
        return 0;
    size_t want = n > 2 * sc->vcpus_cap ? n : 2 * sc->vcpus_cap;
    bool ok = grow((void **)&sc->tids, want, sizeof *sc->tids) &&
              grow((void **)&sc->vcpu_client, want, sizeof *sc->vcpu_client) &&
              grow((void **)&sc->obs, want, sizeof *sc->obs) &&
              grow((void **)&sc->sub, want, sizeof *sc->sub) &&
              grow((void **)&sc->rates, want, sizeof *sc->rates);
    if (!ok)
        return va_fail(VMACCEL_ENOMEM, "out of memory for a VM view");
    sc->vcpus_cap = want;
    return 0;
}

/* The view's arrays are the engine's scratch, reused VM after VM. */
static int view_alloc(va_numa_scratch *sc, vm_view *v, size_t ntids, size_t nregions,
                      unsigned nclients)
{
    int rc = grow_vcpus(sc, ntids + 1);
    if (!rc && nregions + 1 > sc->regions_cap) {
        if (!grow((void **)&sc->regions, nregions + 1, sizeof *sc->regions))
            rc = va_fail(VMACCEL_ENOMEM, "out of memory for a VM view");
        else
            sc->regions_cap = nregions + 1;
    }
    if (!rc && nclients + 1 > sc->clients_cap) {
        if (!grow((void **)&sc->client_first, nclients + 1, sizeof *sc->client_first))
            rc = va_fail(VMACCEL_ENOMEM, "out of memory for a VM view");
        else
            sc->clients_cap = nclients + 1;
    }
    if (rc)
        return rc;
    v->tids = sc->tids;
    v->vcpu_client = sc->vcpu_client;
    v->regions = sc->regions;
    v->client_first = sc->client_first;
    memset(v->vcpu_client, 0, (ntids + 1) * sizeof *v->vcpu_client);
    return 0;
}

void va_numa_scratch_free(va_numa_scratch *sc)
{
    free(sc->tids);
    free(sc->vcpu_client);
    free(sc->obs);
    free(sc->sub);
    free(sc->rates);
    free(sc->regions);
    free(sc->client_first);
    memset(sc, 0, sizeof *sc);
}

/* One client: every vCPU, every region. */
static void whole_vm_client(const struct vmaccel_vm *vm, vm_view *v)
{
    v->nclients = 1;
    for (size_t i = 0; i < vm->nregions; i++)
        v->regions[i] = (va_sample_region){vm->regions[i].start, vm->regions[i].length};
    v->nregions = vm->nregions;
    v->client_first[0] = 0;
    v->client_first[1] = vm->nregions;
}

/* One client per guest NUMA node: its vCPUs and its ranges. */
static void cell_clients(const struct vmaccel_vm *vm, vm_view *v)
{
    v->nclients = (unsigned)vm->ncells;
    for (size_t c = 0; c < vm->ncells; c++) {
        v->client_first[c] = v->nregions;
        for (size_t r = 0; r < vm->cells[c].nranges; r++)
            v->regions[v->nregions++] =
                (va_sample_region){vm->cells[c].ranges[r][0], vm->cells[c].ranges[r][1]};
        for (size_t k = 0; k < vm->cells[c].nvcpus; k++)
            for (size_t i = 0; i < vm->nvcpus; i++)
                if (vm->vcpus[i].index == vm->cells[c].vcpus[k])
                    v->vcpu_client[i] = (unsigned)c;
    }
    v->client_first[vm->ncells] = v->nregions;
}

static size_t cell_ranges(const struct vmaccel_vm *vm)
{
    size_t n = 0;
    for (size_t c = 0; c < vm->ncells; c++)
        n += vm->cells[c].nranges;
    return n;
}

static int copy_view(va_numa_scratch *sc, struct vmaccel_vm *vm, vm_view *v)
{
    memset(v, 0, sizeof *v);
    pthread_mutex_lock(&vm->lock);
    /* The pidfd guard first: a VMM that exited is marked gone (VM_GONE)
     * here, before anything reads a possibly recycled pid. */
    int rc = vm->gone ? VMACCEL_EGONE : va_vm_guard(vm);
    if (!rc)
        rc = view_alloc(sc, v, vm->nvcpus, vm->ncells ? cell_ranges(vm) : vm->nregions,
                        vm->ncells ? (unsigned)vm->ncells : 1);
    if (!rc) {
        for (size_t i = 0; i < vm->nvcpus; i++)
            v->tids[v->ntids++] = vm->vcpus[i].tid; /* gone threads read as gone */
        if (vm->ncells)
            cell_clients(vm, v);
        else
            whole_vm_client(vm, v);
        v->pid = vm->pid;
        v->strategy = vm->plan_strategy;
    }
    pthread_mutex_unlock(&vm->lock);
    return rc;
}

/* (Re)sizes the state's arrays for the VM as it is now. */
static int fit_state(va_numa_vm *s, const vm_view *v, unsigned nodes)
{
    if (s->nvcpus == v->ntids && s->nclients == v->nclients && s->nodes == nodes &&
        s->sampler.last_runtime)
        return 0;
    va_sampler_state_release(&s->sampler);
    int rc = va_sampler_state_init(&s->sampler, v->ntids, s->vm_id * 2654435761u + 1);
    size_t nv = v->ntids + 1, nc = v->nclients + 1, cells = nc * nodes;
    int *node = realloc(s->vcpu_node, nv * sizeof *node);
    s->vcpu_node = node ? node : s->vcpu_node;
    int *cpu = realloc(s->vcpu_cpu, nv * sizeof *cpu);
    s->vcpu_cpu = cpu ? cpu : s->vcpu_cpu;
    double *rate = realloc(s->vcpu_rate, nv * sizeof *rate);
    s->vcpu_rate = rate ? rate : s->vcpu_rate;
    uint64_t *run = realloc(s->vcpu_runtime, nv * sizeof *run);
    s->vcpu_runtime = run ? run : s->vcpu_runtime;
    unsigned *client = realloc(s->vcpu_client, nv * sizeof *client);
    s->vcpu_client = client ? client : s->vcpu_client;
    uint64_t *pages = calloc(cells, sizeof *pages), *bytes = calloc(cells, sizeof *bytes);
    double *weight = calloc(nc, sizeof *weight);
    free(s->client_pages), free(s->client_bytes), free(s->client_weight);
    s->client_pages = pages, s->client_bytes = bytes, s->client_weight = weight;
    if (rc || !node || !cpu || !rate || !run || !client || !pages || !bytes || !weight) {
        s->nvcpus = s->nclients = 0; /* sized again next period */
        return rc ? rc : va_fail(VMACCEL_ENOMEM, "out of memory for VM %llu's state",
                                 (unsigned long long)s->vm_id);
    }
    s->nvcpus = (unsigned)v->ntids;
    s->nclients = v->nclients;
    s->nodes = nodes;
    s->sample_every = 1;
    s->sample_wait = 0;
    return 0;
}

/* Where each vCPU ran, for how long; true when one changed node. */
static bool observe_vcpus(va_numa_engine *e, va_numa_vm *s, const vm_view *v,
                          va_vcpu_obs *obs)
{
    va_sampler_input in = {s->vm->plat, e->m->topology, v->pid, v->tids, v->ntids,
                           NULL, 0, e->opts.sample_error};
    va_sample_stats stats = {0};
    va_sample_vcpus(&in, &s->sampler, obs, &stats);
    bool moved = false;
    for (size_t i = 0; i < v->ntids; i++) {
        moved |= s->samples && obs[i].node != s->vcpu_node[i];
        s->vcpu_node[i] = obs[i].node;
        s->vcpu_cpu[i] = obs[i].cpu;
        s->vcpu_runtime[i] = obs[i].runtime_ns;
        s->vcpu_client[i] = v->vcpu_client[i];
    }
    return moved;
}

/* Samples each client's memory; the bytes per node follow from the
 * resident share of the sample. */
static int sample_clients(va_numa_engine *e, va_numa_vm *s, const vm_view *v)
{
    double worst = 0;
    size_t resident = 0;
    for (unsigned c = 0; c < v->nclients; c++) {
        const va_sample_region *r = v->regions + v->client_first[c];
        size_t nr = v->client_first[c + 1] - v->client_first[c];
        va_memory_query q = {s->vm->plat, e->m->topology, v->pid, r, nr, e->opts.sample_error};
        va_memory_sample ms;
        int rc = va_sample_memory(&q, &s->sampler.rng, &ms);
        if (rc)
            return rc;
        uint64_t bytes = 0;
        for (size_t i = 0; i < nr; i++)
            bytes += r[i].length;
        for (unsigned n = 0; n < s->nodes; n++) {
            s->client_pages[c * s->nodes + n] = ms.pages_on_node[n];
            s->client_bytes[c * s->nodes + n] =
                ms.pages_sampled ? (uint64_t)((double)bytes * (double)ms.pages_on_node[n] /
                                              (double)ms.pages_sampled) : 0;
        }
        worst = ms.error > worst ? ms.error : worst;
        resident += ms.pages_resident;
    }
    s->error = worst;
    s->empty = resident == 0;
    return 0;
}

/* The VM's rate from its clients' (each client's vCPUs touch its memory),
 * weighted like the clients: CPU time, or vCPU count before any ran. */
static void compute_locality(va_numa_engine *e, va_numa_vm *s, const va_vcpu_obs *obs)
{
    va_vcpu_obs *sub = e->scratch.sub;
    double *rates = e->scratch.rates;
    double local = 0, all = 0, interval = (double)e->opts.interval_ms * 1e6;
    bool faults = true;
    s->have_loc = false;
    for (unsigned c = 0; sub && rates && c < s->nclients; c++) {
        va_vm_obs o = {.nodes = s->nodes, .vcpus = sub};
        memcpy(o.pages_on_node, s->client_pages + c * s->nodes, s->nodes * sizeof(uint64_t));
        for (unsigned i = 0; i < s->nvcpus; i++)
            if (s->vcpu_client[i] == c)
                sub[o.nvcpus++] = obs[i];
        va_locality l;
        bool ok = va_locality_compute(&o, MIN_FAULTS, &l, rates);
        for (unsigned i = 0, k = 0; i < s->nvcpus; i++)
            if (s->vcpu_client[i] == c)
                s->vcpu_rate[i] = rates[k++];
        /* Comparable across VMs: CPU ns, or every vCPU busy all period. */
        s->client_weight[c] = l.timed ? l.weight : (double)o.nvcpus * interval;
        if (!ok)
            continue;
        local += s->client_weight[c] * l.local_rate;
        all += s->client_weight[c];
        faults &= l.source == VA_SOURCE_NUMA_FAULTS;
        s->have_loc = true;
    }
    s->local_rate = all > 0 ? local / all : NAN;
    s->source = s->have_loc ? (faults ? VA_SOURCE_NUMA_FAULTS : VA_SOURCE_PAGE_PLACEMENT)
                            : VA_SOURCE_NONE;
}

static void note_home(va_numa_vm *s)
{
    uint64_t best = 0;
    for (unsigned n = 0; n < s->nodes; n++) {
        uint64_t b = 0;
        for (unsigned c = 0; c < s->nclients; c++)
            b += s->client_bytes[c * s->nodes + n];
        if (b > best) {
            best = b;
            s->home_node = n;
        }
    }
}

static void note_locality(va_numa_engine *e, va_numa_vm *s)
{
    double r = s->local_rate;
    if (!isnan(s->emitted_rate) && fabs(r - s->emitted_rate) < LOCALITY_EVENT_DELTA)
        return;
    va_numa_emit(e, s, VMACCEL_EVENT_LOCALITY_CHANGED, "local rate %.2f (%s)", r,
                 s->source == VA_SOURCE_NUMA_FAULTS ? "NUMA faults" : "page placement");
    s->emitted_rate = r;
}

/* A VM that stays well placed, with its vCPUs where they were, is sampled
 * less and less often; so is one with nothing resident (hundreds of paused
 * guests must not cost a full look each every period). Anything else
 * brings it back to every period. */
static void schedule_sampling(va_numa_engine *e, va_numa_vm *s, bool sampled)
{
    bool placed = s->have_loc && s->local_rate >= e->opts.threshold + e->opts.hysteresis;
    bool steady = !s->job && (placed || s->empty);
    if (!steady)
        s->sample_every = 1;
    else if (sampled && s->sample_every < SAMPLE_EVERY_MAX)
        s->sample_every *= 2;
    if (sampled || !steady)
        s->sample_wait = s->sample_every - 1;
    else if (s->sample_wait)
        s->sample_wait--;
}

/* The one node a thread's affinity lies on, or -1 (several, or none). */
static int single_node(const vmaccel_topology *t, const va_cpumask *mask)
{
    int node = -1;
    for (unsigned w = 0; w < VA_MAX_CPUS / 64; w++)
        for (uint64_t bits = mask->bits[w]; bits; bits &= bits - 1) {
            unsigned pu = va_topology_pu_by_os(t, w * 64 + (unsigned)__builtin_ctzll(bits));
            int n = pu == VMACCEL_NO_INDEX ? -1 : (int)t->pus[pu].node;
            if (n < 0 || (node >= 0 && n != node))
                return -1;
            node = n;
        }
    return node;
}

/* A steady VM between memory samples: when every vCPU's affinity keeps it
 * on the node it was seen on, nothing can have moved - a sched_getaffinity
 * per vCPU instead of three /proc reads. False: look properly. */
static bool still_in_place(va_numa_engine *e, va_numa_vm *s)
{
    if (!s->samples || s->sample_wait == 0 || !(s->have_loc || s->empty) || s->job)
        return false;
    const va_platform *p = s->vm->plat;
    pthread_mutex_lock(&s->vm->lock);
    bool same = !s->vm->gone && va_vm_guard(s->vm) == 0; /* pid not recycled */
    for (unsigned i = 0; same && i < s->nvcpus && i < s->vm->nvcpus; i++) {
        va_cpumask mask;
        same = p->get_affinity(p, s->vm->vcpus[i].tid, &mask) == 0 &&
               single_node(e->m->topology, &mask) == s->vcpu_node[i];
    }
    same &= s->nvcpus == s->vm->nvcpus;
    pthread_mutex_unlock(&s->vm->lock);
    return same;
}

int va_numa_observe(va_numa_engine *e, va_numa_vm *s)
{
    if (still_in_place(e, s)) {
        s->sample_wait--;
        s->samples++;
        return 0;
    }
    vm_view v;
    int rc = copy_view(&e->scratch, s->vm, &v);
    if (rc)
        return rc; /* gone (its VM_GONE was emitted when it was marked) */
    unsigned nodes = va_topology_nodes(e->m->topology);
    nodes = nodes < VA_MAX_NODES ? nodes : VA_MAX_NODES;
    va_vcpu_obs *obs = e->scratch.obs;
    memset(obs, 0, (v.ntids + 1) * sizeof *obs);
    rc = fit_state(s, &v, nodes);
    if (!rc) {
        s->strategy = v.strategy;
        bool vcpus_moved = observe_vcpus(e, s, &v, obs);
        bool sample = !s->samples || vcpus_moved || s->sample_wait == 0 ||
                      !(s->have_loc || s->empty);
        if (sample)
            rc = sample_clients(e, s, &v);
        if (!rc) {
            compute_locality(e, s, obs);
            note_home(s);
            schedule_sampling(e, s, sample);
            s->samples++;
            if (s->have_loc)
                note_locality(e, s);
        }
    }
    if (rc == VMACCEL_EGONE) {
        pthread_mutex_lock(&s->vm->lock);
        va_vm_guard(s->vm); /* marks it gone with VM_GONE */
        pthread_mutex_unlock(&s->vm->lock);
    }
    return rc;
}
