/* A manager's runtime: created on first use, and the public start/stop. */
#include "loop/runtime.h"

#include "core/error.h"
#include "loop/event_priv.h"

#include <stdlib.h>

static va_runtime *load(vmaccel_manager *m)
{
    return __atomic_load_n(&m->runtime, __ATOMIC_ACQUIRE);
}

static void destroy(va_runtime *rt)
{
    va_loop_destroy(rt->loop); /* stops first: no dispatch runs after */
    va_events_destroy(rt->events);
    free(rt);
}

static int create(va_runtime **out)
{
    va_runtime *rt = calloc(1, sizeof *rt);
    if (!rt)
        return va_fail(VMACCEL_ENOMEM, "out of memory for the runtime");
    int rc = va_loop_create(&rt->loop);
    if (!rc)
        rc = va_events_create(rt->loop, &rt->events);
    if (rc) {
        va_loop_destroy(rt->loop);
        free(rt);
        return rc;
    }
    *out = rt;
    return 0;
}

/* Lock-free: two first users may both build one; the loser frees its own,
 * which never ran. The manager's lock is not taken, so that emitting from
 * any thread (or a loop callback) cannot deadlock against it. */
int va_runtime_get(vmaccel_manager *m, va_runtime **out)
{
    *out = load(m);
    if (*out)
        return 0;
    va_runtime *fresh = NULL;
    int rc = create(&fresh);
    if (rc)
        return rc;
    va_runtime *expected = NULL;
    if (__atomic_compare_exchange_n(&m->runtime, &expected, fresh, false,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        *out = fresh;
    } else {
        destroy(fresh);
        *out = expected;
    }
    return 0;
}

va_loop *va_manager_loop(vmaccel_manager *m)
{
    va_runtime *rt;
    return va_runtime_get(m, &rt) ? NULL : rt->loop;
}

bool va_runtime_running(vmaccel_manager *m)
{
    va_runtime *rt = load(m);
    return rt && va_loop_running(rt->loop);
}

bool va_runtime_on_loop_thread(vmaccel_manager *m)
{
    va_runtime *rt = load(m);
    return rt && va_loop_on_thread(rt->loop);
}

void va_runtime_free(vmaccel_manager *m)
{
    va_runtime *rt = load(m);
    if (!rt)
        return;
    if (va_loop_on_thread(rt->loop)) {
        va_fail(VMACCEL_ESTATE, "the manager cannot be freed from a callback "
                "on its loop thread");
        return;
    }
    __atomic_store_n(&m->runtime, NULL, __ATOMIC_RELEASE);
    destroy(rt);
}

int va_runtime_events(vmaccel_manager *m, va_events **out)
{
    int rc = va_manager_check(m);
    if (rc)
        return rc;
    va_runtime *rt;
    rc = va_runtime_get(m, &rt);
    if (!rc)
        *out = rt->events;
    return rc;
}

VMACCEL_API int vmaccel_manager_start(vmaccel_manager *m)
{
    int rc = va_manager_check(m);
    if (rc)
        return rc;
    va_runtime *rt;
    rc = va_runtime_get(m, &rt);
    if (!rc)
        rc = va_loop_start(rt->loop);
    if (rc)
        return rc;
    va_events_kick(rt->events); /* deliver what waited while stopped */
    va_clear_error();
    return 0;
}

VMACCEL_API int vmaccel_manager_stop(vmaccel_manager *m)
{
    int rc = va_manager_check(m);
    if (rc)
        return rc;
    va_runtime *rt = load(m);
    rc = rt ? va_loop_stop(rt->loop) : 0;
    if (!rc)
        va_clear_error();
    return rc;
}

VMACCEL_API int vmaccel_manager_running(vmaccel_manager *m, int *running)
{
    int rc = va_manager_check(m);
    if (rc)
        return rc;
    if (!running)
        return va_fail(VMACCEL_EINVAL, "vmaccel_manager_running: running is NULL");
    *running = va_runtime_running(m);
    va_clear_error();
    return 0;
}
