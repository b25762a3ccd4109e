/* Private to runtime/loop/loop*.c: the loop's state shared by the thread
 * lifecycle (loop.c) and the timers (timer.c). */
#ifndef VA_LOOP_LOOP_PRIV_H
#define VA_LOOP_LOOP_PRIV_H

#include "loop/loop.h"

#include <pthread.h>
#include <uv.h>

typedef struct va_post {
    struct va_post *next;
    va_loop_fn fn;
    void *arg;
} va_post;

struct va_timer {
    va_timer *next;
    va_loop *loop;
    uint64_t period_ms;
    uint64_t first_ms;          /* the first call's delay */
    va_loop_fn fn;
    void *arg;
    uv_timer_t uv;
    bool armed;    /* uv handle initialised and not closed (loop thread) */
    bool removed;  /* removal requested: drop it at the next reconcile */
};

struct va_loop {
    /* Serialises start/stop/destroy. Never taken by the loop thread, so a
     * stopper may hold it while joining. */
    pthread_mutex_t life;
    /* Guards everything below; held only briefly, never across a callback. */
    pthread_mutex_t mu;
    pthread_cond_t cv;       /* reconcile_done advanced or the thread ended */
    bool running;            /* started and not yet stopped (life and mu) */
    bool thread_alive;       /* the loop thread exists and may run callbacks */
    bool accepting;          /* posts are accepted */
    bool stopping;           /* the thread must wind down */
    pthread_t thread;
    va_post *posts, *posts_tail;
    va_timer *timers;
    unsigned ntimers;
    uint64_t reconcile_req, reconcile_done;
    uv_loop_t uv;            /* loop thread only while running */
    uv_async_t wake;
};

/* Loop thread: arms new timers and closes removed ones. Takes l->mu. */
void va_loop_reconcile_timers(va_loop *l);

/* Loop thread, winding down: closes every armed timer's handle (removed
 * ones are freed by their close callback, the rest stay registered). */
void va_loop_close_timers(va_loop *l);

/* Not running: frees every timer. */
void va_loop_free_timers(va_loop *l);

/* l->mu held, no handle open (the thread ended): frees removed timers. */
void va_loop_sweep_removed_locked(va_loop *l);

/* Asks the loop thread to reconcile and waits until it did (or the thread
 * ended). Called with l->mu held, from a thread other than the loop's,
 * while l->thread_alive. */
void va_loop_sync_locked(va_loop *l);

#endif
