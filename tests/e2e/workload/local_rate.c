/*
 * local_rate: the share of VM-like processes' memory accesses that are
 * node-local, read straight from the kernel - independent of vm-accel's
 * own sampler, and quick enough to run every second inside a TCG guest
 * (measure.sh does the same for one process, in shell).
 *
 * For each process: each vCPU thread ("CPU n/...") runs on the node of the
 * CPU it last ran on (stat field 39, /sys node cpulists); the memory it
 * touches is its guest node's mapping (CELLS, as misplaced_vm prints them:
 * "ADDR:FIRST-LAST,...") or the largest anonymous mapping; its local share
 * is that mapping's pages on its node over all of them (numa_maps). A
 * process's rate is the mean over its vCPUs, the host's over every vCPU
 * (a busy vCPU makes the same number of accesses whatever its VM's size).
 *
 * usage: local_rate PID[=CELLS] ...
 * prints "PID PERCENT" per process and "host PERCENT" (integers, floor).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CPUS 1024
#define MAX_NODES 64
#define MAX_CELLS 16

static int node_of_cpu[MAX_CPUS];

static void read_nodes(void)
{
    for (int c = 0; c < MAX_CPUS; c++)
        node_of_cpu[c] = -1;
    for (int n = 0; n < MAX_NODES; n++) {
        char path[96], list[512];
        snprintf(path, sizeof path, "/sys/devices/system/node/node%d/cpulist", n);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        if (fgets(list, sizeof list, f))
            for (char *r = strtok(list, ",\n"); r; r = strtok(NULL, ",\n")) {
                int lo, hi;
                int got = sscanf(r, "%d-%d", &lo, &hi);
                for (int c = lo; got >= 1 && c <= (got == 2 ? hi : lo) && c < MAX_CPUS; c++)
                    node_of_cpu[c] = n;
            }
        fclose(f);
    }
}

typedef struct mapping {
    unsigned long addr;
    unsigned long pages[MAX_NODES], total;
} mapping;

typedef struct cell {
    unsigned long addr;
    unsigned first, last;
} cell;

/* The numa_maps line of `addr` (or of the largest anonymous mapping). */
static int read_mapping(int pid, unsigned long addr, mapping *out)
{
    char path[64], line[4096];
    snprintf(path, sizeof path, "/proc/%d/numa_maps", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    memset(out, 0, sizeof *out);
    while (fgets(line, sizeof line, f)) {
        mapping m = {.addr = strtoul(line, NULL, 16)};
        if (addr ? m.addr != addr : !strstr(line, "anon="))
            continue;
        for (char *t = strtok(line, " \n"); t; t = strtok(NULL, " \n")) {
            unsigned n;
            unsigned long p;
            if (sscanf(t, "N%u=%lu", &n, &p) == 2 && n < MAX_NODES) {
                m.pages[n] += p;
                m.total += p;
            }
        }
        if (addr || m.total > out->total)
            *out = m;
    }
    fclose(f);
    return 0;
}

static int vcpu_cpu(int pid, const char *tid, unsigned *index)
{
    char path[128], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/task/%s/comm", pid, tid);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(buf, sizeof buf, f) || sscanf(buf, "CPU %u/", index) != 1) {
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    snprintf(path, sizeof path, "/proc/%d/task/%s/stat", pid, tid);
    if (!(f = fopen(path, "r")))
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    int field = 2;
    for (; p && *p && field < 39; p++)
        field += *p == ' ';
    return p && field == 39 ? atoi(p) : -1;
}

/* The sum of its vCPUs' local shares, and how many vCPUs. */
static void measure(int pid, const cell *cells, int ncells, double *local, unsigned *vcpus)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/task", pid);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        unsigned index;
        int cpu = e->d_name[0] != '.' ? vcpu_cpu(pid, e->d_name, &index) : -1;
        int node = cpu >= 0 && cpu < MAX_CPUS ? node_of_cpu[cpu] : -1;
        if (cpu < 0)
            continue;
        unsigned long addr = 0;
        for (int c = 0; c < ncells; c++)
            if (index >= cells[c].first && index <= cells[c].last)
                addr = cells[c].addr;
        mapping m;
        if (read_mapping(pid, addr, &m) != 0 || !m.total)
            continue;
        *local += node >= 0 ? (double)m.pages[node] / (double)m.total : 0;
        (*vcpus)++;
    }
    if (d)
        closedir(d);
}

static int parse_cells(const char *s, cell *cells)
{
    int n = 0;
    while (s && *s && n < MAX_CELLS) {
        if (sscanf(s, "%lx:%u-%u", &cells[n].addr, &cells[n].first, &cells[n].last) != 3)
            break;
        n++;
        s = strchr(s, ',');
        s = s ? s + 1 : NULL;
    }
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: local_rate PID[=CELLS] ...\n");
        return 2;
    }
    read_nodes();
    double all_local = 0;
    unsigned all_vcpus = 0;
    for (int i = 1; i < argc; i++) {
        cell cells[MAX_CELLS];
        char *eq = strchr(argv[i], '=');
        int ncells = eq ? parse_cells(eq + 1, cells) : 0;
        int pid = atoi(argv[i]);
        double local = 0;
        unsigned vcpus = 0;
        measure(pid, cells, ncells, &local, &vcpus);
        printf("%d %d\n", pid, vcpus ? (int)(local * 100 / vcpus) : 0);
        all_local += local;
        all_vcpus += vcpus;
    }
    printf("host %d\n", all_vcpus ? (int)(all_local * 100 / all_vcpus) : 0);
    return 0;
}
