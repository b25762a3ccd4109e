/* vmaccel plot: a recorded run (vmaccel run --record) in memory, and the
 * series drawn from it. Any number of VMs and samples: every array grows. */
#ifndef VMACCEL_CLI_PLOT_H
#define VMACCEL_CLI_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct plot_series {
    double *t, *r;                /* seconds, local rate 0..1 */
    size_t n, cap;
} plot_series;

typedef struct plot_vm {
    uint64_t id;
    int pid;
    double ram;                   /* guest RAM bytes; 0 when not recorded */
    double gone_at;               /* VM_GONE time, or INFINITY */
    plot_series s;
} plot_vm;

typedef struct plot_mark { double t; uint64_t vm; int failed; } plot_mark;

typedef struct plot_data {
    plot_vm *vms;                 /* sorted by id */
    size_t nvms, vms_cap;
    plot_mark *marks;             /* rebalance applied / failed */
    size_t nmarks, marks_cap;
    double tmax;
} plot_data;

/* Reads a record file; errors are printed ("plot: FILE:LINE: ..."). */
int plot_load(const char *path, plot_data *d);
void plot_free(plot_data *d);

/* True when every VM's samples say how much RAM it has. */
bool plot_weights_are_ram(const plot_data *d);

/* The host-wide local rate over time: at each moment the mean of every
 * present VM's latest rate, weighted by its guest RAM (equal weights when
 * a record lacks RAM), one point per `step` seconds at most. */
int plot_host_series(const plot_data *d, double step, plot_series *out);

/* The indices of the min(n, nvms) worst VMs, lowest mean local rate
 * first, into idx (room for n). Returns how many. */
size_t plot_worst(const plot_data *d, size_t n, size_t *idx);

/* Appends a point; -1 when out of memory. */
int plot_series_add(plot_series *s, double t, double r);
void plot_series_free(plot_series *s);

#endif
