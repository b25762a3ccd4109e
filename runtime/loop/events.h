/*
 * Internal: emitting events (any module, any thread) and reading the
 * pipeline's state for the report. Delivery is described in
 * capi/include/vmaccel/events.h.
 */
#ifndef VA_LOOP_EVENTS_H
#define VA_LOOP_EVENTS_H

#include "core/manager_internal.h"
#include "core/printf_attr.h"
#include "report/arena.h"
#include "vmaccel.pb-c.h"
#include "vmaccel/events.h"

#define VA_EVENTS_QUEUE_CAP 256    /* pull queue (vmaccel_event_next) */
#define VA_EVENTS_BACKLOG_CAP 1024 /* events waiting for the callbacks */
/* Both grow to this many per attached VM: one period can bring each VM an
 * attach or locality change, a plan and its outcome. */
#define VA_EVENTS_PER_VM 4
#define VA_EVENTS_RECENT 32        /* kept for the report's recent_events */

/* Emits a copy of *ev: the library sets sequence and timestamp_ns (the
 * caller's values are ignored) and encodes it once; a NULL message becomes
 * "". ev->type must be a known EventType (else VMACCEL_EINVAL). Never
 * blocks on a consumer: a full queue drops its oldest event. VMACCEL_ENOMEM
 * when the record cannot be allocated. On failure the thread's error
 * message is set; on success it is left alone, so a module may emit
 * REBALANCE_FAILED right after its own va_fail(). Any thread, also a
 * callback on the loop thread. */
int va_event_emit(vmaccel_manager *m, const Vmaccel__V1__Event *ev);

/* va_event_emit of an event with only these fields and a formatted
 * message (truncated to 511 bytes). */
int va_event_emitf(vmaccel_manager *m, vmaccel_event_type type, uint64_t vm_id,
                   double local_rate, const char *fmt, ...)
    VA_PRINTF(5, 6);

/* Grows the pull queue and the callback backlog to VA_EVENTS_PER_VM
 * events per VM for `nvms` attached VMs (never below their initial bounds,
 * never shrinking), so a period's burst for every VM is not dropped. Any
 * thread; takes only the events lock. */
void va_events_fit_vms(vmaccel_manager *m, size_t nvms);

/* The last VA_EVENTS_RECENT events, oldest first, decoded into arena
 * memory (they live as long as the arena): *out gets an array of *n
 * pointers, ready for DiagnosticReport.recent_events. *out is NULL when
 * *n is 0. VMACCEL_ENOMEM when the arena runs out. Any thread; takes only
 * the events lock, so it may be called with the manager's lock held. */
int va_events_recent(vmaccel_manager *m, va_arena *a, Vmaccel__V1__Event ***out,
                     size_t *n);

/* The counters of vmaccel_event_stats_get, without the version check. */
int va_events_stats(vmaccel_manager *m, vmaccel_event_stats *st);

#endif
