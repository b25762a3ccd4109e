/* The host model of a period (engine.h, step 3): nodes from the topology,
 * the platform's node memory and CPU times; VMs and their clients from
 * the engine's observations; each VM's gate. */
#include "numa/engine.h"

#include "core/error.h"
#include "vmm/limits.h"
#include "vmm/vm_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Left free on every node for the host: 3% of it, at least 64 MiB. */
#define RESERVE_MIN (64ull << 20)
#define RESERVE_PERCENT 3

bool va_numa_pu_usable(const va_numa_engine *e, unsigned pu)
{
    const va_topo_pu *p = &e->m->topology->pus[pu];
    return p->allowed && (!e->cpus.have || va_cpumask_isset(&e->cpus.usable, p->os_index));
}

/* "Node N MemFree:   1234 kB" from a node's meminfo; false if absent. */
static bool meminfo_kb(const char *text, const char *key, uint64_t *kb)
{
    const char *at = strstr(text, key);
    unsigned long long v;
    if (!at || sscanf(at + strlen(key), " %llu", &v) != 1)
        return false;
    *kb = v;
    return true;
}

/* Free memory and the reserve of node n; unknown memory (no meminfo)
 * limits nothing. */
static void node_memory(va_numa_engine *e, unsigned n, va_model_node *out)
{
    const va_platform *p = va_manager_platform(e->m);
    int os = (int)e->m->topology->objects[VMACCEL_OBJ_NUMA_NODE][n].os_index;
    char *text = NULL;
    size_t len;
    uint64_t total_kb, free_kb;
    out->free_bytes = UINT64_MAX / 4;
    out->reserve_bytes = 0;
    if (p->read_node(p, os, "meminfo", &text, &len) == 0 &&
        meminfo_kb(text, "MemTotal:", &total_kb) && meminfo_kb(text, "MemFree:", &free_kb)) {
        out->free_bytes = free_kb << 10;
        uint64_t reserve = (total_kb << 10) / 100 * RESERVE_PERCENT;
        out->reserve_bytes = reserve > RESERVE_MIN ? reserve : RESERVE_MIN;
    }
    free(text);
}

static void build_nodes(va_numa_engine *e, va_host_model *m, va_numa_vm *const *states,
                        size_t n)
{
    const vmaccel_topology *t = e->m->topology;
    for (unsigned p = 0; p < t->count[VMACCEL_OBJ_PU]; p++)
        if (t->pus[p].node < m->nodes && va_numa_pu_usable(e, p))
            m->node[t->pus[p].node].pus++;
    for (unsigned k = 0; k < m->nodes; k++)
        node_memory(e, k, &m->node[k]);
    va_numa_other_load(e, m, states, n);
}

static va_model_vm vm_flags(va_numa_engine *e, va_numa_vm *s, unsigned first)
{
    vmaccel_strategy st = s->strategy;
    bool balanced = st == VMACCEL_STRATEGY_LOAD_BALANCED;
    /* What the operator placed stays unless overridden (vmm/limits.h): a
     * VM whose vCPUs are all placed gets its memory moved, one whose
     * memory is placed gets its vCPUs moved. */
    bool keep = !e->opts.override_pins;
    bool vcpus_placed = keep && va_vm_all_vcpus_pinned(s->vm);
    bool memory_placed = keep && va_vm_memory_pinned(s->vm, NULL, 0);
    va_model_vm v = {
        .id = s->vm_id,
        .first_client = first,
        .nclients = s->nclients,
        .wants_fix = s->wants_fix,
        .busy = s->job != NULL,
        /* A VM pinned LoadBalanced keeps its spread: memory follows. */
        .may_move = e->opts.fix != VMACCEL_NUMA_FIX_MIGRATE_MEMORY && !balanced &&
                    !vcpus_placed,
        .may_migrate = e->opts.fix != VMACCEL_NUMA_FIX_MOVE_VCPUS && !memory_placed,
        .prefer_move = st == VMACCEL_STRATEGY_LOCAL_FIRST ||
                       st == VMACCEL_STRATEGY_BANDWIDTH_OPTIMIZED,
        .rate = s->local_rate,
    };
    return v;
}

/* The nodes a VM's cpuset lets its vCPUs run on (all when it cannot be
 * read: the kernel would refuse a move outside it, and say so). */
static uint64_t cpuset_nodes(const va_numa_engine *e, const va_numa_vm *s, unsigned nodes)
{
    const va_platform *p = s->vm->plat;
    va_cpumask cpus;
    if (s->vm->in_process || p->cpuset_of(p, s->vm->pid, &cpus) != 0)
        return UINT64_MAX;
    const vmaccel_topology *t = e->m->topology;
    uint64_t mask = 0;
    for (unsigned pu = 0; pu < t->count[VMACCEL_OBJ_PU]; pu++)
        if (t->pus[pu].node < nodes && va_cpumask_isset(&cpus, t->pus[pu].os_index))
            mask |= 1ull << t->pus[pu].node;
    return mask;
}

/* Cgroups change rarely: a VM's cpuset is read when it wants a fix, and
 * otherwise (as a possible exchange partner) at most every 30 periods. */
#define CPUSET_REREAD_PERIODS 30

static uint64_t cpu_nodes_of(va_numa_engine *e, va_numa_vm *s, unsigned nodes)
{
    if (s->wants_fix || !s->cpuset_read_at || e->periods - s->cpuset_read_at > CPUSET_REREAD_PERIODS) {
        s->cpu_nodes = cpuset_nodes(e, s, nodes);
        s->cpuset_read_at = e->periods + 1;
    }
    return s->cpu_nodes;
}

/* A VM's clients: where their vCPUs run, their memory, their weight. */
static void build_clients(va_host_model *m, size_t vm, const va_numa_vm *s, size_t first)
{
    for (unsigned c = 0; c < s->nclients; c++) {
        va_model_client *cl = &m->clients[first + c];
        cl->vm = (unsigned)vm;
        cl->weight = s->client_weight[c];
        uint64_t *bytes = va_model_bytes(m, first + c);
        for (unsigned n = 0; n < m->nodes; n++) {
            bytes[n] = s->client_bytes[c * s->nodes + n];
            cl->bytes += bytes[n];
        }
    }
    for (unsigned i = 0; i < s->nvcpus; i++) {
        int n = s->vcpu_node[i];
        if (n < 0 || (unsigned)n >= m->nodes || s->vcpu_client[i] >= s->nclients)
            continue;
        size_t c = first + s->vcpu_client[i];
        va_model_vcpus(m, c)[n]++;
        m->clients[c].vcpus++;
        m->node[n].vcpus++;
    }
}

int va_numa_build_model(va_numa_engine *e, va_numa_vm *const *states, size_t n,
                        va_host_model *out)
{
    size_t nclients = 0;
    for (size_t i = 0; i < n; i++)
        nclients += states[i]->nclients;
    unsigned nodes = va_topology_nodes(e->m->topology);
    int rc = va_model_init(out, nodes < VA_MAX_NODES ? nodes : VA_MAX_NODES, n, nclients);
    if (rc)
        return rc;
    build_nodes(e, out, states, n);
    size_t first = 0;
    for (size_t i = 0; i < n; i++) {
        out->vms[i] = vm_flags(e, states[i], (unsigned)first);
        build_clients(out, i, states[i], first);
        for (unsigned c = 0; c < states[i]->nclients; c++)
            out->clients[first + c].cpu_nodes = cpu_nodes_of(e, states[i], out->nodes);
        first += states[i]->nclients;
    }
    return 0;
}
