/* vmaccel run: shared state of the subcommand's pieces. */
#ifndef VMACCEL_CLI_RUN_H
#define VMACCEL_CLI_RUN_H

#include "cli.h"

#include <stdbool.h>

#define RUN_MAX_VMS 64
#define RUN_MAX_PIDS 64
#define RUN_TREND 24 /* samples kept for the trend line */

typedef enum run_events_format { RUN_EVENTS_NONE, RUN_EVENTS_TEXT, RUN_EVENTS_JSON } run_events_format;

typedef struct run_options {
    int pids[RUN_MAX_PIDS];
    unsigned npids;
    bool qemu;                    /* every QEMU this user may act on */
    bool have_strategy;           /* pin at attach with `strategy` */
    vmaccel_strategy strategy;
    vmaccel_numa_options numa;    /* interval, threshold, fix, dry run */
    bool restore_on_exit;
    const char *report_out;
    run_events_format events;
    bool live;                    /* live view (default: stdout is a tty) */
    unsigned duration_s;          /* 0: until stopped */
    const char *config;           /* key=value file, re-read on SIGHUP */
    const char *record;           /* JSON lines for `vmaccel plot` */
    vmaccel_topology_options topo;/* --synthetic / --xml (tests, what-if) */
} run_options;

typedef struct run_vm {
    vmaccel_vm *vm;
    int pid;
    char name[64];
    double trend[RUN_TREND];
    unsigned ntrend;
    uint64_t last_samples;
} run_vm;

typedef struct run_state {
    run_options opts;
    vmaccel_manager *m;
    run_vm vms[RUN_MAX_VMS];
    unsigned nvms;
    unsigned long events_seen, actions;
    char recent[5][200];          /* last event lines, for the live view */
    unsigned nrecent;
    FILE *record;                 /* --record */
    bool report_failed;           /* the last --report-out write failed */
    uint64_t start_ns;            /* CLOCK_MONOTONIC at start */
} run_state;

int run_parse_args(int argc, char **argv, run_options *o);
/* Applies key=value lines of o->config on top of *o (SIGHUP). */
int run_load_config(run_options *o);

int run_attach_pid(run_state *s, int pid, bool quiet);
void run_scan_qemu(run_state *s);
void run_reap_gone(run_state *s);
void run_restore_all(run_state *s);
void run_record_trends(run_state *s);
/* --record: one line per new locality sample / per event. */
void run_record_sample(run_state *s, const run_vm *r, double rate);
void run_record_event(run_state *s, const vmaccel_buf *ev);

void run_draw(run_state *s);
void run_print_event(run_state *s, const vmaccel_buf *ev);
/* Counts an event and keeps its line for the live view. */
void run_note_event(run_state *s, const vmaccel_buf *ev);

#endif
