/* Private to runtime/loop/event*.c: the event pipeline of one manager. */
#ifndef VA_LOOP_EVENT_PRIV_H
#define VA_LOOP_EVENT_PRIV_H

#include "loop/events.h"
#include "loop/loop.h"
#include "loop/runtime.h"

#include <pthread.h>
#include <stdbool.h>

/* One emitted event, immutable once built, shared by the queues that hold
 * it. refs is changed under va_events.mu only. */
typedef struct va_ev {
    unsigned refs;
    vmaccel_event view;   /* message and data point into this block */
} va_ev;

/* A bounded FIFO of event references (the bound grows with the VMs). */
typedef struct va_ring {
    va_ev **slot;
    unsigned cap, head, len;
} va_ring;

typedef struct va_sub {
    uint64_t id;
    uint32_t mask;
    uint64_t from_seq;    /* first sequence it may receive */
    vmaccel_event_cb cb;
    void *user;
    bool removed;
} va_sub;

struct va_events {
    pthread_mutex_t mu;       /* never held across a callback */
    pthread_cond_t nonempty;  /* the pull queue got an event */
    clockid_t nonempty_clock; /* what `nonempty`'s timed waits read */
    pthread_cond_t cb_done;   /* a callback returned */
    va_loop *loop;            /* where callbacks run (borrowed) */
    uint64_t seq;             /* last sequence number given */
    va_ring queue;            /* pull queue */
    va_ring backlog;          /* waiting for callbacks */
    va_ring recent;           /* for the report */
    uint64_t queue_dropped, callback_dropped;
    int efd;                  /* readable iff queue.len > 0 */
    va_sub *subs;
    unsigned nsubs, subs_cap, live_subs;
    uint64_t next_id;
    uint64_t in_callback;     /* id whose callback runs now, or 0 */
    bool dispatching;         /* the loop thread walks subs: no compaction */
    bool dispatch_posted;
};

int va_events_create(va_loop *loop, va_events **out);
void va_events_destroy(va_events *e);

/* Schedules delivery of the backlog on the loop, if any (after a start). */
void va_events_kick(va_events *e);

/* Ring helpers; e->mu held. Push returns the evicted oldest entry or NULL. */
int va_ring_init(va_ring *r, unsigned cap);
/* Makes room for `cap` entries (never shrinks), keeping them in order.
 * -1 when out of memory (the ring is unchanged). */
int va_ring_grow(va_ring *r, unsigned cap);
va_ev *va_ring_push(va_ring *r, va_ev *ev);
va_ev *va_ring_pop(va_ring *r);
va_ev *va_ring_at(const va_ring *r, unsigned i); /* 0 = oldest */
void va_ev_unref_locked(va_ev *ev);
void va_ring_clear_locked(va_ring *r);

/* Pull queue side (event_pull.c); e->mu held. */
void va_events_queue_push_locked(va_events *e, va_ev *ev);

/* Callback side (event_subscribe.c); e->mu held. */
bool va_events_wanted_locked(const va_events *e, unsigned type);
void va_events_backlog_push_locked(va_events *e, va_ev *ev);
void va_events_free_subs(va_events *e);

/* The manager's events, validating the handle. */
int va_runtime_events(vmaccel_manager *m, va_events **out);

#endif
