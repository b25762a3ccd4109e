/* vmaccel run: shared state of the subcommand's pieces. */
#ifndef VMACCEL_CLI_RUN_H
#define VMACCEL_CLI_RUN_H

#include "cli.h"

#include <stdbool.h>
#include <termios.h>

#define RUN_TREND 24 /* samples kept for the trend line */
/* run_attach_pid: not attached for want of file descriptors (said once). */
#define RUN_FD_LIMIT (-1000)

typedef enum run_events_format { RUN_EVENTS_NONE, RUN_EVENTS_TEXT, RUN_EVENTS_JSON } run_events_format;

typedef struct run_options {
    int *pids;                    /* --pid values, grown as given */
    unsigned npids, pids_cap;
    bool qemu;                    /* every QEMU this user may act on */
    bool libvirt;                 /* every running libvirt domain, new ones too */
    const char *libvirt_uri;      /* NULL: libvirt's default */
    const char **qmps;            /* --qmp SOCKET: QEMUs found through QMP */
    unsigned nqmps, qmps_cap;
    bool override_pins;           /* also move what the operator placed */
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
    char domain_uuid[40];         /* a libvirt domain (--libvirt), or "" */
    double trend[RUN_TREND];
    unsigned ntrend;
    uint64_t last_samples;
} run_vm;

/* A process not watched: not QEMU, or a QEMU that could not be attached
 * (not ours, not started far enough). Looked at again at next_scan. */
typedef struct run_retry {
    int pid;
    bool qemu;
    unsigned next_scan, wait;
    unsigned seen;                /* the last scan that saw the process */
    unsigned tries;
} run_retry;

typedef struct run_state {
    run_options opts;
    vmaccel_manager *m;
    run_vm *vms;                  /* any number, grown by doubling */
    unsigned nvms, vms_cap;
    run_retry *retry;             /* the processes not watched, by pid */
    unsigned nretry, retry_cap, scans;
    bool fd_limit_said;           /* the open-file limit message was printed */
    bool fd_counted;              /* fd_room is known (counted this scan) */
    long fd_room;                 /* descriptors left for attaching */
    unsigned fd_limited;          /* QEMUs left out at the last scan: fd limit */
    unsigned view_page;           /* live view page, 0 = the worst VMs */
    bool view_keys;               /* stdin is a terminal we read keys from */
    struct termios saved_tty;     /* its modes before run_view_begin */
    unsigned long events_seen, actions;
    char recent[5][200];          /* last event lines, for the live view */
    unsigned nrecent;
    FILE *record;                 /* --record */
    bool report_failed;           /* the last --report-out write failed */
    uint64_t start_ns;            /* CLOCK_MONOTONIC at start */
} run_state;

int run_parse_args(int argc, char **argv, run_options *o);
void run_options_free(run_options *o);
/* Applies key=value lines of o->config on top of *o (SIGHUP). */
int run_load_config(run_options *o);

/* 0 when attached (or watched already); RUN_FD_LIMIT; else an error,
 * printed unless `quiet`. */
int run_attach_pid(run_state *s, int pid, bool quiet);
int run_attach_qmp(run_state *s, const char *socket);
/* A libvirt domain by UUID (run_libvirt.c's scan), once. */
int run_attach_domain(run_state *s, const char *uuid, bool quiet);
void run_scan_qemu(run_state *s);
/* --libvirt: attaches the running domains not watched yet. */
void run_scan_libvirt(run_state *s, bool quiet);
void run_reap_gone(run_state *s);
/* Frees the VM table and the retry list (the VMs are the manager's). */
void run_vms_free(run_state *s);
void run_restore_all(run_state *s);
void run_record_trends(run_state *s);
/* --record: one line per new locality sample / per event. */
void run_record_sample(run_state *s, const run_vm *r, double rate);
void run_record_event(run_state *s, const vmaccel_buf *ev);
/* Writes the lines out: once per interval and per batch of events. */
void run_record_flush(run_state *s);

/* The live view: draws one frame sized to the terminal on stdout. */
void run_draw(run_state *s);
/* The terminal of the live view (run_term.c). run_view_begin turns line
 * wrapping off and, when stdin is a terminal of the foreground, reads
 * keys without echo or line editing; run_view_end gives the modes back.
 * run_keys_read handles what was typed (pages): true means quit. */
void run_view_begin(run_state *s);
void run_view_end(run_state *s);
bool run_keys_read(run_state *s);
/* stdout's size; $LINES/$COLUMNS or 80x24 when it is not a terminal. */
void run_term_size(unsigned *rows, unsigned *cols);
void run_print_event(run_state *s, const vmaccel_buf *ev);
/* Counts an event and keeps its line for the live view. */
void run_note_event(run_state *s, const vmaccel_buf *ev);

#endif
