/* Internal: condition variables whose timed waits read the monotonic clock
 * where the threads library allows it. glibc does
 * (pthread_condattr_setclock); winpthreads, the Windows build's, refuses
 * CLOCK_MONOTONIC with EINVAL and reads every pthread_cond_timedwait
 * deadline as CLOCK_REALTIME, so a monotonic deadline lies decades back
 * there and no wait would wait. Each condition variable keeps the clock it
 * got, and its deadlines are read from that one. */
#ifndef VA_CORE_COND_CLOCK_H
#define VA_CORE_COND_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* Initialises *cond for timed waits; returns the clock they read. */
clockid_t va_cond_init_timed(pthread_cond_t *cond);

/* The deadline `ns` from now on `clock`, for pthread_cond_timedwait. */
struct timespec va_deadline_in(clockid_t clock, uint64_t ns);

#endif
