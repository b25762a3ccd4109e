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
} va_vcpu_obs;

typedef struct va_vm_obs {
    unsigned nodes;                       /* NUMA nodes of the host */
    uint64_t pages_on_node[VA_MAX_NODES]; /* sampled guest pages per node */
    size_t nvcpus;
    const va_vcpu_obs *vcpus;
} va_vm_obs;

typedef struct va_locality {
    va_locality_source source;
    double local_rate;                     /* VM, 0..1 (NaN if unknown) */
    double vcpu_rate[256];                 /* per vCPU (first 256) */
    /* access[a][b]: share of the VM's accesses from vCPUs on node a to
     * memory on node b (rows and columns: logical nodes). */
    double access[VA_MAX_NODES][VA_MAX_NODES];
    unsigned home_node;                    /* node holding most sampled pages */
} va_locality;

/* Fills `out`. Uses faults when every running vCPU has them and they
 * count at least `min_faults` in total, otherwise page placement. Returns
 * false (out->source == VA_SOURCE_NONE) when there is nothing to go on. */
bool va_locality_compute(const va_vm_obs *obs, uint64_t min_faults,
                         va_locality *out);

#endif
