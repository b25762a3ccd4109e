/*
 * misplaced_vm: a process that looks like a VMM to vm-accel, with its memory
 * on the wrong NUMA node.
 *
 * Like QEMU it names its vCPU threads "CPU n/KVM" and keeps guest RAM in
 * large anonymous mappings. The RAM is bound to --mem-node and every page is
 * touched there; the vCPU threads are pinned to the CPUs of --cpu-node and
 * then keep reading and writing random guest pages. Once the binding is
 * set up the mapping's policy is reset to default, so a balancer may move
 * the pages (as with a real VMM, whose RAM has no hard binding).
 *
 * Guest NUMA nodes, with QEMU's own options (vm-accel reads them from the
 * command line as it does QEMU's):
 *     -object memory-backend-ram,id=m0,size=64M ... -numa node,cpus=0-1,memdev=m0
 * Each backend is a mapping of its own, made in command-line order (as
 * QEMU does), and each vCPU touches only its guest node's memory.
 *
 * usage: misplaced_vm [--mem-node N] [--cpu-node N] [--mem-mb MB] [--vcpus N]
 *                     [--seconds S] [--unpin-after S] [--stats FILE]
 *                     [--thp on|off] [-object ... -numa ...]
 *   --unpin-after S  after S seconds the vCPUs may run anywhere (a
 *                    balancer that moves threads may then move them)
 *   --stats FILE     every second: "accesses=N elapsed_ms=T" (the guest
 *                    memory accesses done so far, for access rates)
 * Prints "READY pid=P ram=0xADDR bytes=B [cells=ADDR:FIRST-LAST,...]" when
 * set up (cells: each guest node's mapping and vCPUs, hex address), then
 * runs until killed or S seconds (default: forever).
 */
#define _GNU_SOURCE
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <sys/prctl.h>
#include <unistd.h>

#define MAX_VCPUS 64
#define MAX_NODES 16

struct node {                 /* a guest NUMA node */
    char memdev[32];
    unsigned first_cpu, last_cpu;
    size_t bytes;
    unsigned char *ram;
};

struct config {
    int mem_node, cpu_node, vcpus, thp;
    size_t bytes;
    unsigned seconds, unpin_after;
    const char *stats;
    struct node nodes[MAX_NODES];
    unsigned nnodes;
};

static atomic_int stop;
static atomic_ullong accesses;

/* "memory-backend-ram,id=m0,size=64M" */
static int parse_object(struct config *c, const char *arg)
{
    char id[32] = "";
    unsigned long mb = 0;
    const char *p = strstr(arg, "id="), *q = strstr(arg, "size=");
    if (strncmp(arg, "memory-backend-", 15) || !p || !q || c->nnodes == MAX_NODES ||
        sscanf(p, "id=%31[^,]", id) != 1 || sscanf(q, "size=%luM", &mb) != 1 || !mb)
        return -1;
    /* Backends come first; the node that names it gets its size. */
    for (unsigned i = 0; i < c->nnodes; i++)
        if (!strcmp(c->nodes[i].memdev, id)) {
            c->nodes[i].bytes = mb << 20;
            return 0;
        }
    struct node *n = &c->nodes[c->nnodes++];
    snprintf(n->memdev, sizeof n->memdev, "%s", id);
    n->bytes = mb << 20;
    n->last_cpu = ~0u; /* no cpus yet */
    return 0;
}

/* "node,nodeid=0,cpus=0-1,memdev=m0" */
static int parse_numa(struct config *c, const char *arg)
{
    char memdev[32] = "";
    unsigned a, b;
    const char *cpus = strstr(arg, "cpus="), *mem = strstr(arg, "memdev=");
    if (strncmp(arg, "node", 4) || !cpus || !mem || sscanf(mem, "memdev=%31[^,]", memdev) != 1)
        return -1;
    int got = sscanf(cpus, "cpus=%u-%u", &a, &b);
    if (got < 1)
        return -1;
    if (got == 1)
        b = a;
    for (unsigned i = 0; i < c->nnodes; i++)
        if (!strcmp(c->nodes[i].memdev, memdev)) {
            c->nodes[i].first_cpu = a;
            c->nodes[i].last_cpu = b;
            return 0;
        }
    return -1; /* -object must come first, as QEMU has it */
}

static int parse(int argc, char **argv, struct config *c)
{
    *c = (struct config){.mem_node = 1, .cpu_node = 0, .vcpus = 2, .bytes = 64u << 20,
                         .thp = -1};
    for (int i = 1; i + 1 < argc; i += 2) {
        long v = strtol(argv[i + 1], NULL, 10);
        if (!strcmp(argv[i], "--mem-node")) c->mem_node = (int)v;
        else if (!strcmp(argv[i], "--cpu-node")) c->cpu_node = (int)v;
        else if (!strcmp(argv[i], "--mem-mb")) c->bytes = (size_t)v << 20;
        else if (!strcmp(argv[i], "--vcpus")) c->vcpus = (int)v;
        else if (!strcmp(argv[i], "--seconds")) c->seconds = (unsigned)v;
        else if (!strcmp(argv[i], "--unpin-after")) c->unpin_after = (unsigned)v;
        else if (!strcmp(argv[i], "--stats")) c->stats = argv[i + 1];
        else if (!strcmp(argv[i], "--thp")) c->thp = !strcmp(argv[i + 1], "on");
        else if (!strcmp(argv[i], "-object")) { if (parse_object(c, argv[i + 1])) return -1; }
        else if (!strcmp(argv[i], "-numa")) { if (parse_numa(c, argv[i + 1])) return -1; }
        else return -1;
    }
    for (unsigned i = 0; i < c->nnodes; i++)
        if (c->nodes[i].last_cpu == ~0u || c->nodes[i].last_cpu >= (unsigned)c->vcpus)
            return -1;
    return c->vcpus > 0 && c->vcpus <= MAX_VCPUS && c->bytes > 0 ? 0 : -1;
}

/* Maps `bytes` with every page on `node`, then drops the binding. Like
 * QEMU's RAM blocks: 2 MiB aligned (huge pages can back it) inside a
 * PROT_NONE reservation, whose guard keeps the kernel from merging two
 * blocks into one mapping. */
static unsigned char *map_ram(size_t bytes, int node, int thp)
{
    const size_t align = 2u << 20;
    unsigned char *area = mmap(NULL, bytes + 2 * align, PROT_NONE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (area == MAP_FAILED)
        return NULL;
    unsigned char *ram = (unsigned char *)(((uintptr_t)area + align - 1) & ~(uintptr_t)(align - 1));
    if (mprotect(ram, bytes, PROT_READ | PROT_WRITE) != 0)
        return NULL;
    if (thp >= 0)
        madvise(ram, bytes, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    unsigned long mask = 1ul << node;
    if (mbind(ram, bytes, MPOL_BIND, &mask, sizeof mask * 8, 0) != 0) {
        perror("mbind");
        return NULL;
    }
    memset(ram, 0x5a, bytes);
    if (mbind(ram, bytes, MPOL_DEFAULT, NULL, 0, 0) != 0)
        perror("mbind default");
    return ram;
}

static void pin_to_node(int node)
{
    struct bitmask *cpus = numa_allocate_cpumask();
    if (numa_node_to_cpus(node, cpus) == 0)
        numa_sched_setaffinity(0, cpus);
    numa_free_cpumask(cpus);
}

static void unpin(void)
{
    struct bitmask *all = numa_allocate_cpumask();
    for (int c = 0; c < numa_num_configured_cpus(); c++)
        numa_bitmask_setbit(all, (unsigned)c);
    numa_sched_setaffinity(0, all);
    numa_free_cpumask(all);
}

struct vcpu {
    pthread_t thread;
    int index, node;
    unsigned unpin_after;
    unsigned char *ram;       /* what it touches */
    size_t bytes;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *vcpu_main(void *arg)
{
    struct vcpu *v = arg;
    char name[16];
    snprintf(name, sizeof name, "CPU %d/KVM", v->index);
    prctl(PR_SET_NAME, name);
    pin_to_node(v->node);
    double unpin_at = v->unpin_after ? now_s() + v->unpin_after : 0;
    uint64_t x = 0x9e3779b97f4a7c15ull * (uint64_t)(v->index + 1);
    size_t pages = v->bytes / 4096;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        for (int k = 0; k < 4096; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            v->ram[(x % pages) * 4096 + (x >> 52)] += 1;
        }
        atomic_fetch_add_explicit(&accesses, 4096, memory_order_relaxed);
        if (unpin_at && now_s() >= unpin_at) {
            unpin();
            unpin_at = 0;
        }
    }
    return NULL;
}

/* The guest's layout: one mapping per guest node, or one for all. */
static int map_guest(struct config *c, unsigned char **ram, size_t *total)
{
    *total = 0;
    for (unsigned i = 0; i < c->nnodes; i++) {
        if (!(c->nodes[i].ram = map_ram(c->nodes[i].bytes, c->mem_node, c->thp)))
            return -1;
        *total += c->nodes[i].bytes;
    }
    if (c->nnodes) {
        *ram = c->nodes[0].ram;
        return 0;
    }
    *total = c->bytes;
    return (*ram = map_ram(c->bytes, c->mem_node, c->thp)) ? 0 : -1;
}

static void write_stats(const char *path, double start)
{
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    fprintf(f, "accesses=%llu elapsed_ms=%.0f\n", (unsigned long long)atomic_load(&accesses),
            (now_s() - start) * 1e3);
    fclose(f);
    rename(tmp, path);
}

int main(int argc, char **argv)
{
    struct config c;
    if (parse(argc, argv, &c) != 0) {
        fprintf(stderr, "usage: misplaced_vm [--mem-node N] [--cpu-node N] [--mem-mb MB] "
                        "[--vcpus N] [--seconds S] [--unpin-after S] [--stats FILE] "
                        "[--thp on|off] [-object memory-backend-ram,id=ID,size=NM "
                        "-numa node,cpus=A-B,memdev=ID ...]\n");
        return 2;
    }
    if (numa_available() < 0 || c.mem_node > numa_max_node() ||
        c.cpu_node > numa_max_node()) {
        fprintf(stderr, "misplaced_vm: nodes %d/%d not present (max %d)\n",
                c.mem_node, c.cpu_node, numa_max_node());
        return 1;
    }
    unsigned char *ram;
    size_t total;
    if (map_guest(&c, &ram, &total) != 0)
        return 1;
    struct vcpu v[MAX_VCPUS];
    /* Small stacks: glibc's default (8 MiB, the RLIMIT_STACK) would tie
     * with small RAM (--mem-mb 8), and vm-accel takes a VMM's largest
     * anonymous mapping for its RAM when none is above 64 MiB, and where a
     * tie lands depends on the kernel's mmap layout (6.12 put a stack
     * first, so vm-accel watched a stack). */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256u << 10);
    for (int i = 0; i < c.vcpus; i++) {
        v[i] = (struct vcpu){.index = i, .node = c.cpu_node, .unpin_after = c.unpin_after,
                             .ram = ram, .bytes = total};
        for (unsigned n = 0; n < c.nnodes; n++)
            if ((unsigned)i >= c.nodes[n].first_cpu && (unsigned)i <= c.nodes[n].last_cpu)
                v[i].ram = c.nodes[n].ram, v[i].bytes = c.nodes[n].bytes;
        pthread_create(&v[i].thread, &attr, vcpu_main, &v[i]);
    }
    pthread_attr_destroy(&attr);
    printf("READY pid=%d ram=%p bytes=%zu", getpid(), (void *)ram, total);
    /* Guest nodes: "cells=ADDR:first-last,..." for the measuring script. */
    for (unsigned n = 0; n < c.nnodes; n++)
        printf("%s%lx:%u-%u", n ? "," : " cells=", (unsigned long)(uintptr_t)c.nodes[n].ram,
               c.nodes[n].first_cpu, c.nodes[n].last_cpu);
    printf("\n");
    fflush(stdout);
    double start = now_s();
    for (unsigned s = 0; !c.seconds || s < c.seconds; s++) {
        sleep(1);
        if (c.stats)
            write_stats(c.stats, start);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < c.vcpus; i++)
        pthread_join(v[i].thread, NULL);
    return 0;
}
