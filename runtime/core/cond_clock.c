/* Condition variables timed by the monotonic clock where possible
 * (cond_clock.h). */
#include "core/cond_clock.h"

clockid_t va_cond_init_timed(pthread_cond_t *cond)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    clockid_t clock =
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 ? CLOCK_MONOTONIC : CLOCK_REALTIME;
    pthread_cond_init(cond, &ca);
    pthread_condattr_destroy(&ca);
    return clock;
}

struct timespec va_deadline_in(clockid_t clock, uint64_t ns)
{
    struct timespec t;
    clock_gettime(clock, &t);
    uint64_t nsec = (uint64_t)t.tv_nsec + ns % 1000000000u;
    t.tv_sec += (time_t)(ns / 1000000000u + nsec / 1000000000u);
    t.tv_nsec = (long)(nsec % 1000000000u);
    return t;
}
