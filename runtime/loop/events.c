/* Event records, emission and the pipeline's shared state. The pull queue
 * lives in event_pull.c, the callbacks in event_subscribe.c. */
#include "loop/event_priv.h"

#include "core/cond_clock.h"
#include "core/error.h"
#include "loop/wakefd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- rings ---- */

int va_ring_init(va_ring *r, unsigned cap)
{
    r->slot = calloc(cap, sizeof *r->slot);
    r->cap = cap;
    r->head = r->len = 0;
    return r->slot ? 0 : -1;
}

int va_ring_grow(va_ring *r, unsigned cap)
{
    if (cap <= r->cap)
        return 0;
    va_ev **slot = calloc(cap, sizeof *slot);
    if (!slot)
        return -1;
    for (unsigned i = 0; i < r->len; i++) /* oldest first, from slot 0 */
        slot[i] = r->slot[(r->head + i) % r->cap];
    free(r->slot);
    r->slot = slot;
    r->cap = cap;
    r->head = 0;
    return 0;
}

va_ev *va_ring_push(va_ring *r, va_ev *ev)
{
    va_ev *evicted = NULL;
    if (r->len == r->cap)
        evicted = va_ring_pop(r);
    r->slot[(r->head + r->len) % r->cap] = ev;
    r->len++;
    ev->refs++;
    return evicted;
}

/* The caller takes over the ring's reference. */
va_ev *va_ring_pop(va_ring *r)
{
    if (!r->len)
        return NULL;
    va_ev *ev = r->slot[r->head];
    r->head = (r->head + 1) % r->cap;
    r->len--;
    return ev;
}

va_ev *va_ring_at(const va_ring *r, unsigned i)
{
    return i < r->len ? r->slot[(r->head + i) % r->cap] : NULL;
}

void va_ev_unref_locked(va_ev *ev)
{
    if (ev && --ev->refs == 0)
        free(ev);
}

void va_ring_clear_locked(va_ring *r)
{
    va_ev *ev;
    while ((ev = va_ring_pop(r)))
        va_ev_unref_locked(ev);
    free(r->slot);
    r->slot = NULL;
}

/* ---- lifecycle ---- */

int va_events_create(va_loop *loop, va_events **out)
{
    va_events *e = calloc(1, sizeof *e);
    if (!e || va_ring_init(&e->queue, VA_EVENTS_QUEUE_CAP) ||
        va_ring_init(&e->backlog, VA_EVENTS_BACKLOG_CAP) ||
        va_ring_init(&e->recent, VA_EVENTS_RECENT)) {
        if (e) {
            free(e->queue.slot);
            free(e->backlog.slot);
            free(e->recent.slot);
        }
        free(e);
        return va_fail(VMACCEL_ENOMEM, "out of memory for the event queues");
    }
    int rc = va_wakefd_open(&e->efd);
    if (rc) {
        free(e->queue.slot);
        free(e->backlog.slot);
        free(e->recent.slot);
        free(e);
        return rc;
    }
    pthread_mutex_init(&e->mu, NULL);
    e->nonempty_clock = va_cond_init_timed(&e->nonempty); /* event_next's waits */
    pthread_cond_init(&e->cb_done, NULL);
    e->loop = loop;
    *out = e;
    return 0;
}

/* The loop is stopped by now: no dispatch is queued or running. */
void va_events_destroy(va_events *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->mu);
    va_ring_clear_locked(&e->queue);
    va_ring_clear_locked(&e->backlog);
    va_ring_clear_locked(&e->recent);
    pthread_mutex_unlock(&e->mu);
    va_events_free_subs(e);
    va_wakefd_close(e->efd);
    pthread_cond_destroy(&e->cb_done);
    pthread_cond_destroy(&e->nonempty);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

void va_events_fit_vms(vmaccel_manager *m, size_t nvms)
{
    va_events *e;
    if (va_runtime_events(m, &e) != 0)
        return;
    size_t want = nvms * VA_EVENTS_PER_VM;
    pthread_mutex_lock(&e->mu);
    /* No memory: the queues keep their bounds, dropping (and counting)
     * their oldest events as before. */
    if (want > e->queue.cap && want <= UINT32_MAX)
        (void)va_ring_grow(&e->queue, (unsigned)want);
    if (want > e->backlog.cap && want <= UINT32_MAX)
        (void)va_ring_grow(&e->backlog, (unsigned)want);
    pthread_mutex_unlock(&e->mu);
}

/* ---- emission ---- */

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Encodes ev into one block holding the record, the bytes and the message.
 * e->mu held (the sequence is given under it, so queues stay in order). */
static va_ev *build_locked(const Vmaccel__V1__Event *ev)
{
    size_t len = protobuf_c_message_get_packed_size(&ev->base);
    size_t mlen = strlen(ev->message);
    va_ev *r = malloc(sizeof *r + len + mlen + 1);
    if (!r)
        return NULL;
    uint8_t *data = (uint8_t *)(r + 1);
    char *msg = (char *)data + len;
    protobuf_c_message_pack(&ev->base, data);
    memcpy(msg, ev->message, mlen + 1);
    r->refs = 0;
    r->view = (vmaccel_event){ev->sequence, (vmaccel_event_type)ev->type,
                              ev->timestamp_ns, ev->vm_id, ev->local_rate,
                              msg, data, len};
    return r;
}

static bool known_type(int type)
{
    return type >= VMACCEL_EVENT_VM_ATTACHED &&
           type <= VMACCEL_EVENT_VCPUS_PINNED;
}

static int emit(va_events *e, const Vmaccel__V1__Event *src)
{
    Vmaccel__V1__Event ev = *src;
    if (!ev.message)
        ev.message = "";
    pthread_mutex_lock(&e->mu);
    ev.sequence = e->seq + 1;
    ev.timestamp_ns = monotonic_ns();
    va_ev *r = build_locked(&ev);
    if (!r) {
        pthread_mutex_unlock(&e->mu);
        return va_fail(VMACCEL_ENOMEM, "out of memory for an event");
    }
    e->seq = ev.sequence;
    va_events_queue_push_locked(e, r);
    va_ev_unref_locked(va_ring_push(&e->recent, r));
    if (va_events_wanted_locked(e, (unsigned)ev.type))
        va_events_backlog_push_locked(e, r);
    pthread_mutex_unlock(&e->mu);
    return 0;
}

int va_event_emit(vmaccel_manager *m, const Vmaccel__V1__Event *ev)
{
    if (!ev || !known_type((int)ev->type))
        return va_fail(VMACCEL_EINVAL, "va_event_emit: %s",
                       ev ? "unknown event type" : "event is NULL");
    va_events *e;
    int rc = va_runtime_events(m, &e);
    return rc ? rc : emit(e, ev);
}

int va_event_emitf(vmaccel_manager *m, vmaccel_event_type type, uint64_t vm_id,
                   double local_rate, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    Vmaccel__V1__Event ev = VMACCEL__V1__EVENT__INIT;
    ev.type = (Vmaccel__V1__EventType)type;
    ev.vm_id = vm_id;
    ev.local_rate = local_rate;
    ev.message = msg;
    return va_event_emit(m, &ev);
}

/* ---- the report's view ---- */

static void *arena_alloc(void *a, size_t size)
{
    return va_arena_alloc(a, size);
}

static void arena_free(void *a, void *p)
{
    (void)a;
    (void)p; /* freed with the arena */
}

int va_events_recent(vmaccel_manager *m, va_arena *a, Vmaccel__V1__Event ***out,
                     size_t *n)
{
    va_events *e;
    int rc = va_runtime_events(m, &e);
    if (rc)
        return rc;
    *out = NULL;
    *n = 0;
    /* Encoded copies taken under the lock, decoded outside it. */
    va_ev *keep[VA_EVENTS_RECENT];
    pthread_mutex_lock(&e->mu);
    unsigned count = e->recent.len;
    for (unsigned i = 0; i < count; i++) {
        keep[i] = va_ring_at(&e->recent, i);
        keep[i]->refs++;
    }
    pthread_mutex_unlock(&e->mu);
    Vmaccel__V1__Event **list = count ? va_arena_array(a, count, sizeof *list) : NULL;
    ProtobufCAllocator alloc = {arena_alloc, arena_free, a};
    for (unsigned i = 0; list && i < count; i++) {
        list[*n] = vmaccel__v1__event__unpack(&alloc, keep[i]->view.len,
                                             keep[i]->view.data);
        if (list[*n])
            (*n)++;
    }
    pthread_mutex_lock(&e->mu);
    for (unsigned i = 0; i < count; i++)
        va_ev_unref_locked(keep[i]);
    pthread_mutex_unlock(&e->mu);
    if (count && *n < count) {
        *n = 0;
        return va_fail(VMACCEL_ENOMEM, "out of memory copying recent events");
    }
    *out = *n ? list : NULL;
    return 0;
}

int va_events_stats(vmaccel_manager *m, vmaccel_event_stats *st)
{
    va_events *e;
    int rc = va_runtime_events(m, &e);
    if (rc)
        return rc;
    pthread_mutex_lock(&e->mu);
    st->emitted = e->seq;
    st->queue_dropped = e->queue_dropped;
    st->callback_dropped = e->callback_dropped;
    st->queue_length = e->queue.len;
    st->queue_capacity = e->queue.cap;
    st->subscribers = e->live_subs;
    pthread_mutex_unlock(&e->mu);
    return 0;
}

VMACCEL_API int vmaccel_event_stats_get(vmaccel_manager *m,
                                        vmaccel_event_stats *stats)
{
    if (!stats)
        return va_fail(VMACCEL_EINVAL, "vmaccel_event_stats_get: stats is NULL");
    if (stats->version != VMACCEL_EVENT_STATS_VERSION)
        return va_fail(VMACCEL_EINVAL, "event stats version %u, expected %u "
                       "(initialise with VMACCEL_EVENT_STATS_INIT)",
                       stats->version, VMACCEL_EVENT_STATS_VERSION);
    int rc = va_events_stats(m, stats);
    if (!rc)
        va_clear_error();
    return rc;
}
