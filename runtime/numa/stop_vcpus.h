/*
 * Internal: a migration's vCPU threads, stopped while each window of the
 * VM's memory moves (vmaccel_numa_options.migrate_stop_vcpus).
 *
 * Why: move_pages(2) unmaps each page it moves, and every CPU running one
 * of the VM's threads must then flush its TLB - an interrupt per page, or
 * per batch on newer kernels. A vCPU that spins on another CPU makes the
 * migration several times slower (bench/RESULTS.md). Stopped threads run
 * on no CPU, so nothing needs flushing. The cost is the vCPUs' time: each
 * stop lasts one window (at most 16 MiB), and idle migration workers move
 * more of the VM's windows within it, side by side.
 *
 * Stopping is best effort: a thread that has exited is skipped; if one
 * cannot be stopped (another tracer, no permission), the others are let go
 * and the rest of the migration moves with the vCPUs running, and `why_off`
 * says why, for the migration's event. All calls for one job come from
 * one worker at a time (ptrace binds a stopped thread to the thread that
 * stopped it): the migrator hands out none of the job's windows while
 * that worker stops or lets go, only while the threads are stopped.
 *
 * Known limit: a thread stops on its way back to user space, so one in an
 * uninterruptible kernel wait (D state) holds its worker until it leaves
 * it; nothing can be let go before it has stopped.
 */
#ifndef VA_NUMA_STOP_VCPUS_H
#define VA_NUMA_STOP_VCPUS_H

#include "platform/platform.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct va_vcpu_stop {
    int *tids;               /* the VM's vCPU threads; NULL: not asked for */
    int *sigs;               /* a signal each stop caught, to give back */
    bool *held;              /* stopped now */
    size_t ntids;
    bool off;                /* a stop failed: the rest moves with them running */
    char why_off[200];
    unsigned pauses;         /* times they were stopped (a window each, and
                                what other workers moved meanwhile) */
    uint64_t since_ns, longest_ns, total_ns;
} va_vcpu_stop;

/* Copies the threads to stop (ntids > 0). 0 or VMACCEL_ENOMEM. */
int va_vcpu_stop_init(va_vcpu_stop *st, const int *tids, size_t ntids);
void va_vcpu_stop_free(va_vcpu_stop *st);

/* Before a window moves: stops every thread (nothing when not asked for
 * or turned off). */
void va_vcpu_stop_hold(va_vcpu_stop *st, const va_platform *p, int pid);
/* After it moved: lets them run again and counts the stop's length. */
void va_vcpu_stop_release(va_vcpu_stop *st, const va_platform *p);

#endif
