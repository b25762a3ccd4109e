/*
 * Internal: watching the host's CPUs for the NUMA engine. Each period the
 * engine reads the online CPUs and the CPUs vm-accel's cpuset allows
 * through the platform seam and compares them with the previous reading.
 *
 * What counts as a change (one TOPOLOGY_CHANGED event each):
 *  - a CPU went offline or came online;
 *  - the cpuset changed on CPUs online in both readings. A cpuset that
 *    differs only in CPUs going offline/online follows the hotplug (the
 *    kernel updates cpuset.cpus.effective after the online file, maybe a
 *    period later): that is the same change, not a second one.
 * The first reading is the baseline: no change. A failed read keeps the
 * previous reading (and counts the failure); the next good read compares
 * with it.
 */
#ifndef VA_NUMA_CPU_WATCH_H
#define VA_NUMA_CPU_WATCH_H

#include "platform/platform.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct va_cpu_watch {
    bool have;                 /* a baseline was read */
    va_cpumask online, allowed;
    va_cpumask usable;         /* online & allowed */
    uint64_t changes;          /* changes reported */
    uint64_t read_failures;
    int last_rc;               /* the last read's result */
} va_cpu_watch;

typedef struct va_cpu_change {
    bool changed;              /* worth a TOPOLOGY_CHANGED event */
    bool shrank;               /* some usable CPU is no longer usable */
    va_cpumask usable;         /* usable now */
    va_cpumask lost;           /* usable before, not now */
    char message[512];         /* "CPU 3 offline; online 0-2" */
} va_cpu_change;

/* Reads the platform's CPU sets into *w and describes the change since
 * the previous reading in *c. 0, or the read's error (w unchanged, c
 * says nothing changed). */
int va_cpu_watch_poll(va_cpu_watch *w, const va_platform *p, va_cpu_change *c);

/* Compares two readings (online, allowed): pure, for va_cpu_watch_poll
 * and tests. */
void va_cpu_change_between(const va_cpumask *online0, const va_cpumask *allowed0,
                           const va_cpumask *online1, const va_cpumask *allowed1,
                           va_cpu_change *c);

#endif
