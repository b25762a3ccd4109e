/*
 * Internal: the locality model. From one sampling period's observations of a
 * VM it computes the share of the VM's memory accesses that hit the node its
 * vCPUs run on. Pure: no OS calls.
 *
 * Two sources, the better first:
 *  - NUMA faults: when the kernel's NUMA balancing is on it samples each
 *    task's accesses and counts local and remote hinting faults
 *    (/proc/PID/task/TID/sched). Those are real accesses.
 *  - page placement: otherwise, a vCPU on node n is assumed to touch the
 *    VM's memory uniformly, so its local rate is the share of sampled pages
 *    on n. Each vCPU weighs by the CPU time it ran in the period (a vCPU
 *    that ran nothing touched nothing).
 */
#ifndef VA_NUMA_LOCALITY_H
#define VA_NUMA_LOCALITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VA_MAX_NODES 64

typedef enum va_locality_source {
    VA_SOURCE_NONE = 0,          /* nothing observed yet */
    VA_SOURCE_NUMA_FAULTS = 1,
    VA_SOURCE_PAGE_PLACEMENT = 2
} va_locality_source;

typedef struct va_vcpu_obs {
    int node;                  /* logical node it ran on; -1 if unknown */
    uint64_t runtime_ns;       /* CPU time in the period */
    bool have_faults;          /* fault counters were readable */
    uint64_t faults_local;     /* NUMA hinting faults in the period */
    uint64_t faults_remote;
    int cpu;                   /* OS CPU it last ran on; -1 if unknown */
} va_vcpu_obs;

typedef struct va_vm_obs {
    unsigned nodes;                       /* NUMA nodes of the host */
    uint64_t pages_on_node[VA_MAX_NODES]; /* sampled guest pages per node */
    size_t nvcpus;
    const va_vcpu_obs *vcpus;
} va_vm_obs;

typedef struct va_locality {
    va_locality_source source;
    double local_rate;                     /* 0..1 (NaN if unknown) */
    unsigned home_node;                    /* node holding most sampled pages */
    double weight;                         /* the vCPUs' CPU time in ns, or
                                              their count when none ran */
    bool timed;                            /* weight is CPU time */
} va_locality;

/* Fills `out`, and vcpu_rate[i] for each of obs->nvcpus vCPUs when not
 * NULL (NaN: unknown). Uses faults when every running vCPU has them and
 * they count at least `min_faults` in total, otherwise page placement.
 * Returns false (out->source == VA_SOURCE_NONE) when there is nothing to
 * go on. */
bool va_locality_compute(const va_vm_obs *obs, uint64_t min_faults,
                         va_locality *out, double *vcpu_rate);

#endif
