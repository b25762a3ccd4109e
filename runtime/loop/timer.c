/* Periodic work on the loop: va_timer registration, arming and removal.
 *
 * The timer list is the truth; the libuv handles follow it. Any thread
 * changes the list under l->mu; only the loop thread creates and closes
 * uv_timer handles (libuv is not thread-safe), in va_loop_reconcile_timers
 * when woken, or directly when the caller is already on the loop thread. */
#include "loop/loop_priv.h"

#include "core/error.h"

#include <stdlib.h>

static void on_tick(uv_timer_t *h)
{
    va_timer *t = h->data;
    va_loop *l = t->loop;
    /* A removal requested from another thread may not be reconciled yet. */
    pthread_mutex_lock(&l->mu);
    bool removed = t->removed;
    pthread_mutex_unlock(&l->mu);
    if (!removed)
        t->fn(t->arg);
}

static void free_on_close(uv_handle_t *h)
{
    free(h->data);
}

static void disarmed_on_close(uv_handle_t *h)
{
    va_timer *t = h->data;
    t->armed = false;
}

/* Loop thread, l->mu held. */
static void arm(va_timer *t)
{
    uv_timer_init(&t->loop->uv, &t->uv);
    t->uv.data = t;
    uv_timer_start(&t->uv, on_tick, t->first_ms, t->period_ms);
    t->armed = true;
}

/* Loop thread (or no thread), l->mu held; t already unlinked. */
static void drop(va_timer *t)
{
    if (t->armed) {
        uv_timer_stop(&t->uv);
        uv_close((uv_handle_t *)&t->uv, free_on_close);
    } else {
        free(t);
    }
}

/* l->mu held. Returns the link pointing at t, or NULL if t is not ours:
 * found by address, so a stale pointer is never dereferenced. */
static va_timer **find(va_loop *l, const va_timer *t)
{
    for (va_timer **p = &l->timers; *p; p = &(*p)->next)
        if (*p == t)
            return p;
    return NULL;
}

static void unlink_at(va_loop *l, va_timer **at)
{
    *at = (*at)->next;
    l->ntimers--;
}

void va_loop_reconcile_timers(va_loop *l)
{
    pthread_mutex_lock(&l->mu);
    va_timer **p = &l->timers;
    while (*p) {
        va_timer *t = *p;
        if (t->removed) {
            unlink_at(l, p);
            drop(t);
            continue;
        }
        if (!t->armed && !l->stopping)
            arm(t);
        p = &t->next;
    }
    l->reconcile_done = l->reconcile_req;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

void va_loop_close_timers(va_loop *l)
{
    pthread_mutex_lock(&l->mu);
    va_timer **p = &l->timers;
    while (*p) {
        va_timer *t = *p;
        if (t->removed) {
            unlink_at(l, p);
            drop(t);
            continue;
        }
        if (t->armed) {
            uv_timer_stop(&t->uv);
            uv_close((uv_handle_t *)&t->uv, disarmed_on_close);
        }
        p = &t->next;
    }
    pthread_mutex_unlock(&l->mu);
}

void va_loop_sweep_removed_locked(va_loop *l)
{
    va_timer **p = &l->timers;
    while (*p) {
        va_timer *t = *p;
        if (t->removed) {
            unlink_at(l, p);
            free(t);
        } else {
            p = &t->next;
        }
    }
}

void va_loop_free_timers(va_loop *l)
{
    pthread_mutex_lock(&l->mu);
    while (l->timers) {
        va_timer *t = l->timers;
        l->timers = t->next;
        free(t);
    }
    l->ntimers = 0;
    pthread_mutex_unlock(&l->mu);
}

int va_loop_add_timer(va_loop *l, uint64_t period_ms, va_loop_fn fn, void *arg,
                      va_timer **out)
{
    return va_loop_add_timer_first(l, period_ms, period_ms, fn, arg, out);
}

int va_loop_add_timer_first(va_loop *l, uint64_t first_ms, uint64_t period_ms,
                            va_loop_fn fn, void *arg, va_timer **out)
{
    if (!l || !fn || !out)
        return va_fail(VMACCEL_EINVAL, "va_loop_add_timer: NULL argument");
    if (period_ms == 0 || period_ms > VA_LOOP_MAX_PERIOD_MS || first_ms > period_ms)
        return va_fail(VMACCEL_EINVAL, "timer period %llu ms (first call after %llu ms) is "
                       "outside 1..%llu ms", (unsigned long long)period_ms,
                       (unsigned long long)first_ms, (unsigned long long)VA_LOOP_MAX_PERIOD_MS);
    va_timer *t = calloc(1, sizeof *t);
    if (!t)
        return va_fail(VMACCEL_ENOMEM, "out of memory for a loop timer");
    t->loop = l;
    t->period_ms = period_ms;
    t->first_ms = first_ms;
    t->fn = fn;
    t->arg = arg;
    pthread_mutex_lock(&l->mu);
    t->next = l->timers;
    l->timers = t;
    l->ntimers++;
    if (va_loop_on_thread(l)) {
        if (!l->stopping)
            arm(t);
    } else if (l->accepting) {
        l->reconcile_req++; /* no need to wait: it will tick later anyway */
        uv_async_send(&l->wake);
    }
    pthread_mutex_unlock(&l->mu);
    *out = t;
    return 0;
}

int va_loop_remove_timer(va_loop *l, va_timer *t)
{
    if (!l || !t)
        return va_fail(VMACCEL_EINVAL, "va_loop_remove_timer: NULL argument");
    pthread_mutex_lock(&l->mu);
    va_timer **at = find(l, t);
    if (!at) {
        pthread_mutex_unlock(&l->mu);
        return va_fail(VMACCEL_EINVAL, "not a timer of this loop (removed twice?)");
    }
    if (!l->thread_alive || va_loop_on_thread(l)) {
        /* No thread, or we are it: no callback can run concurrently. */
        unlink_at(l, at);
        drop(t);
    } else {
        t->removed = true;
        va_loop_sync_locked(l);
    }
    pthread_mutex_unlock(&l->mu);
    return 0;
}

unsigned va_loop_timer_count(va_loop *l)
{
    pthread_mutex_lock(&l->mu);
    unsigned n = l->ntimers;
    pthread_mutex_unlock(&l->mu);
    return n;
}
