/*
 * Event delivery latency through the C API: from an event's emission (its
 * timestamp_ns, CLOCK_MONOTONIC, stamped when the library emits it) to the
 * moment a consumer holds it,
 *   - for a C callback (vmaccel_subscribe) on the manager's loop thread;
 *   - for the pull queue: poll() on vmaccel_events_fd, then
 *     vmaccel_event_next(), on a consumer thread.
 * Events come from registering an in-process VM (VM_ATTACHED), paced 1 ms
 * apart so each finds the consumer idle. The Python and Go counterparts are
 * bench/bindings/event_latency.py and BenchmarkEventLatency in bindings/go.
 *
 *   build/<dir>/bench/bench_event_latency [events]
 */
#include <vmaccel/vmaccel.h>
#include <vmaccel/vm.h>

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmaccel.pb-c.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

typedef struct samples {
    uint64_t *ns;
    size_t n, cap;
    atomic_size_t seen;
} samples;

static void record(samples *s, uint64_t emitted_ns)
{
    uint64_t t = now_ns();
    if (s->n < s->cap)
        s->ns[s->n++] = t > emitted_ns ? t - emitted_ns : 0;
    atomic_fetch_add(&s->seen, 1);
}

static void on_event(const vmaccel_event *ev, void *user)
{
    record(user, ev->timestamp_ns);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, samples *s)
{
    qsort(s->ns, s->n, sizeof *s->ns, cmp_u64);
    printf("%-28s n=%zu  p50 %7.1f us  p99 %7.1f us  max %7.1f us\n", what, s->n,
           s->ns[s->n / 2] / 1e3, s->ns[s->n * 99 / 100] / 1e3, s->ns[s->n - 1] / 1e3);
}

typedef struct queue_ctx {
    vmaccel_manager *m;
    samples *s;
    size_t want;
} queue_ctx;

static void *queue_consumer(void *arg)
{
    queue_ctx *q = arg;
    int fd;
    if (vmaccel_events_fd(q->m, &fd))
        return NULL;
    while (atomic_load(&q->s->seen) < q->want) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 1000) <= 0)
            continue;
        vmaccel_buf buf = {0};
        while (vmaccel_event_next(q->m, 0, &buf) == 0) {
            Vmaccel__V1__Event *ev = vmaccel__v1__event__unpack(NULL, buf.len, buf.data);
            if (ev)
                record(q->s, ev->timestamp_ns);
            vmaccel__v1__event__free_unpacked(ev, NULL);
            vmaccel_buf_free(&buf);
        }
    }
    return NULL;
}

/* Registers and detaches an in-process VM `n` times, 1 ms apart. */
static int produce(vmaccel_manager *m, size_t n)
{
    int tid = gettid();
    vmaccel_vm_options o;
    vmaccel_vm_options_init(&o);
    o.vcpu_tids = &tid;
    o.nvcpu_tids = 1;
    for (size_t i = 0; i < n; i++) {
        vmaccel_vm *vm;
        int rc = vmaccel_vm_register(m, &o, &vm);
        if (rc) {
            fprintf(stderr, "register: %s\n", vmaccel_error_last());
            return rc;
        }
        vmaccel_vm_detach(vm);
        usleep(1000);
    }
    return 0;
}

static int drain(vmaccel_manager *m)
{
    vmaccel_buf buf = {0};
    while (vmaccel_event_next(m, 0, &buf) == 0)
        vmaccel_buf_free(&buf);
    return 0;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000;
    samples cb = {calloc(n, sizeof(uint64_t)), 0, n, 0};
    samples q = {calloc(n, sizeof(uint64_t)), 0, n, 0};
    vmaccel_manager *m;
    uint64_t id;
    if (!cb.ns || !q.ns || vmaccel_manager_new(NULL, &m)) {
        fprintf(stderr, "setup: %s\n", vmaccel_error_last());
        return 1;
    }
    if (vmaccel_manager_start(m) ||
        vmaccel_subscribe(m, VMACCEL_EVENT_MASK(VMACCEL_EVENT_VM_ATTACHED), on_event, &cb, &id) ||
        produce(m, n)) {
        fprintf(stderr, "callback run: %s\n", vmaccel_error_last());
        return 1;
    }
    while (atomic_load(&cb.seen) < n)
        usleep(1000);
    vmaccel_unsubscribe(m, id);
    drain(m);

    queue_ctx qc = {m, &q, n};
    pthread_t t;
    pthread_create(&t, NULL, queue_consumer, &qc);
    if (produce(m, n))
        return 1;
    pthread_join(t, NULL);

    report("C callback (loop thread)", &cb);
    report("C pull queue (poll + next)", &q);
    vmaccel_manager_free(m);
    free(cb.ns);
    free(q.ns);
    return 0;
}
