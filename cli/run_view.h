/* vmaccel run: the live view as a pure function of one snapshot, so that
 * a frame for any number of VMs and any terminal size can be drawn (and
 * tested) without a terminal or a running manager. */
#ifndef VMACCEL_CLI_RUN_VIEW_H
#define VMACCEL_CLI_RUN_VIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* One VM as a frame shows it. */
typedef struct run_view_vm {
    int pid;
    char name[64];
    bool measured;                /* false: no locality sample yet */
    double local_rate;            /* 0..1 when measured */
    bool from_faults;             /* NUMA faults, else page placement */
    unsigned home_node;
    unsigned vcpus;
    uint64_t ram_bytes;           /* guest RAM: the host-wide rate's weight */
    uint64_t vcpu_moves, migrations, failures;
    const double *trend;          /* oldest first */
    unsigned ntrend;
    char where[160];              /* "0@cpu3* 1@cpu4": only with details */
} run_view_vm;

typedef struct run_view_frame {
    const char *clock;            /* "12:00:01" */
    unsigned nodes;
    double threshold;
    bool dry_run;
    bool looking;                 /* --qemu: new VMs are picked up */
    bool keys;                    /* paging keys work */
    unsigned long events, actions;
    unsigned fd_limited;          /* VMs left out at the open-file limit */
    run_view_vm *vms;             /* sorted by run_view_sort */
    unsigned nvms;
    const char (*recent)[200];    /* last event lines, oldest first */
    unsigned nrecent;
    unsigned page;                /* asked for; clamped by the render */
} run_view_frame;

/* Worst placed first: measured VMs by rising local rate, then the ones
 * still measuring; ties by pid. */
void run_view_sort(run_view_vm *vms, unsigned n);

/* The host-wide local rate: each measured VM's rate weighted by its guest
 * RAM (*weighted true), or all weights 1 when some VM's RAM is unknown.
 * weighted may be NULL. False when no VM is measured yet. */
bool run_view_host_rate(const run_view_vm *vms, unsigned n, double *rate, bool *weighted);

/* How many VMs one page shows on a terminal of `rows` lines, and whether
 * every VM fits with its vCPU line (then *details is true). */
unsigned run_view_page_size(const run_view_frame *f, unsigned rows, bool *details);

/* Draws the frame: at most `rows` lines, none wider than `cols` columns,
 * each ending in "erase to end of line", the last without a newline (so
 * the terminal never scrolls), then "erase below". Names are shown with
 * control characters replaced. Clamps f->page to the pages there are. */
void run_view_render(FILE *out, run_view_frame *f, unsigned rows, unsigned cols);

#endif
