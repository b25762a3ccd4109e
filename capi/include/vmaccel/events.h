/*
 * vmaccel/events.h - what the runtime did and saw, as it happens.
 *
 * Every event is an `Event` protobuf message (proto/vmaccel.proto) with a
 * per-manager sequence number starting at 1; a gap in the sequence means
 * events were dropped. Events are delivered two ways:
 *
 *  - C callbacks (vmaccel_subscribe) run on the manager's loop thread
 *    while it runs (vmaccel_manager_start); events emitted while it is
 *    stopped wait, up to a bound, and are delivered when it starts. A
 *    callback must not block: it holds up the loop and every other
 *    subscriber. Backlog beyond the bound is dropped and counted.
 *  - A bounded pull queue with a pollable file descriptor, for consumers
 *    that must not run on the loop thread (Python asyncio, Go goroutines):
 *    vmaccel_events_fd() becomes readable when the queue is not empty;
 *    vmaccel_event_next() pops one event. When the queue is full the
 *    oldest event is dropped and counted; the loop never waits for a
 *    consumer. The queue collects from vmaccel_manager_new() on, whether or
 *    not anyone reads it.
 *
 * Both bounds (256 queued, 1024 waiting for callbacks) grow to 4 events
 * per attached VM, so one period's events for every VM fit; they never
 * shrink. vmaccel_event_stats_get() gives the current queue capacity.
 */
#ifndef VMACCEL_EVENTS_H
#define VMACCEL_EVENTS_H

#include "common.h"
#include "manager.h"

VMACCEL_BEGIN_DECLS

/* Event types; the values are those of proto enum EventType. */
typedef enum vmaccel_event_type {
    VMACCEL_EVENT_VM_ATTACHED = 1,        /* a VM was handed to the manager */
    VMACCEL_EVENT_VM_GONE = 2,            /* its process or threads exited */
    VMACCEL_EVENT_LOCALITY_CHANGED = 3,   /* a VM's local rate moved */
    VMACCEL_EVENT_REBALANCE_PLANNED = 4,  /* the policy chose a fix */
    VMACCEL_EVENT_REBALANCE_APPLIED = 5,  /* ... and it was applied */
    VMACCEL_EVENT_REBALANCE_FAILED = 6,   /* ... or applying it failed */
    VMACCEL_EVENT_TOPOLOGY_CHANGED = 7,   /* CPUs went online/offline, or our cpuset changed */
    VMACCEL_EVENT_IOTLB_REPARTITIONED = 8,/* SMMU IOTLB quotas changed */
    VMACCEL_EVENT_REBALANCE_DEFERRED = 9, /* a VM needs a fix the host has
                                             no room or budget for now: the
                                             reason (once per reason) */
    VMACCEL_EVENT_VCPUS_PINNED = 10       /* vmaccel_vm_pin placed a VM's vCPUs
                                             (and which it left to the operator) */
} vmaccel_event_type;

/* Subscription masks: VMACCEL_EVENT_MASK(VMACCEL_EVENT_VM_GONE) | ... */
#define VMACCEL_EVENT_MASK(type) (1u << (unsigned)(type))
#define VMACCEL_EVENT_MASK_ALL 0xfffffffeu

/* What a callback receives: the common fields decoded, and the whole Event
 * message as protobuf bytes (placements and the rest). Owned by the
 * library and valid only during the callback; copy what you keep. Fields
 * may be added at the end in later versions. */
typedef struct vmaccel_event {
    uint64_t sequence;
    vmaccel_event_type type;
    uint64_t timestamp_ns;     /* CLOCK_MONOTONIC */
    uint64_t vm_id;            /* 0 when not about one VM */
    double local_rate;         /* 0..1 when meaningful, else 0 */
    const char *message;       /* human-readable, never NULL */
    const uint8_t *data;       /* the Event message, protobuf-encoded */
    size_t len;
} vmaccel_event;

typedef void (*vmaccel_event_cb)(const vmaccel_event *event, void *user);

/* Calls cb(event, user) on the loop thread for every event whose type is in
 * `mask` and that is emitted after this call returns. *id (never 0) names
 * the subscription. Errors: VMACCEL_EINVAL (NULL cb/id, no known type in
 * mask), VMACCEL_ENOMEM (VMACCEL_MAX_SUBSCRIBERS reached).
 * Thread safety: any thread, also from inside a callback. */
#define VMACCEL_MAX_SUBSCRIBERS 256
VMACCEL_API int vmaccel_subscribe(vmaccel_manager *m, uint32_t mask,
                                  vmaccel_event_cb cb, void *user,
                                  uint64_t *id);

/* Ends a subscription. From any thread other than the loop thread it
 * returns once the callback is not running and will not be called again,
 * so `user` may be freed right after (do not call it there while holding
 * something the callback waits for). From inside a callback (the loop
 * thread), also its own, it returns at once and the callback is not called
 * again. VMACCEL_ENOENT for an unknown or already ended id.
 * Thread safety: any thread. */
VMACCEL_API int vmaccel_unsubscribe(vmaccel_manager *m, uint64_t id);

/* A file descriptor that polls readable while the pull queue holds an
 * event. Owned by the manager (closed by vmaccel_manager_free); only poll
 * it: reading it yourself loses the readiness of queued events. Drain with
 * vmaccel_event_next() until VMACCEL_EAGAIN. Linux: an eventfd.
 * Platforms: Linux; on Windows VMACCEL_ENOTSUP (wait in
 * vmaccel_event_next() with a timeout instead).
 * Thread safety: any thread. */
VMACCEL_API int vmaccel_events_fd(vmaccel_manager *m, int *fd);

/* Pops the oldest queued event into *out (an Event protobuf message; free
 * with vmaccel_buf_free). timeout_ms 0: do not wait, VMACCEL_EAGAIN when
 * empty; 1..VMACCEL_EVENT_MAX_WAIT_MS: wait up to that long, then
 * VMACCEL_ETIMEDOUT. Other values: VMACCEL_EINVAL. VMACCEL_ENOMEM if the
 * copy cannot be allocated (the event stays queued).
 * Thread safety: any thread; concurrent callers each get distinct events. */
#define VMACCEL_EVENT_MAX_WAIT_MS 3600000
VMACCEL_API int vmaccel_event_next(vmaccel_manager *m, int timeout_ms,
                                   vmaccel_buf *out);

#define VMACCEL_EVENT_STATS_VERSION 1
typedef struct vmaccel_event_stats {
    unsigned version;          /* set by the caller */
    uint64_t emitted;          /* events emitted (the last sequence number) */
    uint64_t queue_dropped;    /* pull-queue events dropped: queue full */
    uint64_t callback_dropped; /* events dropped before reaching callbacks */
    uint32_t queue_length;     /* events waiting in the pull queue */
    uint32_t queue_capacity;
    uint32_t subscribers;      /* live subscriptions */
} vmaccel_event_stats;
#define VMACCEL_EVENT_STATS_INIT { VMACCEL_EVENT_STATS_VERSION, 0, 0, 0, 0, 0, 0 }

/* Counters of the event pipeline. stats->version must be
 * VMACCEL_EVENT_STATS_VERSION. Thread safety: any thread; a snapshot. */
VMACCEL_API int vmaccel_event_stats_get(vmaccel_manager *m,
                                        vmaccel_event_stats *stats);

VMACCEL_END_DECLS

#endif /* VMACCEL_EVENTS_H */
