/* Builds the flat topology snapshot from hwloc. */
#include "topo.h"

#include "core/error.h"
#include "topology/parse_guard.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <hwloc.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const hwloc_obj_type_t kind_type[VA_KIND_COUNT] = {
    [VMACCEL_OBJ_PACKAGE] = HWLOC_OBJ_PACKAGE,
    [VMACCEL_OBJ_NUMA_NODE] = HWLOC_OBJ_NUMANODE,
    [VMACCEL_OBJ_CORE] = HWLOC_OBJ_CORE,
    [VMACCEL_OBJ_PU] = HWLOC_OBJ_PU,
    [VMACCEL_OBJ_L1_CACHE] = HWLOC_OBJ_L1CACHE,
    [VMACCEL_OBJ_L2_CACHE] = HWLOC_OBJ_L2CACHE,
    [VMACCEL_OBJ_L3_CACHE] = HWLOC_OBJ_L3CACHE,
};

/* Copies the OS indices of a cpuset into a fresh ascending array. */
static int cpuset_to_array(hwloc_const_cpuset_t set, unsigned **out,
                           unsigned *n)
{
    int weight = hwloc_bitmap_weight(set);
    if (weight < 0)
        return va_fail(VMACCEL_EIO, "hwloc reported an infinite cpuset");
    unsigned *cpus = calloc((size_t)weight + 1, sizeof *cpus);
    if (!cpus)
        return va_fail(VMACCEL_ENOMEM, "out of memory for a cpuset");
    unsigned k = 0;
    int id;
    hwloc_bitmap_foreach_begin(id, set) { cpus[k++] = (unsigned)id; }
    hwloc_bitmap_foreach_end();
    *out = cpus;
    *n = k;
    return 0;
}

static int fill_objects(hwloc_topology_t h, vmaccel_topology *t,
                        vmaccel_object_kind kind)
{
    int n = hwloc_get_nbobjs_by_type(h, kind_type[kind]);
    if (n <= 0)
        return 0;
    t->objects[kind] = calloc((size_t)n, sizeof(va_topo_object));
    if (!t->objects[kind])
        return va_fail(VMACCEL_ENOMEM, "out of memory for %d objects", n);
    t->count[kind] = (unsigned)n;
    for (int i = 0; i < n; i++) {
        hwloc_obj_t o = hwloc_get_obj_by_type(h, kind_type[kind], (unsigned)i);
        va_topo_object *dst = &t->objects[kind][i];
        dst->os_index = o->os_index;
        if (kind == VMACCEL_OBJ_NUMA_NODE)
            dst->size_bytes = o->attr->numanode.local_memory;
        if (hwloc_obj_type_is_cache(o->type)) {
            dst->level = o->attr->cache.depth;
            dst->size_bytes = o->attr->cache.size;
            dst->line_size = o->attr->cache.linesize;
        }
        int rc = cpuset_to_array(o->cpuset, &dst->cpus, &dst->ncpus);
        if (rc)
            return rc;
    }
    return 0;
}

static unsigned ancestor_index(hwloc_topology_t h, hwloc_obj_t pu,
                               hwloc_obj_type_t type)
{
    hwloc_obj_t a = hwloc_get_ancestor_obj_by_type(h, type, pu);
    return a ? a->logical_index : VMACCEL_NO_INDEX;
}

/* The OS-number -> logical-PU table behind va_topology_pu_by_os. */
static int fill_pu_index(vmaccel_topology *t)
{
    unsigned n = t->count[VMACCEL_OBJ_PU], max = 0;
    for (unsigned i = 0; i < n; i++)
        max = t->pus[i].os_index > max ? t->pus[i].os_index : max;
    if (max >= 1u << 20)
        return va_fail(VMACCEL_EPARSE, "CPU number %u is implausibly large", max);
    t->pu_of_os = malloc(((size_t)max + 1) * sizeof *t->pu_of_os);
    if (!t->pu_of_os)
        return va_fail(VMACCEL_ENOMEM, "out of memory for the CPU index");
    for (unsigned c = 0; c <= max; c++)
        t->pu_of_os[c] = VMACCEL_NO_INDEX;
    for (unsigned i = 0; i < n; i++)
        t->pu_of_os[t->pus[i].os_index] = i;
    t->npu_of_os = max + 1;
    return 0;
}

/* Each PU's NUMA node: the first node whose CPUs hold its OS number, or
 * VMACCEL_NO_INDEX. One pass over the nodes' CPU lists: looking each PU up
 * in all of them was quadratic in the PU count, and a hostile topology
 * description with tens of thousands of PUs stalled the loader for
 * minutes. Needs pu_of_os (fill_pu_index). */
static int fill_pu_nodes(vmaccel_topology *t)
{
    unsigned *node_of_os = malloc(((size_t)t->npu_of_os + 1) * sizeof *node_of_os);
    if (!node_of_os)
        return va_fail(VMACCEL_ENOMEM, "out of memory for the PU node index");
    for (unsigned c = 0; c < t->npu_of_os; c++)
        node_of_os[c] = VMACCEL_NO_INDEX;
    for (unsigned n = t->count[VMACCEL_OBJ_NUMA_NODE]; n-- > 0;) {
        const va_topo_object *node = &t->objects[VMACCEL_OBJ_NUMA_NODE][n];
        for (unsigned k = 0; k < node->ncpus; k++)
            if (node->cpus[k] < t->npu_of_os)
                node_of_os[node->cpus[k]] = n; /* lower nodes overwrite: first wins */
    }
    for (unsigned i = 0; i < t->count[VMACCEL_OBJ_PU]; i++)
        t->pus[i].node = node_of_os[t->pus[i].os_index];
    free(node_of_os);
    return 0;
}

static int fill_pus(hwloc_topology_t h, vmaccel_topology *t)
{
    unsigned n = t->count[VMACCEL_OBJ_PU];
    t->pus = calloc(n ? n : 1, sizeof *t->pus);
    if (!t->pus)
        return va_fail(VMACCEL_ENOMEM, "out of memory for %u PUs", n);
    for (unsigned i = 0; i < n; i++) {
        hwloc_obj_t o = hwloc_get_obj_by_type(h, HWLOC_OBJ_PU, i);
        va_topo_pu *pu = &t->pus[i];
        pu->os_index = o->os_index;
        pu->core = ancestor_index(h, o, HWLOC_OBJ_CORE);
        pu->package = ancestor_index(h, o, HWLOC_OBJ_PACKAGE);
        pu->cache[0] = ancestor_index(h, o, HWLOC_OBJ_L1CACHE);
        pu->cache[1] = ancestor_index(h, o, HWLOC_OBJ_L2CACHE);
        pu->cache[2] = ancestor_index(h, o, HWLOC_OBJ_L3CACHE);
    }
    int rc = fill_pu_index(t);
    return rc ? rc : fill_pu_nodes(t);
}

/* Distances from the firmware (SLIT) or the XML; without any, Linux's own
 * convention: 10 local, 20 remote. */
static int fill_distances(hwloc_topology_t h, vmaccel_topology *t)
{
    unsigned n = t->count[VMACCEL_OBJ_NUMA_NODE];
    t->distance = calloc((size_t)n * n + 1, sizeof *t->distance);
    if (!t->distance)
        return va_fail(VMACCEL_ENOMEM, "out of memory for distances");
    for (unsigned a = 0; a < n; a++)
        for (unsigned b = 0; b < n; b++)
            t->distance[a * n + b] = a == b ? 10 : 20;

    unsigned nr = 1;
    struct hwloc_distances_s *d = NULL;
    if (hwloc_distances_get_by_type(h, HWLOC_OBJ_NUMANODE, &nr, &d, 0, 0) < 0 ||
        nr == 0)
        return 0;
    for (unsigned i = 0; i < d->nbobjs; i++)
        for (unsigned j = 0; j < d->nbobjs; j++) {
            unsigned a = d->objs[i]->logical_index, b = d->objs[j]->logical_index;
            uint64_t v = d->values[i * d->nbobjs + j];
            if (a < n && b < n && v > 0 && v < 0xffffffffu)
                t->distance[a * n + b] = (unsigned)v;
        }
    hwloc_distances_release(h, d);
    return 0;
}

/* The PUs this process may run on: the cgroup cpuset (hwloc's allowed set)
 * intersected with the scheduler affinity mask. */
static int live_allowed(hwloc_topology_t h, hwloc_bitmap_t allowed)
{
    hwloc_bitmap_copy(allowed, hwloc_topology_get_allowed_cpuset(h));
    hwloc_bitmap_t bound = hwloc_bitmap_alloc();
    if (!bound)
        return va_fail(VMACCEL_ENOMEM, "out of memory for a cpuset");
    if (hwloc_get_cpubind(h, bound, HWLOC_CPUBIND_PROCESS) == 0)
        hwloc_bitmap_and(allowed, allowed, bound);
    hwloc_bitmap_free(bound);
    return 0;
}

static int parse_allowed(hwloc_topology_t h, const char *list,
                         hwloc_bitmap_t allowed)
{
    for (const char *p = list; *p; p++)
        if (!strchr("0123456789,-", *p))
            return va_fail(VMACCEL_EPARSE,
                           "allowed_cpus \"%s\": expected a cpulist like 0-3,8",
                           list);
    if (hwloc_bitmap_list_sscanf(allowed, list) < 0 || hwloc_bitmap_iszero(allowed))
        return va_fail(VMACCEL_EPARSE, "allowed_cpus \"%s\" is not a cpulist", list);
    if (!hwloc_bitmap_isincluded(allowed, hwloc_topology_get_topology_cpuset(h)))
        return va_fail(VMACCEL_EINVAL,
                       "allowed_cpus \"%s\" names CPUs the topology does not have",
                       list);
    return 0;
}

static int fill_allowed(hwloc_topology_t h, const vmaccel_topology_options *o,
                        vmaccel_topology *t)
{
    hwloc_bitmap_t allowed = hwloc_bitmap_alloc();
    if (!allowed)
        return va_fail(VMACCEL_ENOMEM, "out of memory for a cpuset");
    int rc;
    if (o->allowed_cpus)
        rc = parse_allowed(h, o->allowed_cpus, allowed);
    else if (o->source == VMACCEL_TOPOLOGY_LIVE)
        rc = live_allowed(h, allowed);
    else
        rc = hwloc_bitmap_copy(allowed, hwloc_topology_get_topology_cpuset(h)) ? VMACCEL_ENOMEM : 0;
    if (rc == 0)
        rc = cpuset_to_array(allowed, &t->allowed, &t->nallowed);
    if (rc == 0)
        for (unsigned i = 0; i < t->count[VMACCEL_OBJ_PU]; i++)
            t->pus[i].allowed = hwloc_bitmap_isset(allowed, t->pus[i].os_index);
    hwloc_bitmap_free(allowed);
    return rc;
}

/* hwloc builds whatever a synthetic description asks for, in time that
 * grows faster than the number of objects and than the width of a level:
 * "pu:16384" takes hwloc two minutes, 65536 PUs from 30 s to hours. Refuse
 * descriptions beyond any real machine before hwloc sees them (Linux builds
 * at most 8192 CPUs): at most 16384 PUs, 32768 objects in all and 256
 * children per parent, which hwloc builds in a few seconds at worst.
 * Counts are read as hwloc reads them (strtoul, base 0, so "0x10", "+16"
 * and "pu: 16" count) after a "type:" or as a bare level ("2 2 4"). hwloc
 * starts a new level where a count's digits or a ")" or "]" stop, so
 * "pack:0299999" is octal 02 followed by a bare level of 99999. Counts hwloc refuses anyway
 * (0, beyond UINT_MAX) are left to its parse error. */
#define VA_SYNTHETIC_MAX_PUS (1u << 14)
#define VA_SYNTHETIC_MAX_OBJECTS (1u << 15)
#define VA_SYNTHETIC_MAX_ARITY 256u

static int check_synthetic_size(const char *desc)
{
    double pus = 1, objects = 0;
    unsigned long widest = 0;
    const char *count_end = desc;
    for (const char *p = desc; *p;) {
        bool bare = p[0] >= '0' && p[0] <= '9' &&
                    (p == count_end || isspace((unsigned char)p[-1]) ||
                     p[-1] == ')' || p[-1] == ']');
        if (*p != ':' && !bare) {
            p++;
            continue;
        }
        const char *num = *p == ':' ? p + 1 : p;
        char *end;
        errno = 0;
        unsigned long n = strtoul(num, &end, 0);
        if (end == num) {
            p++;
            continue;
        }
        p = count_end = end;
        if (errno == ERANGE || n == 0 || n > UINT_MAX)
            continue;
        pus *= (double)n;
        objects += pus;
        widest = n > widest ? n : widest;
    }
    if (pus > VA_SYNTHETIC_MAX_PUS || objects > VA_SYNTHETIC_MAX_OBJECTS ||
        widest > VA_SYNTHETIC_MAX_ARITY)
        return va_fail(VMACCEL_ERANGE, "synthetic topology \"%.60s\" is larger than any "
                       "real machine (at most %u PUs, %u objects, %u children per "
                       "parent)", desc, VA_SYNTHETIC_MAX_PUS, VA_SYNTHETIC_MAX_OBJECTS,
                       VA_SYNTHETIC_MAX_ARITY);
    return 0;
}

static int check_options(const vmaccel_topology_options *o)
{
    if (o->version != VMACCEL_TOPOLOGY_OPTIONS_VERSION)
        return va_fail(VMACCEL_EINVAL, "topology options version %u, expected %u "
                       "(initialise with VMACCEL_TOPOLOGY_OPTIONS_INIT)",
                       o->version, VMACCEL_TOPOLOGY_OPTIONS_VERSION);
    switch (o->source) {
    case VMACCEL_TOPOLOGY_LIVE:
        return 0;
    case VMACCEL_TOPOLOGY_XML:
        if (!o->path || !*o->path)
            return va_fail(VMACCEL_EINVAL, "XML topology needs a file path");
        if (access(o->path, R_OK) != 0)
            return va_fail(va_errno_code(errno), "cannot read topology XML %s: %s",
                           o->path, strerror(errno));
        return 0;
    case VMACCEL_TOPOLOGY_SYNTHETIC:
        if (!o->synthetic || !*o->synthetic)
            return va_fail(VMACCEL_EINVAL, "synthetic topology needs a description");
        return check_synthetic_size(o->synthetic);
    }
    return va_fail(VMACCEL_EINVAL, "unknown topology source %d", (int)o->source);
}

/* A synthetic description hwloc refused (also used by parse_guard). */
int va_topology_bad_synthetic(const char *desc)
{
    return va_fail(VMACCEL_EPARSE,
                   "bad synthetic topology \"%s\" (expected e.g. "
                   "\"pack:2 numa:2 l3:1 core:4 pu:2\")", desc);
}

static int configure_source(hwloc_topology_t h, const vmaccel_topology_options *o)
{
    if (o->source == VMACCEL_TOPOLOGY_XML ||
        (o->source == VMACCEL_TOPOLOGY_SYNTHETIC && strchr(o->synthetic, '['))) {
        int rc = va_topology_parse_guard(o);
        if (rc)
            return rc;
    }
    if (o->source == VMACCEL_TOPOLOGY_XML && hwloc_topology_set_xml(h, o->path) < 0)
        return va_fail(VMACCEL_EPARSE, "hwloc cannot use %s as XML: %s", o->path,
                       strerror(errno));
    if (o->source == VMACCEL_TOPOLOGY_SYNTHETIC &&
        hwloc_topology_set_synthetic(h, o->synthetic) < 0)
        return va_topology_bad_synthetic(o->synthetic);
    if (o->source == VMACCEL_TOPOLOGY_LIVE)
        hwloc_topology_set_flags(h, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
    if (hwloc_topology_load(h) < 0)
        return va_fail(VMACCEL_EPARSE, "hwloc could not load the %s topology%s%s",
                       o->source == VMACCEL_TOPOLOGY_XML ? "XML" : "host",
                       o->path ? " from " : "", o->path ? o->path : "");
    if (hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_PU) <= 0)
        return va_fail(VMACCEL_EPARSE, "the topology has no processing units");
    return 0;
}

static void describe_source(const vmaccel_topology_options *o, vmaccel_topology *t)
{
    if (o->source == VMACCEL_TOPOLOGY_XML)
        snprintf(t->source, sizeof t->source, "xml:%s", o->path);
    else if (o->source == VMACCEL_TOPOLOGY_SYNTHETIC)
        snprintf(t->source, sizeof t->source, "synthetic:%s", o->synthetic);
    else
        snprintf(t->source, sizeof t->source, "live");
}

int va_topology_build(const vmaccel_topology_options *opts, vmaccel_topology **out)
{
    vmaccel_topology_options live = VMACCEL_TOPOLOGY_OPTIONS_INIT;
    const vmaccel_topology_options *o = opts ? opts : &live;
    int rc = check_options(o);
    if (rc)
        return rc;
    vmaccel_topology *t = calloc(1, sizeof *t);
    if (!t)
        return va_fail(VMACCEL_ENOMEM, "out of memory for a topology");
    hwloc_topology_t h;
    if (hwloc_topology_init(&h) < 0) {
        free(t);
        return va_fail(VMACCEL_EIO, "hwloc_topology_init failed");
    }
    rc = configure_source(h, o);
    for (int k = 0; rc == 0 && k < VA_KIND_COUNT; k++)
        rc = fill_objects(h, t, (vmaccel_object_kind)k);
    if (rc == 0)
        rc = fill_pus(h, t);
    if (rc == 0)
        rc = fill_distances(h, t);
    if (rc == 0)
        rc = fill_allowed(h, o, t);
    hwloc_topology_destroy(h);
    if (rc) {
        va_topology_destroy(t);
        return rc;
    }
    describe_source(o, t);
    *out = t;
    return 0;
}

void va_topology_destroy(vmaccel_topology *t)
{
    if (!t)
        return;
    for (int k = 0; k < VA_KIND_COUNT; k++) {
        for (unsigned i = 0; i < t->count[k]; i++)
            free(t->objects[k][i].cpus);
        free(t->objects[k]);
    }
    free(t->pus);
    free(t->distance);
    free(t->allowed);
    free(t->pu_of_os);
    free(t);
}

