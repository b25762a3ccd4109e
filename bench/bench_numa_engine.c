/*
 * The NUMA engine's cost per period, on the simulated platform, for hosts
 * of many VMs (issues #12, #16): one period observes every VM, builds the
 * host model, decides for the whole host and acts.
 *
 * Host: "pack:4 numa:4 l3:2 core:16 pu:2" (16 nodes, 1024 PUs). VMs:
 *   64 x 16 vCPUs x 4 GiB    (the earlier benchmark's host)
 *   2000 x 2 vCPUs x 256 MiB (issue #12's target: < 10 ms of library CPU)
 *   5000 x 2 vCPUs x 256 MiB (issue #16)
 * A tenth of the VMs start with their memory on the node next to their
 * vCPUs' (misplaced); the rest are well placed. Each period every vCPU
 * "runs" 10 ms (schedstat) and the sim clock moves 1 s; the period's CPU
 * time is measured around vmaccel_manager_numa_tick. The first periods fix
 * the misplaced VMs; the steady state after them is what a host pays.
 *
 * The sim answers /proc reads and move_pages from memory (formatting
 * text, looking up pages), which a real kernel does on its side of the
 * syscalls: bench/numa_engine_split.sh runs this under callgrind and
 * splits a period's instructions between the library and the sim.
 *
 * usage: bench_numa_engine [VMS VCPUS MIB]   (default: the three hosts)
 *        VMACCEL_BENCH_QUICK=1: fewer periods.
 */
#include "platform/sim_numa.h"
#include "vmaccel/vmaccel.h"
#include "vmm/vm_internal.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NODES 16
#define PUS 1024
#define BASE 0x7f0000000000ull

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct host {
    va_sim *sim;
    vmaccel_manager *m;
    unsigned nvms, vcpus;
    uint64_t runtime;
} host;

/* Threads of VM v on the PUs of its node; its memory there, or on the
 * next node for every tenth VM. */
static int add_vm(host *h, unsigned v, uint64_t bytes)
{
    int pid = 1000 + (int)v * 100;
    unsigned node = v % NODES, per_node = PUS / NODES;
    if (va_sim_spawn(h->sim, pid, "qemu-system-x86"))
        return 1;
    for (unsigned c = 0; c < h->vcpus; c++) {
        char name[16];
        snprintf(name, sizeof name, "CPU %u/KVM", c);
        int cpu = (int)(node * per_node + (v / NODES * h->vcpus + c) % per_node);
        if (va_sim_add_thread(h->sim, pid, pid + 1 + (int)c, name) ||
            va_sim_set_last_cpu(h->sim, pid + 1 + (int)c, cpu))
            return 1;
    }
    unsigned mem = v % 10 == 0 ? (node + 1) % NODES : node;
    vmaccel_vm *vm;
    return va_sim_map(h->sim, pid, BASE, bytes, (int)mem) ||
           vmaccel_vm_attach_pid(h->m, pid, NULL, &vm);
}

static int setup(host *h, unsigned nvms, unsigned vcpus, uint64_t bytes)
{
    memset(h, 0, sizeof *h);
    h->nvms = nvms;
    h->vcpus = vcpus;
    char online[16];
    snprintf(online, sizeof online, "0-%d", PUS - 1);
    vmaccel_topology_options topo = VMACCEL_TOPOLOGY_OPTIONS_INIT;
    topo.source = VMACCEL_TOPOLOGY_SYNTHETIC;
    topo.synthetic = "pack:4 numa:4 l3:2 core:16 pu:2";
    vmaccel_manager_options mo = VMACCEL_MANAGER_OPTIONS_INIT;
    mo.topology = &topo;
    if (va_sim_new(online, &h->sim) || vmaccel_manager_new(&mo, &h->m))
        return 1;
    h->m->platform = va_sim_platform(h->sim);
    for (unsigned v = 0; v < nvms; v++)
        if (add_vm(h, v, bytes))
            return 1;
    vmaccel_numa_options o = VMACCEL_NUMA_OPTIONS_INIT;
    o.migrate_mb_per_s = 1u << 20; /* fixes done in the first periods */
    return vmaccel_manager_configure_numa(h->m, &o) ||
           vmaccel_manager_enable_numa(h->m, NODES);
}

/* Every vCPU ran 10 ms more; the clock moves a second. */
static void play(host *h)
{
    h->runtime += 10000000;
    char text[32];
    snprintf(text, sizeof text, "%llu 0 0\n", (unsigned long long)h->runtime);
    for (unsigned v = 0; v < h->nvms; v++)
        for (unsigned c = 0; c < h->vcpus; c++) {
            int pid = 1000 + (int)v * 100;
            va_sim_set_file(h->sim, pid, pid + 1 + (int)c, "schedstat", text);
        }
    va_sim_advance(h->sim, 1000000000ull);
}

static void drain(host *h)
{
    vmaccel_buf b = {0};
    while (vmaccel_event_next(h->m, 0, &b) == 0)
        vmaccel_buf_free(&b);
}

/* A steady-state period: its own function, so callgrind can collect it
 * alone (--toggle-collect=steady_period). */
__attribute__((noinline)) void steady_period(vmaccel_manager *m);
__attribute__((noinline)) void steady_period(vmaccel_manager *m)
{
    vmaccel_manager_numa_tick(m);
}

static int run(unsigned nvms, unsigned vcpus, unsigned mib, int periods)
{
    host h;
    size_t heap0 = mallinfo2().uordblks;
    if (setup(&h, nvms, vcpus, (uint64_t)mib << 20)) {
        fprintf(stderr, "engine: setup failed: %s\n", vmaccel_error_last());
        return 1;
    }
    size_t heap1 = mallinfo2().uordblks;
    double *cpu = calloc((size_t)periods, sizeof *cpu), first = 0;
    /* The steady state: after the fixes (the first 4 periods). */
    int skip = periods > 8 ? 4 : 0;
    for (int p = 0; p < periods; p++) {
        play(&h);
        double t0 = cpu_s();
        if (p < skip || !skip)
            vmaccel_manager_numa_tick(h.m);
        else
            steady_period(h.m);
        cpu[p] = cpu_s() - t0;
        if (p == 0)
            first = cpu[p];
        drain(&h);
    }
    size_t heap2 = mallinfo2().uordblks;
    qsort(cpu + skip, (size_t)(periods - skip), sizeof *cpu, cmp_double);
    double median = cpu[skip + (periods - skip) / 2];
    printf("engine   %u VMs x %u vCPUs x %u MiB, 16 nodes, 1024 PUs: first period %.2f ms; "
           "steady median %.2f ms CPU per period = %.2f%% of a core at 1 Hz\n",
           nvms, vcpus, mib, first * 1e3, median * 1e3, median * 100);
    printf("         heap: %.1f KiB per VM attached (sim included), %.1f KiB per VM of "
           "engine state\n", (double)(heap1 - heap0) / nvms / 1024.0,
           (double)(heap2 - heap1) / nvms / 1024.0);
    free(cpu);
    vmaccel_manager_free(h.m);
    va_sim_free(h.sim);
    return 0;
}

int main(int argc, char **argv)
{
    int periods = getenv("VMACCEL_BENCH_QUICK") ? 3 : 21;
    if (argc == 4)
        return run((unsigned)atoi(argv[1]), (unsigned)atoi(argv[2]), (unsigned)atoi(argv[3]),
                   periods);
    if (argc != 1) {
        fprintf(stderr, "usage: bench_numa_engine [VMS VCPUS MIB]\n");
        return 2;
    }
    return run(64, 16, 4096, periods) | run(2000, 2, 256, periods) |
           run(5000, 2, 256, periods);
}
