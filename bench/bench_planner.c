/*
 * bench_planner: speed and quality of the vCPU placement planner.
 *
 *  speed:   64 VMs x 16 vCPUs on "pack:4 numa:4 l3:2 core:16 pu:2" (1024
 *           PUs, 16 nodes) and on "pack:4 numa:4 l3:2 core:8 pu:2" (512 PUs,
 *           2x overcommitted), per strategy: median and p90 of
 *           va_plan_compute over --runs runs. Target: median < 1 ms.
 *  quality: random small instances (<= 8 vCPUs, <= 4 nodes) scored against
 *           the exhaustive optimum of the same score. Target: mean >= 98%.
 *
 * usage: bench_planner [--runs N] [--instances N]
 */
#include "affinity/planner.h"
#include "topology/topo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const strategy_names[] = {"local-first", "load-balanced",
                                             "bandwidth-optimized", "adaptive"};

static vmaccel_topology *load(const char *synthetic)
{
    vmaccel_topology_options o = VMACCEL_TOPOLOGY_OPTIONS_INIT;
    o.source = VMACCEL_TOPOLOGY_SYNTHETIC;
    o.synthetic = synthetic;
    vmaccel_topology *t = NULL;
    if (va_topology_build(&o, &t)) {
        fprintf(stderr, "bench_planner: %s: %s\n", synthetic, vmaccel_error_last());
        exit(1);
    }
    return t;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void speed(unsigned runs, const char *syn)
{
    vmaccel_topology *t = load(syn);
    va_plan_vm vms[64];
    double *us = calloc(runs, sizeof *us);
    printf("speed: 64 VMs x 16 vCPUs on \"%s\" (%u PUs, %u nodes), %u runs\n",
           syn, t->count[VMACCEL_OBJ_PU], va_topology_nodes(t), runs);
    for (int s = 0; s < VMACCEL_STRATEGY_COUNT_; s++) {
        memset(vms, 0, sizeof vms);
        for (int i = 0; i < 64; i++) {
            vms[i].nvcpus = 16;
            vms[i].strategy = (vmaccel_strategy)s;
        }
        va_plan_input in = {.topo = t, .smt = VMACCEL_SMT_SPREAD, .nvms = 64, .vms = vms};
        double score = 0;
        for (unsigned r = 0; r < runs; r++) {
            va_plan p;
            double t0 = now_us();
            int rc = va_plan_compute(&in, &p);
            us[r] = now_us() - t0;
            if (rc) {
                fprintf(stderr, "bench_planner: %s\n", vmaccel_error_last());
                exit(1);
            }
            score = p.score;
            va_plan_release(&p);
        }
        qsort(us, runs, sizeof *us, cmp_double);
        printf("  %-20s median %8.1f us   p90 %8.1f us   min %8.1f us   score %.4f\n",
               strategy_names[s], us[runs / 2], us[runs * 9 / 10], us[0], score);
    }
    free(us);
    va_topology_destroy(t);
}

static unsigned rnd(unsigned long long *s, unsigned bound)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return bound ? (unsigned)((*s >> 33) % bound) : 0;
}

/* One random small instance: 2..8 vCPUs in VMs of 1..4, memory known for
 * half. Returns the planner/optimum ratio, or -1 if the solver gave up. */
static double one_instance(vmaccel_topology *t, vmaccel_strategy s,
                           unsigned long long *seed)
{
    va_plan_vm vms[8];
    uint64_t mem[8][4];
    unsigned nvms = 0, total = 0, limit = 2 + rnd(seed, 7);
    unsigned nodes = va_topology_nodes(t);
    bool known = rnd(seed, 2);
    memset(vms, 0, sizeof vms);
    memset(mem, 0, sizeof mem);
    while (total < limit && nvms < 8) {
        unsigned n = 1 + rnd(seed, 4);
        n = n < limit - total ? n : limit - total;
        vms[nvms].nvcpus = n;
        vms[nvms].strategy = s;
        for (unsigned k = 0; known && k < nodes && k < 4; k++)
            mem[nvms][k] = rnd(seed, 3) ? 0 : (uint64_t)(1 + rnd(seed, 8)) << 20;
        if (known) {
            mem[nvms][rnd(seed, nodes)] += 64u << 20;
            vms[nvms].mem_per_node = mem[nvms];
        }
        total += n;
        nvms++;
    }
    va_plan_input in = {.topo = t, .smt = VMACCEL_SMT_SPREAD, .nvms = nvms, .vms = vms};
    va_plan g, best;
    if (va_plan_compute(&in, &g))
        return -1;
    if (va_plan_exhaustive(&in, 50000000, &best)) {
        va_plan_release(&g);
        return -1;
    }
    double ratio = g.score / best.score;
    va_plan_release(&g);
    va_plan_release(&best);
    return ratio;
}

static void quality(unsigned instances)
{
    const char *const small[] = {"numa:2 core:2 pu:2", "pack:2 numa:2 core:2 pu:1",
                                 "numa:2 l3:2 core:2 pu:1", "numa:4 core:1 pu:2",
                                 "numa:1 l3:2 core:2 pu:2", "numa:3 core:2 pu:1",
                                 "numa:4 core:2 pu:1"};
    const unsigned ntopo = sizeof small / sizeof *small;
    printf("quality: %u random instances per strategy (<= 8 vCPUs, <= 4 nodes) "
           "over %u topologies\n", instances, ntopo);
    for (int s = 0; s < VMACCEL_STRATEGY_COUNT_; s++) {
        unsigned long long seed = 12345 + (unsigned long long)s;
        double sum = 0, worst = 1;
        unsigned n = 0, optimal = 0;
        for (unsigned i = 0; i < instances; i++) {
            vmaccel_topology *t = load(small[i % ntopo]);
            double r = one_instance(t, (vmaccel_strategy)s, &seed);
            va_topology_destroy(t);
            if (r < 0)
                continue;
            sum += r;
            worst = r < worst ? r : worst;
            optimal += r > 1 - 1e-9;
            n++;
        }
        printf("  %-20s mean %.4f   worst %.4f   optimal %u/%u\n",
               strategy_names[s], n ? sum / n : 0, worst, optimal, n);
    }
}

int main(int argc, char **argv)
{
    unsigned runs = 200, instances = 300;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--runs"))
            runs = (unsigned)strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--instances"))
            instances = (unsigned)strtoul(argv[i + 1], NULL, 10);
    }
    if (runs < 1 || instances < 1) {
        fprintf(stderr, "usage: bench_planner [--runs N] [--instances N]\n");
        return 2;
    }
    /* The host: 1024 PUs (it says 512, but 4x4x2x16x2 = 1024)... */
    speed(runs, "pack:4 numa:4 l3:2 core:16 pu:2");
    /* ... and the 512-PU host it meant: 1024 vCPUs, 2x overcommitted. */
    speed(runs, "pack:4 numa:4 l3:2 core:8 pu:2");
    quality(instances);
    return 0;
}
