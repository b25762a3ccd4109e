/*
 * Internal: the migrator. It moves VMs' guest memory between nodes for
 * the NUMA engine, off the engine's thread: the loop keeps its timers and
 * events on time while pages move. All migrations of a host share one
 * byte budget (a token bucket at migrate_mb_per_s), and its workers take
 * windows of pages (migrate.h) from every migration in turn - several
 * windows at once, of one VM or of several, since page migration costs
 * the CPU that does it (the copy, and a TLB shootdown per page moved), as
 * the kernel's own NUMA balancing spreads it over the faulting threads.
 *
 * Two ways to run:
 *  - threaded (a real host): `workers` threads, started with the first
 *    job, that sleep while the budget refills;
 *  - inline (a platform whose clock only moves when told, the simulated
 *    host): va_migrator_run() does what the budget allows now, on the
 *    caller's thread, so tests replay exactly.
 *
 * A job belongs to the engine (which allocates, submits, collects and
 * frees it); while it is queued or running the migrator reads its input
 * and writes its progress under its lock. A VMM that exits ends its job
 * with VMACCEL_EGONE; va_migrator_cancel() returns once no worker touches
 * the job.
 *
 * Calibration: the migrator keeps the rate the finished migrations moved
 * pages at (bytes over their wall time, averaged), so estimates use the
 * host's real speed.
 */
#ifndef VA_NUMA_MIGRATOR_H
#define VA_NUMA_MIGRATOR_H

#include "numa/budget.h"
#include "numa/migrate.h"
#include "numa/stop_vcpus.h"

#include <stdbool.h>
#include <stdint.h>

#define VA_MIGRATOR_MAX_WORKERS 16

typedef enum va_job_state {
    VA_JOB_QUEUED = 0,
    VA_JOB_RUNNING = 1,
    VA_JOB_DONE = 2
} va_job_state;

typedef struct va_mig_job {
    /* Input, set before submitting. */
    uint64_t vm_id;
    const va_platform *plat;
    int pid, pidfd;                /* pidfd -1: no liveness check (in-process) */
    va_sample_region *regions;     /* the job's copy */
    size_t nregions;
    unsigned target_node;          /* logical */
    int target_os_node;            /* the kernel's number */
    uint64_t bytes_wanted;         /* stop once this much has moved */
    bool whole_process;            /* every page of the process goes:
                                      migrate_pages(2) in one call */
    va_vcpu_stop vcpu_stop;        /* vCPUs to stop while windows move
                                      (tids NULL: none); one worker stops
                                      them, for its window and for those
                                      other workers take meanwhile */
    /* Progress, under the migrator's lock. */
    va_job_state state;
    va_migration mg;               /* cursor and the finished windows' counts */
    unsigned inflight;             /* windows workers hold */
    bool vcpus_stopped;            /* a worker holds the vCPUs stopped now */
    bool vcpus_run_on;             /* stopping them failed (vcpu_stop.off) */
    unsigned helpers;              /* windows moving within that stop */
    unsigned helped_windows;       /* windows moved within another's stop */
    bool stop;                     /* claim no more (cancel, exit, enough) */
    int rc;                        /* 0, or why it ended early */
    uint64_t start_ns, end_ns;     /* first and last move */
    struct va_mig_job *next;       /* the migrator's list */
} va_mig_job;

typedef struct va_migrator va_migrator;

/* A migrator for platform p at `rate` bytes/s with `workers` threads (1..
 * VA_MIGRATOR_MAX_WORKERS); `threaded` false: inline. */
int va_migrator_new(const va_platform *p, uint64_t rate, bool threaded, unsigned workers,
                    va_migrator **out);
/* Cancels every job, stops the workers, frees. */
void va_migrator_free(va_migrator *m);
void va_migrator_set_rate(va_migrator *m, uint64_t rate);

/* Queues a job (state QUEUED); the migrator never frees it. */
void va_migrator_submit(va_migrator *m, va_mig_job *job);
/* Removes a job: waits until no worker is moving its pages; a job not done
 * ends with VMACCEL_ESTATE (cancelled). The caller frees it. */
void va_migrator_cancel(va_migrator *m, va_mig_job *job);
/* Up to `max` finished jobs, taken off the migrator's list. */
size_t va_migrator_collect(va_migrator *m, va_mig_job **done, size_t max);
/* Inline mode: moves what the budget allows now. Threaded: no-op. */
void va_migrator_run(va_migrator *m);
/* Threaded: blocks until no job is queued or running (tests). */
void va_migrator_wait_idle(va_migrator *m);

/* Bytes the queued and running jobs still want. */
uint64_t va_migrator_pending_bytes(va_migrator *m);
/* The calibrated rate in bytes/s; 0 until a migration has been timed. */
double va_migrator_observed_rate(va_migrator *m);

#endif
