/*
 * Internal: a manager's runtime - its loop and its event pipeline.
 *
 * Created on first use (the first start, emit, subscribe, ... on a manager)
 * without taking the manager's lock, so that any thread, the loop thread
 * included, may emit events at any time. vmaccel_manager_free must call
 * va_runtime_free() before releasing anything a loop callback may use.
 */
#ifndef VA_LOOP_RUNTIME_H
#define VA_LOOP_RUNTIME_H

#include "core/manager_internal.h"
#include "loop/loop.h"

#include <stdbool.h>

typedef struct va_events va_events;

typedef struct va_runtime {
    va_loop *loop;
    va_events *events;
} va_runtime;

/* The manager's runtime, created on first use. VMACCEL_ENOMEM or
 * VMACCEL_EIO (no eventfd) if it cannot be created. m must be valid (not
 * checked here). Any thread. */
int va_runtime_get(vmaccel_manager *m, va_runtime **out);

/* Shorthand: the manager's loop (va_runtime_get(m)->loop), or NULL. Other
 * modules register their timers and post their work on it. */
va_loop *va_manager_loop(vmaccel_manager *m);

/* Whether the manager's loop runs. Never creates the runtime. Any thread. */
bool va_runtime_running(vmaccel_manager *m);

/* True when called on m's loop thread (from a callback). m must be live. */
bool va_runtime_on_loop_thread(vmaccel_manager *m);

/* Stops the loop (joining its thread), then frees the loop, its timers,
 * the event queues, the subscriptions and the event fd. NULL-safe and
 * idempotent. Call from vmaccel_manager_free, not from the loop thread
 * (there it records VMACCEL_ESTATE and frees nothing). */
void va_runtime_free(vmaccel_manager *m);

#endif
