/* C callbacks: subscriptions, and their delivery on the loop thread.
 *
 * Emitters push into a bounded backlog and post one dispatch to the loop;
 * the dispatch calls each subscriber with the events lock released, so a
 * callback may emit, subscribe or unsubscribe. Subscriptions are an array
 * walked by index: subscribe may grow it during a dispatch, unsubscribe
 * only marks an entry, and entries are compacted when no dispatch walks. */
#include "loop/event_priv.h"

#include "core/error.h"

#include <stdlib.h>

/* e->mu held. Posts one dispatch unless one is pending; when the loop is
 * not running the backlog waits for va_events_kick(). */
static void post_dispatch_locked(va_events *e);

bool va_events_wanted_locked(const va_events *e, unsigned type)
{
    for (unsigned i = 0; i < e->nsubs; i++)
        if (!e->subs[i].removed && (e->subs[i].mask & VMACCEL_EVENT_MASK(type)))
            return true;
    return false;
}

void va_events_backlog_push_locked(va_events *e, va_ev *ev)
{
    va_ev *dropped = va_ring_push(&e->backlog, ev);
    if (dropped) {
        e->callback_dropped++;
        va_ev_unref_locked(dropped);
    }
    post_dispatch_locked(e);
}

static void compact_locked(va_events *e)
{
    if (e->dispatching)
        return;
    unsigned w = 0;
    for (unsigned r = 0; r < e->nsubs; r++)
        if (!e->subs[r].removed)
            e->subs[w++] = e->subs[r];
    e->nsubs = w;
}

/* Calls every live subscriber that wants ev; the lock is dropped around
 * each call and the array re-read by index after it. */
static void deliver(va_events *e, const va_ev *ev)
{
    uint32_t bit = VMACCEL_EVENT_MASK(ev->view.type);
    for (unsigned i = 0;; i++) {
        pthread_mutex_lock(&e->mu);
        if (i >= e->nsubs) {
            pthread_mutex_unlock(&e->mu);
            return;
        }
        va_sub s = e->subs[i];
        bool call = !s.removed && (s.mask & bit) && ev->view.sequence >= s.from_seq;
        if (call)
            e->in_callback = s.id;
        pthread_mutex_unlock(&e->mu);
        if (!call)
            continue;
        s.cb(&ev->view, s.user);
        pthread_mutex_lock(&e->mu);
        e->in_callback = 0;
        pthread_cond_broadcast(&e->cb_done);
        pthread_mutex_unlock(&e->mu);
    }
}

/* Loop thread. Delivers what the backlog holds now; events emitted during
 * the run post the next dispatch, so one run is bounded. */
static void dispatch(void *arg)
{
    va_events *e = arg;
    pthread_mutex_lock(&e->mu);
    e->dispatch_posted = false;
    e->dispatching = true;
    unsigned n = e->backlog.len;
    pthread_mutex_unlock(&e->mu);
    for (unsigned k = 0; k < n; k++) {
        pthread_mutex_lock(&e->mu);
        va_ev *ev = va_ring_pop(&e->backlog);
        pthread_mutex_unlock(&e->mu);
        if (!ev)
            break;
        deliver(e, ev);
        pthread_mutex_lock(&e->mu);
        va_ev_unref_locked(ev);
        pthread_mutex_unlock(&e->mu);
    }
    pthread_mutex_lock(&e->mu);
    e->dispatching = false;
    compact_locked(e);
    pthread_mutex_unlock(&e->mu);
}

static void post_dispatch_locked(va_events *e)
{
    if (e->dispatch_posted || !e->backlog.len)
        return;
    /* Lock order: events, then loop. The loop never calls back into the
     * events with its own lock held. */
    e->dispatch_posted = va_loop_post_quiet(e->loop, dispatch, e) == 0;
}

void va_events_kick(va_events *e)
{
    pthread_mutex_lock(&e->mu);
    post_dispatch_locked(e);
    pthread_mutex_unlock(&e->mu);
}

void va_events_free_subs(va_events *e)
{
    free(e->subs);
    e->subs = NULL;
    e->nsubs = e->subs_cap = e->live_subs = 0;
}

static int add_locked(va_events *e, uint32_t mask, vmaccel_event_cb cb,
                      void *user, uint64_t *id)
{
    if (e->live_subs >= VMACCEL_MAX_SUBSCRIBERS)
        return va_fail(VMACCEL_ENOMEM, "%d subscriptions already: unsubscribe "
                       "first", VMACCEL_MAX_SUBSCRIBERS);
    compact_locked(e);
    if (e->nsubs == e->subs_cap) {
        unsigned cap = e->subs_cap ? e->subs_cap * 2 : 8;
        va_sub *grown = realloc(e->subs, cap * sizeof *grown);
        if (!grown)
            return va_fail(VMACCEL_ENOMEM, "out of memory for a subscription");
        e->subs = grown;
        e->subs_cap = cap;
    }
    va_sub *s = &e->subs[e->nsubs++];
    *s = (va_sub){++e->next_id, mask, e->seq + 1, cb, user, false};
    e->live_subs++;
    *id = s->id;
    return 0;
}

VMACCEL_API int vmaccel_subscribe(vmaccel_manager *m, uint32_t mask,
                                  vmaccel_event_cb cb, void *user, uint64_t *id)
{
    if (!cb || !id)
        return va_fail(VMACCEL_EINVAL, "vmaccel_subscribe: cb or id is NULL");
    const uint32_t known = VMACCEL_EVENT_MASK(VMACCEL_EVENT_VCPUS_PINNED + 1) -
                           VMACCEL_EVENT_MASK(VMACCEL_EVENT_VM_ATTACHED);
    if (!(mask & known))
        return va_fail(VMACCEL_EINVAL, "event mask 0x%x names no known event "
                       "type", mask);
    va_events *e;
    int rc = va_runtime_events(m, &e);
    if (rc)
        return rc;
    pthread_mutex_lock(&e->mu);
    rc = add_locked(e, mask, cb, user, id);
    pthread_mutex_unlock(&e->mu);
    if (!rc)
        va_clear_error();
    return rc;
}

VMACCEL_API int vmaccel_unsubscribe(vmaccel_manager *m, uint64_t id)
{
    va_events *e;
    int rc = va_runtime_events(m, &e);
    if (rc)
        return rc;
    pthread_mutex_lock(&e->mu);
    va_sub *s = NULL;
    for (unsigned i = 0; i < e->nsubs && !s; i++)
        if (e->subs[i].id == id && !e->subs[i].removed)
            s = &e->subs[i];
    if (!s) {
        pthread_mutex_unlock(&e->mu);
        return va_fail(VMACCEL_ENOENT, "no subscription %llu (ended already?)",
                       (unsigned long long)id);
    }
    s->removed = true;
    e->live_subs--;
    /* On the loop thread the running callback is our caller: never wait. */
    if (!va_loop_on_thread(e->loop))
        while (e->in_callback == id)
            pthread_cond_wait(&e->cb_done, &e->mu);
    compact_locked(e);
    pthread_mutex_unlock(&e->mu);
    va_clear_error();
    return 0;
}
