/* The pull queue: a bounded FIFO of encoded events and a descriptor that is
 * readable exactly while the FIFO is not empty, for consumers that poll
 * (asyncio add_reader, a Go goroutine) instead of running on the loop. */
#include "loop/event_priv.h"

#include "core/cond_clock.h"
#include "core/error.h"
#include "loop/wakefd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void va_events_queue_push_locked(va_events *e, va_ev *ev)
{
    bool was_empty = e->queue.len == 0;
    va_ev *dropped = va_ring_push(&e->queue, ev);
    if (dropped) {
        e->queue_dropped++;
        va_ev_unref_locked(dropped);
    }
    if (was_empty) {
        va_wakefd_set(e->efd);
        pthread_cond_broadcast(&e->nonempty);
    }
}

VMACCEL_API int vmaccel_events_fd(vmaccel_manager *m, int *fd)
{
    if (!fd)
        return va_fail(VMACCEL_EINVAL, "vmaccel_events_fd: fd is NULL");
    va_events *e;
    int rc = va_runtime_events(m, &e);
    if (rc)
        return rc;
    if (e->efd < 0)
        return va_fail(VMACCEL_ENOTSUP, "%s", va_wakefd_unsupported_reason());
    *fd = e->efd;
    va_clear_error();
    return 0;
}

/* Waits until the queue has an event or the deadline passes. e->mu held. */
static bool wait_nonempty_locked(va_events *e, int timeout_ms)
{
    if (timeout_ms == 0)
        return e->queue.len > 0;
    struct timespec until = va_deadline_in(e->nonempty_clock, (uint64_t)timeout_ms * 1000000u);
    while (e->queue.len == 0) {
        int err = pthread_cond_timedwait(&e->nonempty, &e->mu, &until);
        if (err == ETIMEDOUT)
            return e->queue.len > 0;
    }
    return true;
}

/* Copies the oldest event out and pops it; on ENOMEM it stays queued. */
static int pop_locked(va_events *e, vmaccel_buf *out)
{
    const va_ev *ev = va_ring_at(&e->queue, 0);
    size_t len = ev->view.len;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return va_fail(VMACCEL_ENOMEM, "out of memory copying an event");
    memcpy(copy, ev->view.data, len);
    va_ev_unref_locked(va_ring_pop(&e->queue));
    if (e->queue.len == 0)
        va_wakefd_clear(e->efd);
    out->data = copy;
    out->len = len;
    return 0;
}

VMACCEL_API int vmaccel_event_next(vmaccel_manager *m, int timeout_ms,
                                   vmaccel_buf *out)
{
    if (!out)
        return va_fail(VMACCEL_EINVAL, "vmaccel_event_next: out is NULL");
    if (timeout_ms < 0 || timeout_ms > VMACCEL_EVENT_MAX_WAIT_MS)
        return va_fail(VMACCEL_EINVAL, "timeout %d ms is outside 0..%d",
                       timeout_ms, VMACCEL_EVENT_MAX_WAIT_MS);
    out->data = NULL;
    out->len = 0;
    va_events *e;
    int rc = va_runtime_events(m, &e);
    if (rc)
        return rc;
    pthread_mutex_lock(&e->mu);
    if (!wait_nonempty_locked(e, timeout_ms))
        rc = timeout_ms ? va_fail(VMACCEL_ETIMEDOUT, "no event within %d ms",
                                  timeout_ms)
                        : va_fail(VMACCEL_EAGAIN, "no event queued");
    else
        rc = pop_locked(e, out);
    pthread_mutex_unlock(&e->mu);
    if (!rc)
        va_clear_error();
    return rc;
}
