/*
 * Internal: the sampler. Once per period it observes one VM through the
 * platform seam and fills the locality model's input (numa/locality.h):
 *  - where guest RAM lives: move_pages(2) status queries (no move) on a
 *    stratified random sample of its pages, sized by va_sample_size for
 *    `error` (default 2 percentage points at 95% confidence);
 *  - where each vCPU ran: /proc/PID/task/TID/stat, field 39 (processor);
 *  - how long it ran: /proc/PID/task/TID/schedstat, first field, as a
 *    delta since the previous period;
 *  - the kernel's NUMA hinting faults, when NUMA balancing exposes them:
 *    /proc/PID/task/TID/sched, "current_node=N" and per memory node
 *    "numa_faults node=N task_private=A task_shared=B ...". These are the
 *    kernel's decaying recent counts, so they are used as they stand, not
 *    as deltas.
 */
#ifndef VA_NUMA_SAMPLER_H
#define VA_NUMA_SAMPLER_H

#include "numa/locality.h"
#include "numa/sampling.h"
#include "platform/platform.h"
#include "topology/topo.h"

typedef struct va_sample_region {
    uint64_t start, length;
} va_sample_region;

typedef struct va_sampler_input {
    const va_platform *plat;
    const vmaccel_topology *topo;
    int pid;
    const int *tids;              /* vCPU threads */
    size_t ntids;
    const va_sample_region *regions;
    size_t nregions;
    double error;                 /* e.g. 0.02 */
} va_sampler_input;

/* Per-VM memory between periods. Zero it, then va_sampler_state_init. */
typedef struct va_sampler_state {
    va_rng rng;
    uint64_t *last_runtime;       /* per vCPU, cumulative ns */
    size_t nvcpus;
    bool primed;                  /* a previous period exists */
    /* Periods to skip reading /proc/.../sched: set when a read showed no
     * NUMA fault counters (the kernel's balancing is off), so the file is
     * re-checked only every VA_SAMPLER_FAULT_RECHECK periods. */
    unsigned skip_faults;
} va_sampler_state;

#define VA_SAMPLER_FAULT_RECHECK 30

int va_sampler_state_init(va_sampler_state *st, size_t nvcpus, uint64_t seed);
void va_sampler_state_release(va_sampler_state *st);

typedef struct va_sample_stats {
    uint64_t pages_total;         /* pages in the regions */
    size_t pages_sampled;         /* asked about */
    size_t pages_resident;        /* answered with a node */
    double error;                 /* the shares' error bound at 95% */
    size_t vcpus_gone;            /* threads that vanished */
} va_sample_stats;

/* Where a set of regions of a process lives. */
typedef struct va_memory_query {
    const va_platform *plat;
    const vmaccel_topology *topo;
    int pid;
    const va_sample_region *regions;
    size_t nregions;
    double error;                 /* wanted error bound, e.g. 0.02 */
} va_memory_query;

typedef struct va_memory_sample {
    uint64_t pages_on_node[VA_MAX_NODES]; /* sampled pages per logical node */
    uint64_t pages_total;         /* pages in the regions */
    size_t pages_sampled, pages_resident;
    double error;                 /* the bound reached at 95% */
} va_memory_sample;

/* Samples the pages of the regions with move_pages status queries,
 * adaptively: a first stratified round bounds the placement's variance,
 * and a second round is drawn only when that bound needs more pages for
 * `error` than the first took. A VM whose memory sits on one node costs a
 * few hundred queries; one split evenly the worst-case sample. Errors: the
 * seam's (VMACCEL_EGONE when the process has gone), VMACCEL_ENOMEM. */
int va_sample_memory(const va_memory_query *q, va_rng *rng, va_memory_sample *out);

/* Observes the vCPU threads (where they ran, for how long, NUMA faults):
 * vcpus[i] for each of in->ntids threads (in->regions is not used). A
 * vanished thread only marks its entry unknown (node -1). */
void va_sample_vcpus(const va_sampler_input *in, va_sampler_state *st,
                     va_vcpu_obs *vcpus, va_sample_stats *stats);

/* Observes the VM: va_sample_memory over all its regions, then
 * va_sample_vcpus. vcpus must point at in->ntids entries; the caller
 * owns them. VMACCEL_EGONE when the process has gone (move_pages: no such
 * process); a vanished vCPU thread only marks its entry unknown (node -1).
 * Other errors are those of the seam. */
int va_sampler_run(const va_sampler_input *in, va_sampler_state *st,
                   va_vm_obs *obs, va_vcpu_obs *vcpus, va_sample_stats *stats);

/* Parsers of the /proc texts, exposed for tests. */
int va_parse_stat_cpu(const char *stat);            /* -1 if malformed */
int va_parse_schedstat(const char *text, uint64_t *runtime_ns);
/* 0 and *have = true when the text has NUMA fault lines. */
int va_parse_sched_faults(const char *text, const vmaccel_topology *topo,
                          bool *have, uint64_t *local, uint64_t *remote);

#endif
