/*
 * Internal: a QEMU command line's guest NUMA layout - which vCPUs and which
 * memory backend make up each guest node:
 *     -object memory-backend-ram,id=m0,size=512M      (also -file, -memfd,
 *     -object '{"qom-type":"memory-backend-ram","id":"m0","size":536870912}')
 *     -numa node,nodeid=0,cpus=0-1,cpus=4,memdev=m0
 * Guest RAM of each backend is a mapping of its own in QEMU's address
 * space; va_qemu_match_backends finds it in /proc/PID/maps by size (QEMU
 * maps exactly `size` bytes), and when several backends have one size, by
 * creation order: QEMU creates backends in command-line order and mmap
 * hands out addresses downwards, so the first-created is the highest.
 * Pure: the caller reads the files. Not read: the legacy -numa node,mem=
 * (one mapping for all nodes) and -numa cpu,... topology forms.
 */
#ifndef VA_VMM_QEMU_NUMA_H
#define VA_VMM_QEMU_NUMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VA_QEMU_MAX_NODES 64
#define VA_QEMU_MAX_RANGES 16    /* cpus= ranges per node */
#define VA_QEMU_ID_LEN 64

typedef struct va_qemu_node {
    unsigned nranges;
    unsigned first[VA_QEMU_MAX_RANGES], last[VA_QEMU_MAX_RANGES]; /* cpus= */
    char memdev[VA_QEMU_ID_LEN];
    int backend;                 /* index into backends, -1 none */
} va_qemu_node;

typedef struct va_qemu_backend {
    char id[VA_QEMU_ID_LEN];
    uint64_t size;
    uint64_t start;              /* its mapping, once matched (0: none) */
} va_qemu_backend;

typedef struct va_qemu_numa {
    unsigned nnodes, nbackends;
    va_qemu_node nodes[VA_QEMU_MAX_NODES];
    va_qemu_backend backends[VA_QEMU_MAX_NODES];
} va_qemu_numa;

/* Parses the NUL-separated command line (/proc/PID/cmdline, len bytes).
 * 0 with out->nnodes == 0 when it has no guest node with a memdev;
 * VMACCEL_EPARSE (with a message) for a layout it cannot read (a node
 * without cpus=, a memdev no -object defines, a bad size, too many). */
int va_qemu_parse_numa(const char *cmdline, size_t len, va_qemu_numa *out);

/* Fills backends[].start from a /proc/PID/maps text. VMACCEL_ENOENT when
 * a backend has no mapping of its size. */
int va_qemu_match_backends(va_qemu_numa *numa, const char *maps);

/* Whether vCPU `index` belongs to guest node `node`. */
bool va_qemu_node_has_cpu(const va_qemu_node *node, unsigned index);

#endif
