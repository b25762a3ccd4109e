/*
 * vmaccel/topology.h - the host's CPU, cache and NUMA topology (hwloc).
 *
 * A topology is an immutable snapshot: load it from the live host, from an
 * hwloc XML file or from an hwloc synthetic description such as
 * "pack:2 numa:2 l3:1 core:4 pu:2". Objects are addressed by a dense logical
 * index (0..count-1, hwloc's logical order); PUs and NUMA nodes also carry
 * the OS index (the CPU number the kernel uses, the node number of libnuma).
 *
 * Thread safety: a snapshot is read-only after load; any thread may read it
 * concurrently. _free must not race with readers.
 */
#ifndef VMACCEL_TOPOLOGY_H
#define VMACCEL_TOPOLOGY_H

#include "common.h"

VMACCEL_BEGIN_DECLS

typedef struct vmaccel_topology vmaccel_topology;

typedef enum vmaccel_topology_source {
    VMACCEL_TOPOLOGY_LIVE = 0,      /* this host, as hwloc discovers it */
    VMACCEL_TOPOLOGY_XML = 1,       /* an hwloc XML file (`path`) */
    VMACCEL_TOPOLOGY_SYNTHETIC = 2  /* an hwloc synthetic string (`synthetic`) */
} vmaccel_topology_source;

#define VMACCEL_TOPOLOGY_OPTIONS_VERSION 1
typedef struct vmaccel_topology_options {
    unsigned version;          /* VMACCEL_TOPOLOGY_OPTIONS_VERSION */
    vmaccel_topology_source source;
    const char *path;          /* XML file for VMACCEL_TOPOLOGY_XML */
    const char *synthetic;     /* description for VMACCEL_TOPOLOGY_SYNTHETIC */
    /* CPUs this process may use, as a Linux cpulist ("0-3,8"). NULL: the
     * live host's cgroup cpuset and affinity mask, or every PU for XML and
     * synthetic topologies. Lets tests play a restricted cpuset. */
    const char *allowed_cpus;
} vmaccel_topology_options;

#define VMACCEL_TOPOLOGY_OPTIONS_INIT { VMACCEL_TOPOLOGY_OPTIONS_VERSION, \
    VMACCEL_TOPOLOGY_LIVE, NULL, NULL, NULL }
VMACCEL_API void vmaccel_topology_options_init(vmaccel_topology_options *opts);

/* Loads a topology. Errors: VMACCEL_EINVAL (bad options), VMACCEL_ENOENT
 * (XML file missing), VMACCEL_EPARSE (bad XML or synthetic string),
 * VMACCEL_ERANGE (a synthetic description larger than any real machine:
 * over 16384 PUs, 32768 objects or 256 children per parent), VMACCEL_EIO
 * (hwloc failed). Thread safety: any thread. */
VMACCEL_API int vmaccel_topology_load(const vmaccel_topology_options *opts,
                                      vmaccel_topology **out);

/* Frees a topology from vmaccel_topology_load(). NULL is a no-op; the
 * manager's topology (vmaccel_manager_topology) is not freed this way. */
VMACCEL_API void vmaccel_topology_free(vmaccel_topology *topo);

typedef enum vmaccel_object_kind {
    VMACCEL_OBJ_PACKAGE = 0,
    VMACCEL_OBJ_NUMA_NODE = 1,
    VMACCEL_OBJ_CORE = 2,
    VMACCEL_OBJ_PU = 3,
    VMACCEL_OBJ_L1_CACHE = 4, /* L1 data or unified caches */
    VMACCEL_OBJ_L2_CACHE = 5,
    VMACCEL_OBJ_L3_CACHE = 6
} vmaccel_object_kind;

/* Number of objects of a kind. */
VMACCEL_API int vmaccel_topology_count(const vmaccel_topology *topo,
                                       vmaccel_object_kind kind,
                                       unsigned *count);

#define VMACCEL_NO_INDEX 0xffffffffu /* "none", e.g. a PU without an L3 */

#define VMACCEL_PU_INFO_VERSION 1
typedef struct vmaccel_pu_info {
    unsigned version;     /* set by the caller: VMACCEL_PU_INFO_VERSION */
    unsigned os_index;    /* the kernel's CPU number */
    unsigned core;        /* logical index of its core */
    unsigned package;     /* logical index of its package */
    unsigned numa_node;   /* logical index of its NUMA node */
    unsigned l1, l2, l3;  /* logical cache indices or VMACCEL_NO_INDEX */
    int allowed;          /* 1 if this process may run on it */
} vmaccel_pu_info;
#define VMACCEL_PU_INFO_INIT { VMACCEL_PU_INFO_VERSION, 0, 0, 0, 0, 0, 0, 0, 0 }

/* Describes PU number `index` (logical). */
VMACCEL_API int vmaccel_topology_pu(const vmaccel_topology *topo,
                                    unsigned index, vmaccel_pu_info *info);

#define VMACCEL_NUMA_NODE_INFO_VERSION 1
typedef struct vmaccel_numa_node_info {
    unsigned version;       /* set by the caller */
    unsigned os_index;      /* the kernel's node number */
    uint64_t memory_bytes;  /* local memory (0 if unknown) */
    unsigned pu_count;      /* PUs attached to the node */
} vmaccel_numa_node_info;
#define VMACCEL_NUMA_NODE_INFO_INIT { VMACCEL_NUMA_NODE_INFO_VERSION, 0, 0, 0 }

VMACCEL_API int vmaccel_topology_numa_node(const vmaccel_topology *topo,
                                           unsigned index,
                                           vmaccel_numa_node_info *info);

/* Relative distance between NUMA nodes `from` and `to` (logical indices),
 * as in the ACPI SLIT: 10 is local. */
VMACCEL_API int vmaccel_topology_distance(const vmaccel_topology *topo,
                                          unsigned from, unsigned to,
                                          unsigned *distance);

#define VMACCEL_CACHE_INFO_VERSION 1
typedef struct vmaccel_cache_info {
    unsigned version;      /* set by the caller */
    unsigned level;        /* 1, 2 or 3 */
    uint64_t size_bytes;   /* 0 if unknown */
    unsigned line_size;    /* 0 if unknown */
    unsigned pu_count;     /* PUs sharing this cache */
} vmaccel_cache_info;
#define VMACCEL_CACHE_INFO_INIT { VMACCEL_CACHE_INFO_VERSION, 0, 0, 0, 0 }

/* Describes cache `index` of `kind` (VMACCEL_OBJ_L1/L2/L3_CACHE). */
VMACCEL_API int vmaccel_topology_cache(const vmaccel_topology *topo,
                                       vmaccel_object_kind kind,
                                       unsigned index,
                                       vmaccel_cache_info *info);

/* The OS indices of the PUs inside object `index` of `kind` (package, node,
 * core, cache or PU), ascending. Writes at most `cap` entries to `cpus` and
 * the full count to `*count`; cpus may be NULL when cap is 0. */
VMACCEL_API int vmaccel_topology_object_cpus(const vmaccel_topology *topo,
                                             vmaccel_object_kind kind,
                                             unsigned index, unsigned *cpus,
                                             size_t cap, size_t *count);

/* The OS indices of the PUs this process may use (cgroup cpuset and
 * affinity mask), ascending. Same buffer contract as above. */
VMACCEL_API int vmaccel_topology_allowed_cpus(const vmaccel_topology *topo,
                                              unsigned *cpus, size_t cap,
                                              size_t *count);

/* Serialises the topology as a vmaccel.v1.Topology message in `format`.
 * Release *out with vmaccel_buf_free(). */
VMACCEL_API int vmaccel_topology_report(const vmaccel_topology *topo,
                                        vmaccel_format format,
                                        vmaccel_buf *out);

VMACCEL_END_DECLS

#endif /* VMACCEL_TOPOLOGY_H */
