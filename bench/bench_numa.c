/*
 * NUMA engine benchmarks (issue #5).
 *
 *  sampler  one sampler pass (move_pages status queries on a sample sized
 *           for 2 pp at 95%) against one read of /proc/self/numa_maps, on
 *           the same 4 GiB anonymous region of this process, in one run;
 *           the estimate's error is measured on the resident share of the
 *           region (a pseudo-random 37% of its pages are touched), which
 *           the sampler estimates exactly as it estimates a node's share.
 *  (the engine's period cost is bench_numa_engine.c)
 *
 * usage: bench_numa [sampler]
 */
#include "numa/sampler.h"
#include "vmaccel/vmaccel.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now_s(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static double read_numa_maps(void)
{
    double t0 = now_s(CLOCK_MONOTONIC);
    int fd = open("/proc/self/numa_maps", O_RDONLY);
    char buf[65536];
    while (fd >= 0 && read(fd, buf, sizeof buf) > 0)
        ;
    if (fd >= 0)
        close(fd);
    return now_s(CLOCK_MONOTONIC) - t0;
}

static int bench_sampler(void)
{
    const uint64_t bytes = 4ull << 30, pages = bytes / 4096;
    unsigned char *ram = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ram == MAP_FAILED)
        return 1;
    madvise(ram, bytes, MADV_NOHUGEPAGE); /* 4 KiB pages, as the count assumes */
    uint64_t touched = 0;
    for (uint64_t p = 0; p < pages; p++)
        if ((p * 0x9e3779b97f4a7c15ull >> 40) % 100 < 37) {
            ram[p * 4096] = 1;
            touched++;
        }
    double truth = (double)touched / (double)pages;
    vmaccel_topology *t;
    if (va_topology_build(NULL, &t))
        return 1;
    int tid = getpid();
    va_sample_region region = {(uint64_t)(uintptr_t)ram, bytes};
    va_sampler_input in = {va_platform_linux(), t, getpid(), &tid, 1, &region, 1, 0.02};
    enum { RUNS = 41 };
    double ts[RUNS], tm[RUNS], worst = 0, sum_err = 0;
    for (int i = 0; i < RUNS; i++) {
        va_sampler_state st;
        va_sampler_state_init(&st, 1, (uint64_t)i + 1);
        va_vm_obs obs = {0};
        va_vcpu_obs v;
        va_sample_stats stats;
        double t0 = now_s(CLOCK_MONOTONIC);
        va_sampler_run(&in, &st, &obs, &v, &stats);
        ts[i] = now_s(CLOCK_MONOTONIC) - t0;
        tm[i] = read_numa_maps();
        double err = fabs((double)stats.pages_resident / (double)stats.pages_sampled - truth);
        worst = err > worst ? err : worst;
        sum_err += err;
        va_sampler_state_release(&st);
    }
    double ms = median(ts, RUNS), mm = median(tm, RUNS);
    printf("sampler  4 GiB region, %llu pages, %.1f%% resident; sample %zu pages (2 pp, 95%%)\n",
           (unsigned long long)pages, 100 * truth, va_sample_size(pages, 0.02, VA_Z_95));
    printf("         sampler pass median %.3f ms; /proc/self/numa_maps read median %.3f ms; "
           "ratio %.1fx\n", ms * 1e3, mm * 1e3, mm / ms);
    printf("         estimate error over %d passes: mean %.2f pp, worst %.2f pp\n", RUNS,
           100 * sum_err / RUNS, 100 * worst);
    va_topology_destroy(t);
    munmap(ram, bytes);
    return 0;
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "all";
    int rc = 0;
    if (!strcmp(which, "all") || !strcmp(which, "sampler"))
        rc |= bench_sampler();
    return rc;
}
