/*
 * misplaced_vm: a process that looks like a VMM to vm-accel, with its memory
 * on the wrong NUMA node.
 *
 * Like QEMU it names its vCPU threads "CPU n/KVM" and keeps guest RAM in one
 * large anonymous mapping. The RAM is bound to --mem-node and every page is
 * touched there; the vCPU threads are pinned to the CPUs of --cpu-node and
 * then keep reading and writing random guest pages. Once the binding is
 * set up the mapping's policy is reset to default, so a balancer may move
 * the pages (as with a real VMM, whose RAM has no hard binding).
 *
 * usage: misplaced_vm [--mem-node N] [--cpu-node N] [--mem-mb MB]
 *                     [--vcpus N] [--seconds S]
 * Prints "READY pid=P ram=0xADDR bytes=B" when set up, then runs until
 * killed or S seconds (default: forever).
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
#include <sys/prctl.h>
#include <unistd.h>

struct config {
    int mem_node, cpu_node, vcpus;
    size_t bytes;
    unsigned seconds;
};

static unsigned char *ram;
static size_t ram_bytes;
static atomic_int stop;

static int parse(int argc, char **argv, struct config *c)
{
    *c = (struct config){1, 0, 2, 64u << 20, 0};
    for (int i = 1; i + 1 < argc; i += 2) {
        long v = strtol(argv[i + 1], NULL, 10);
        if (!strcmp(argv[i], "--mem-node")) c->mem_node = (int)v;
        else if (!strcmp(argv[i], "--cpu-node")) c->cpu_node = (int)v;
        else if (!strcmp(argv[i], "--mem-mb")) c->bytes = (size_t)v << 20;
        else if (!strcmp(argv[i], "--vcpus")) c->vcpus = (int)v;
        else if (!strcmp(argv[i], "--seconds")) c->seconds = (unsigned)v;
        else return -1;
    }
    return c->vcpus > 0 && c->vcpus <= 64 && c->bytes > 0 ? 0 : -1;
}

/* Maps guest RAM with every page on `node`, then drops the binding. */
static int map_ram(const struct config *c)
{
    ram_bytes = c->bytes;
    ram = mmap(NULL, ram_bytes, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ram == MAP_FAILED)
        return -1;
    unsigned long mask = 1ul << c->mem_node;
    if (mbind(ram, ram_bytes, MPOL_BIND, &mask, sizeof mask * 8, 0) != 0) {
        perror("mbind");
        return -1;
    }
    memset(ram, 0x5a, ram_bytes);
    if (mbind(ram, ram_bytes, MPOL_DEFAULT, NULL, 0, 0) != 0)
        perror("mbind default");
    return 0;
}

static void pin_to_node(int node)
{
    struct bitmask *cpus = numa_allocate_cpumask();
    if (numa_node_to_cpus(node, cpus) == 0)
        numa_sched_setaffinity(0, cpus);
    numa_free_cpumask(cpus);
}

struct vcpu {
    pthread_t thread;
    int index, node;
};

static void *vcpu_main(void *arg)
{
    struct vcpu *v = arg;
    char name[16];
    snprintf(name, sizeof name, "CPU %d/KVM", v->index);
    prctl(PR_SET_NAME, name);
    pin_to_node(v->node);
    uint64_t x = 0x9e3779b97f4a7c15ull * (uint64_t)(v->index + 1);
    size_t pages = ram_bytes / 4096;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        for (int k = 0; k < 4096; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            ram[(x % pages) * 4096 + (x >> 52)] += 1;
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    struct config c;
    if (parse(argc, argv, &c) != 0) {
        fprintf(stderr, "usage: misplaced_vm [--mem-node N] [--cpu-node N] "
                        "[--mem-mb MB] [--vcpus N] [--seconds S]\n");
        return 2;
    }
    if (numa_available() < 0 || c.mem_node > numa_max_node() ||
        c.cpu_node > numa_max_node()) {
        fprintf(stderr, "misplaced_vm: nodes %d/%d not present (max %d)\n",
                c.mem_node, c.cpu_node, numa_max_node());
        return 1;
    }
    if (map_ram(&c) != 0)
        return 1;
    struct vcpu v[64];
    for (int i = 0; i < c.vcpus; i++) {
        v[i].index = i;
        v[i].node = c.cpu_node;
        pthread_create(&v[i].thread, NULL, vcpu_main, &v[i]);
    }
    printf("READY pid=%d ram=%p bytes=%zu\n", getpid(), (void *)ram, ram_bytes);
    fflush(stdout);
    if (c.seconds) {
        sleep(c.seconds);
        atomic_store(&stop, 1);
        for (int i = 0; i < c.vcpus; i++)
            pthread_join(v[i].thread, NULL);
        return 0;
    }
    for (;;)
        pause();
}
