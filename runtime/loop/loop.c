/* The loop thread's lifecycle and posted work. Timers: timer.c. */
#include "loop/loop_priv.h"

#include "core/error.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* The loop this thread runs, if any: lets stop/remove/start recognise a
 * call from inside a callback without reading shared state. */
static _Thread_local const va_loop *tl_loop;

bool va_loop_on_thread(const va_loop *l)
{
    return l && tl_loop == l;
}

int va_loop_create(va_loop **out)
{
    va_loop *l = calloc(1, sizeof *l);
    if (!l)
        return va_fail(VMACCEL_ENOMEM, "out of memory for the runtime loop");
    pthread_mutex_init(&l->life, NULL);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    *out = l;
    return 0;
}

/* Takes the queued posts and runs them in order, outside the lock so that
 * they may post, add or remove timers. */
static void run_posts(va_loop *l)
{
    pthread_mutex_lock(&l->mu);
    va_post *p = l->posts;
    l->posts = l->posts_tail = NULL;
    pthread_mutex_unlock(&l->mu);
    while (p) {
        va_post *next = p->next;
        p->fn(p->arg);
        free(p);
        p = next;
    }
}

static bool posts_pending(va_loop *l)
{
    pthread_mutex_lock(&l->mu);
    bool pending = l->posts != NULL;
    pthread_mutex_unlock(&l->mu);
    return pending;
}

/* Posts accepted before the stop may still be queued: run them all, then
 * close every handle so that uv_run returns. */
static void wind_down(va_loop *l)
{
    while (posts_pending(l))
        run_posts(l);
    va_loop_close_timers(l);
    uv_close((uv_handle_t *)&l->wake, NULL);
}

static void on_wake(uv_async_t *a)
{
    va_loop *l = a->data;
    run_posts(l);
    va_loop_reconcile_timers(l);
    pthread_mutex_lock(&l->mu);
    bool stopping = l->stopping;
    pthread_mutex_unlock(&l->mu);
    if (stopping)
        wind_down(l);
}

static void *loop_main(void *arg)
{
    va_loop *l = arg;
    tl_loop = l;
    va_loop_reconcile_timers(l); /* arm the timers registered while stopped */
    uv_run(&l->uv, UV_RUN_DEFAULT);
    uv_loop_close(&l->uv); /* every handle was closed by wind_down */
    tl_loop = NULL;
    /* Settle removals requested while winding down and wake their callers. */
    pthread_mutex_lock(&l->mu);
    va_loop_sweep_removed_locked(l);
    l->thread_alive = false;
    l->reconcile_done = l->reconcile_req;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

/* The loop thread takes no signals: the host process's handlers should not
 * run on it, and a signal must not interrupt a callback. */
static int spawn(va_loop *l)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int err = pthread_create(&l->thread, NULL, loop_main, l);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!err)
        pthread_setname_np(l->thread, "vmaccel-loop");
    return err;
}

/* Called with l->life held. */
static int start_locked(va_loop *l)
{
    int uerr = uv_loop_init(&l->uv);
    if (uerr)
        return va_fail(VMACCEL_EIO, "libuv loop: %s", uv_strerror(uerr));
    uerr = uv_async_init(&l->uv, &l->wake, on_wake);
    if (uerr) {
        uv_loop_close(&l->uv);
        return va_fail(VMACCEL_EIO, "libuv async handle: %s", uv_strerror(uerr));
    }
    l->wake.data = l;
    /* Spawned under l->mu: the thread's first act (arming timers) waits
     * until the flags say it exists. */
    pthread_mutex_lock(&l->mu);
    int err = spawn(l);
    if (!err)
        l->running = l->accepting = l->thread_alive = true;
    pthread_mutex_unlock(&l->mu);
    if (err) {
        uv_close((uv_handle_t *)&l->wake, NULL);
        uv_run(&l->uv, UV_RUN_NOWAIT); /* runs the close */
        uv_loop_close(&l->uv);
        return va_fail(va_errno_code(err), "cannot create the loop thread: %s",
                       strerror(err));
    }
    return 0;
}

int va_loop_start(va_loop *l)
{
    if (va_loop_on_thread(l))
        return 0; /* the loop runs: it is calling us */
    pthread_mutex_lock(&l->life);
    int rc = va_loop_running(l) ? 0 : start_locked(l);
    pthread_mutex_unlock(&l->life);
    return rc;
}

int va_loop_stop(va_loop *l)
{
    if (va_loop_on_thread(l))
        return va_fail(VMACCEL_ESTATE, "the loop cannot be stopped from its own "
                       "thread (a callback): stop it from another thread");
    pthread_mutex_lock(&l->life);
    if (!va_loop_running(l)) {
        pthread_mutex_unlock(&l->life);
        return 0;
    }
    pthread_mutex_lock(&l->mu);
    l->accepting = false;
    l->stopping = true;
    uv_async_send(&l->wake);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->thread, NULL);
    pthread_mutex_lock(&l->mu);
    l->running = false;
    l->stopping = false;
    pthread_mutex_unlock(&l->mu);
    pthread_mutex_unlock(&l->life);
    return 0;
}

bool va_loop_running(va_loop *l)
{
    pthread_mutex_lock(&l->mu);
    bool running = l->running;
    pthread_mutex_unlock(&l->mu);
    return running;
}

/* quiet: no error message (a stopped loop is an expected outcome for the
 * caller, which has its own way to retry). */
static int post(va_loop *l, va_loop_fn fn, void *arg, bool quiet)
{
    if (!fn)
        return va_fail(VMACCEL_EINVAL, "va_loop_post: fn is NULL");
    va_post *p = malloc(sizeof *p);
    if (!p)
        return quiet ? VMACCEL_ENOMEM
                     : va_fail(VMACCEL_ENOMEM, "out of memory posting work");
    *p = (va_post){NULL, fn, arg};
    pthread_mutex_lock(&l->mu);
    if (!l->accepting) {
        pthread_mutex_unlock(&l->mu);
        free(p);
        return quiet ? VMACCEL_ESTATE
                     : va_fail(VMACCEL_ESTATE, "the runtime loop is not running");
    }
    if (l->posts_tail)
        l->posts_tail->next = p;
    else
        l->posts = p;
    l->posts_tail = p;
    /* Sent under the lock: while accepting, the wake handle is open. */
    uv_async_send(&l->wake);
    pthread_mutex_unlock(&l->mu);
    return 0;
}

int va_loop_post(va_loop *l, va_loop_fn fn, void *arg)
{
    return post(l, fn, arg, false);
}

int va_loop_post_quiet(va_loop *l, va_loop_fn fn, void *arg)
{
    return post(l, fn, arg, true);
}

void va_loop_sync_locked(va_loop *l)
{
    uint64_t ticket = ++l->reconcile_req;
    if (l->accepting)
        uv_async_send(&l->wake);
    /* When stopping, the thread's end settles every request. */
    while (l->reconcile_done < ticket && l->thread_alive)
        pthread_cond_wait(&l->cv, &l->mu);
}

void va_loop_destroy(va_loop *l)
{
    if (!l)
        return;
    if (va_loop_on_thread(l)) {
        va_fail(VMACCEL_ESTATE, "the runtime loop cannot be destroyed from its "
                "own thread; it is left running");
        return;
    }
    va_loop_stop(l);
    va_loop_free_timers(l);
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->mu);
    pthread_mutex_destroy(&l->life);
    free(l);
}
