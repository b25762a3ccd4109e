/*
 * Internal: the runtime loop. One libuv loop on one thread; other modules
 * register periodic work (timers) and post one-shot work from any thread.
 *
 * A va_loop outlives its runs: timers registered while it is stopped are
 * armed when it starts, disarmed (not removed) when it stops and re-armed on
 * the next start, so a module registers its timers once.
 *
 * Threads and locks:
 *  - Every callback (timer, posted work) runs on the loop thread, one at a
 *    time, and must not block: va_loop_stop() waits for the callback in
 *    progress, so a blocking callback makes stop as slow as it is.
 *  - va_loop_remove_timer() from another thread waits for the loop thread
 *    to drop the timer. Do not call it while holding a lock that a loop
 *    callback may take (that would deadlock), e.g. the manager's lock.
 *  - va_loop_stop() and va_loop_destroy() cannot run on the loop thread
 *    (the thread cannot join itself): stop returns VMACCEL_ESTATE there.
 */
#ifndef VA_LOOP_LOOP_H
#define VA_LOOP_LOOP_H

#include <stdbool.h>
#include <stdint.h>

typedef struct va_loop va_loop;
typedef struct va_timer va_timer;
typedef void (*va_loop_fn)(void *arg);

/* A stopped loop. VMACCEL_ENOMEM on allocation failure. */
int va_loop_create(va_loop **out);

/* Stops the loop if it runs, frees every timer still registered and the
 * loop. NULL is a no-op. Must not be called on the loop thread (it would
 * have to join itself); there it records VMACCEL_ESTATE and leaks the loop
 * rather than deadlock. */
void va_loop_destroy(va_loop *l);

/* Starts the loop thread. Idempotent: 0 if it already runs (also when
 * called on the loop thread). VMACCEL_EIO if libuv or the thread cannot be
 * created. Any thread. */
int va_loop_start(va_loop *l);

/* Stops the loop: posted work accepted before the call still runs, every
 * timer is disarmed, the thread is joined and all libuv resources are
 * released before it returns. Idempotent: 0 if not running. On the loop
 * thread: VMACCEL_ESTATE (nothing changes). Any other thread. */
int va_loop_stop(va_loop *l);

/* Whether the loop thread runs. Any thread; a snapshot. */
bool va_loop_running(va_loop *l);

/* True when called from l's loop thread. */
bool va_loop_on_thread(const va_loop *l);

/* Runs fn(arg) once on the loop thread, soon, in posting order. An accepted
 * post always runs, even when a stop follows it. VMACCEL_ESTATE if the loop
 * is not running (fn will not run; the caller keeps arg), VMACCEL_ENOMEM.
 * Any thread, including the loop thread (it then runs after the current
 * callback). */
int va_loop_post(va_loop *l, va_loop_fn fn, void *arg);

/* va_loop_post that records no error message, for callers to whom a
 * stopped loop is a normal case and that retry later (event delivery). */
int va_loop_post_quiet(va_loop *l, va_loop_fn fn, void *arg);

/* Calls fn(arg) on the loop thread every period_ms (first call one period
 * after the loop runs it). period_ms in 1..VA_LOOP_MAX_PERIOD_MS, else
 * VMACCEL_EINVAL; VMACCEL_ENOMEM. *out identifies it for removal. Any
 * thread; works whether the loop runs or not. */
#define VA_LOOP_MAX_PERIOD_MS (24ull * 3600 * 1000)
int va_loop_add_timer(va_loop *l, uint64_t period_ms, va_loop_fn fn, void *arg,
                      va_timer **out);
/* The same with the first call first_ms (0..period_ms) after the loop runs
 * it: work that should start at once and then go on every period. */
int va_loop_add_timer_first(va_loop *l, uint64_t first_ms, uint64_t period_ms,
                            va_loop_fn fn, void *arg, va_timer **out);

/* Removes a timer; once it returns, fn is not running and will not be
 * called again, so arg may be freed. On the loop thread (also from the
 * timer's own callback) it returns at once. VMACCEL_EINVAL for NULL or a
 * timer of another loop. Any thread; see the lock note above. */
int va_loop_remove_timer(va_loop *l, va_timer *t);

/* Timers registered (armed or not). */
unsigned va_loop_timer_count(va_loop *l);

#endif
