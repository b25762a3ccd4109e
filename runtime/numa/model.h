/*
 * Internal: the host model of one NUMA engine period - everything the
 * decision (decide.h) sees, and nothing else. The engine builds it from the
 * period's samples and the platform; it is plain data, so the decision is
 * a pure function of it and is tested on many-VM hosts without an OS.
 *
 * A NUMA client is a group of a VM's vCPUs together with the memory they
 * touch: a guest NUMA node of a VM that has them (QEMU's -numa node,
 * memdev=), otherwise the whole VM. Within a client accesses are taken as
 * spread evenly over its memory, so a client with v[n] of its V vCPUs and
 * b[n] of its B bytes on node n has the local rate
 *     sum_n v[n] b[n] / (V B).
 * (The measured rate - NUMA faults or page placement - decides *whether* a
 * VM needs a fix; this formula says what a fix would change.)
 *
 * Capacity: a node has `pus` usable PUs (online, in vm-accel's cpuset);
 * every watched vCPU placed there takes one, and `other_busy` PUs are kept
 * busy by threads that are not vCPUs of watched VMs. A node takes at most
 * free_bytes - reserve_bytes of migrated memory.
 */
#ifndef VA_NUMA_MODEL_H
#define VA_NUMA_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct va_model_node {
    unsigned pus;             /* usable PUs */
    unsigned vcpus;           /* vCPUs of watched VMs running here */
    unsigned other_busy;      /* PUs busy with other threads */
    uint64_t free_bytes;      /* free memory now */
    uint64_t reserve_bytes;   /* left free for the host: never migrated into */
} va_model_node;

typedef struct va_model_client {
    unsigned vm;              /* index of its VM in the model */
    unsigned vcpus;           /* vCPUs the engine may move (in vcpus_on) */
    unsigned fixed;           /* vCPUs it may not move, e.g. pinned by the
                                 operator (in fixed_on) */
    uint64_t bytes;           /* its memory: the sum of bytes_on */
    double weight;            /* its share of the host's memory accesses:
                                 its vCPUs' CPU time (or count) */
    uint64_t cpu_nodes;       /* bit n: its vCPUs may run on node n */
    uint64_t mem_nodes;       /* bit n: its memory may live on node n */
} va_model_client;

typedef struct va_model_vm {
    uint64_t id;
    unsigned first_client, nclients;
    bool wants_fix;           /* its gate opened this period (policy.h) */
    bool busy;                /* a migration of it is under way */
    bool may_move, may_migrate;
    bool prefer_move;         /* LocalFirst/BandwidthOptimized VMs: vCPUs
                                 follow memory when that is enough */
    double rate;              /* measured local rate, for the messages */
} va_model_vm;

typedef struct va_host_model {
    unsigned nodes;           /* 1..64 */
    va_model_node *node;      /* [nodes] */
    size_t nvms, nclients;
    va_model_vm *vms;         /* [nvms] */
    va_model_client *clients; /* [nclients], a VM's clients contiguous */
    /* Per client, `nodes` entries each: clients[c]'s are at c * nodes. */
    unsigned *vcpus_on;       /* movable vCPUs per node */
    unsigned *fixed_on;       /* fixed vCPUs per node */
    uint64_t *bytes_on;       /* memory per node */
} va_host_model;

/* Allocates a model for `nodes` nodes, `nvms` VMs and `nclients` clients,
 * zeroed (masks all-nodes). 0 or VMACCEL_ENOMEM / VMACCEL_EINVAL. */
int va_model_init(va_host_model *m, unsigned nodes, size_t nvms, size_t nclients);
void va_model_release(va_host_model *m);
/* A deep copy (the decision works on a copy it may change). */
int va_model_copy(const va_host_model *src, va_host_model *dst);

static inline unsigned *va_model_vcpus(const va_host_model *m, size_t c)
{
    return m->vcpus_on + c * m->nodes;
}
static inline unsigned *va_model_fixed(const va_host_model *m, size_t c)
{
    return m->fixed_on + c * m->nodes;
}
static inline uint64_t *va_model_bytes(const va_host_model *m, size_t c)
{
    return m->bytes_on + c * m->nodes;
}

/* The client's modelled local rate for a vCPU placement `vcpus` (NULL: its
 * current one) - see the formula above; NaN when it has no vCPU or no
 * memory. */
double va_model_client_rate(const va_host_model *m, size_t c, const unsigned *vcpus);

/* PUs on node n that client c may use for its movable vCPUs: what other
 * vCPUs and busy threads leave, and never less than what it holds there. */
unsigned va_model_room(const va_host_model *m, size_t c, unsigned n);

/* The access-weighted local rate over every client (the host-wide rate);
 * NaN when no client has weight. */
double va_model_host_rate(const va_host_model *m);

#endif
