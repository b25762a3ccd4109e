/*
 * Latency from a rebalance decision to the subscriber, in C: from the
 * moment the NUMA engine's policy decides a fix (the REBALANCE_PLANNED
 * event's timestamp_ns, CLOCK_MONOTONIC, stamped on the loop thread as it
 * is emitted) to the moment a consumer holds the event,
 *   - for a C callback (vmaccel_subscribe), run by the loop's dispatch;
 *   - for the pull queue: poll() on vmaccel_events_fd, vmaccel_event_next()
 *     and protobuf decoding, on a consumer thread.
 *
 * The decisions are real: the engine runs on its loop (vmaccel_manager_start)
 * every 2 ms and samples an in-process VM through the public API - a vCPU
 * thread pinned to CPU 1 and 4 MiB of guest RAM from vmaccel_numa_alloc on
 * node 0 - on a synthetic topology "pack:1 numa:2 core:1 pu:1" that makes
 * CPU 0 node 0 and CPU 1 node 1. The VM is therefore 0% local; in dry-run
 * mode with trigger and cooldown of one period the policy plans a fix, the
 * fix changes nothing, and the policy plans it again once its backoff
 * (up to 16 periods for a fix that does not hold) has passed: a decision
 * about every 35 ms, each found by an idle consumer. Needs CPUs 0 and 1. The Python and Go counterparts: bench/bindings/
 * event_latency.py --rebalance and BenchmarkRebalanceLatency in bindings/go;
 * bench/bindings/run_event_latency.sh builds this file and runs them all.
 *
 * Two control rows give this machine's floor for the same two paths with
 * no vm-accel code at all: a thread wakes from a 2 ms sleep (as the loop
 * does between periods), formats a message, posts itself through an
 * eventfd and takes it back from epoll (what the callback path does); and
 * a thread that wakes from a 2 ms sleep writes an eventfd another thread
 * sleeps on in poll() (what the pull queue path does).
 *
 *   rebalance_latency [decisions]     (default 2000)
 */
#define _GNU_SOURCE
#include <vmaccel/vmaccel.h>

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmaccel.pb-c.h"

#define SYNTHETIC "pack:1 numa:2 core:1 pu:1"
#define RAM_BYTES (4u << 20)

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

typedef struct samples {
    uint64_t *ns;
    size_t cap;
    atomic_size_t n;
} samples;

static void record(samples *s, uint64_t decided_ns)
{
    uint64_t t = now_ns();
    size_t i = atomic_load(&s->n);
    if (i < s->cap) {
        s->ns[i] = t > decided_ns ? t - decided_ns : 0;
        atomic_store(&s->n, i + 1);
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, samples *s)
{
    size_t n = atomic_load(&s->n);
    qsort(s->ns, n, sizeof *s->ns, cmp_u64);
    printf("%-32s n=%zu  p50 %7.1f us  p99 %7.1f us  max %7.1f us\n", what, n,
           s->ns[n / 2] / 1e3, s->ns[n * 99 / 100] / 1e3, s->ns[n - 1] / 1e3);
}

/* ---- the in-process VM: one vCPU thread parked on CPU 1 ---- */

static pthread_mutex_t vcpu_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t vcpu_cond = PTHREAD_COND_INITIALIZER;
static int vcpu_tid, vcpu_stop;

static void *vcpu_thread(void *arg)
{
    (void)arg;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(1, &set);
    int ok = sched_setaffinity(0, sizeof set, &set) == 0;
    pthread_mutex_lock(&vcpu_lock);
    vcpu_tid = ok ? gettid() : -1;
    pthread_cond_broadcast(&vcpu_cond);
    while (!vcpu_stop)
        pthread_cond_wait(&vcpu_cond, &vcpu_lock);
    pthread_mutex_unlock(&vcpu_lock);
    return NULL;
}

typedef struct bench {
    vmaccel_manager *m;
    void *ram;
} bench;

static int fail(const char *what)
{
    fprintf(stderr, "rebalance_latency: %s: %s\n", what, vmaccel_error_last());
    return -1;
}

/* A manager whose engine keeps planning a fix for the VM once started. */
static int bench_open(bench *b)
{
    vmaccel_topology_options t = VMACCEL_TOPOLOGY_OPTIONS_INIT;
    t.source = VMACCEL_TOPOLOGY_SYNTHETIC;
    t.synthetic = SYNTHETIC;
    vmaccel_manager_options o = VMACCEL_MANAGER_OPTIONS_INIT;
    o.topology = &t;
    vmaccel_numa_options n = VMACCEL_NUMA_OPTIONS_INIT;
    n.interval_ms = 2;
    n.trigger_samples = 1;
    n.cooldown_samples = 1;
    n.dry_run = 1;
    if (vmaccel_manager_new(&o, &b->m))
        return fail("manager");
    if (vmaccel_manager_enable_numa(b->m, 2) || vmaccel_manager_configure_numa(b->m, &n))
        return fail("NUMA engine");
    if (vmaccel_numa_alloc(b->m, RAM_BYTES, VMACCEL_ALLOC_ONNODE, 0, &b->ram))
        return fail("guest RAM");
    memset(b->ram, 1, RAM_BYTES);
    vmaccel_mem_range ram = {(uint64_t)(uintptr_t)b->ram, RAM_BYTES};
    vmaccel_vm_options v = VMACCEL_VM_OPTIONS_INIT;
    v.name = "bench-vm";
    v.vcpu_tids = &vcpu_tid;
    v.nvcpu_tids = 1;
    v.memory = &ram;
    v.nmemory = 1;
    vmaccel_vm *vm;
    if (vmaccel_vm_register(b->m, &v, &vm))
        return fail("register");
    return 0;
}

static void bench_close(bench *b)
{
    vmaccel_manager_free(b->m); /* stops the loop first */
    vmaccel_numa_free(b->ram, RAM_BYTES);
}

static void wait_for(samples *s)
{
    uint64_t deadline = now_ns() + 10 * s->cap * 35000000ull; /* 10x the expected time */
    while (atomic_load(&s->n) < s->cap && now_ns() < deadline)
        usleep(10000);
}

/* ---- consumers ---- */

static void on_planned(const vmaccel_event *ev, void *user)
{
    record(user, ev->timestamp_ns);
}

typedef struct queue_ctx {
    vmaccel_manager *m;
    samples *s;
    atomic_int stop;
} queue_ctx;

static void *queue_consumer(void *arg)
{
    queue_ctx *q = arg;
    int fd;
    if (vmaccel_events_fd(q->m, &fd))
        return NULL;
    while (!atomic_load(&q->stop)) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        vmaccel_buf buf = {0};
        while (vmaccel_event_next(q->m, 0, &buf) == 0) {
            Vmaccel__V1__Event *ev = vmaccel__v1__event__unpack(NULL, buf.len, buf.data);
            if (ev && ev->type == VMACCEL__V1__EVENT_TYPE__EVENT_TYPE_REBALANCE_PLANNED)
                record(q->s, ev->timestamp_ns);
            vmaccel__v1__event__free_unpacked(ev, NULL);
            vmaccel_buf_free(&buf);
        }
    }
    return NULL;
}

/* ---- the machine's floor, without vm-accel ---- */

static void floor_in_thread(samples *s)
{
    int fd = eventfd(0, EFD_NONBLOCK), ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN}, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    for (size_t i = 0; i < s->cap; i++) {
        epoll_wait(ep, &out, 1, 2); /* idle 2 ms, like the loop between periods */
        uint64_t t0 = now_ns(), one = 1;
        char *msg = malloc(256);
        if (msg)
            snprintf(msg, 256, "local rate %.2f: migrate %zu MiB", 0.0, i);
        if (write(fd, &one, sizeof one) < 0 || epoll_wait(ep, &out, 1, 0) != 1 ||
            read(fd, &one, sizeof one) < 0)
            break;
        free(msg);
        record(s, t0);
    }
    close(ep);
    close(fd);
}

typedef struct floor_ctx {
    int fd;
    samples *s;
    _Atomic uint64_t sent_ns;
} floor_ctx;

static void *floor_waiter(void *arg)
{
    floor_ctx *f = arg;
    while (atomic_load(&f->s->n) < f->s->cap) {
        struct pollfd p = {.fd = f->fd, .events = POLLIN};
        uint64_t v;
        if (poll(&p, 1, 100) == 1 && read(f->fd, &v, sizeof v) == sizeof v)
            record(f->s, atomic_load(&f->sent_ns));
    }
    return NULL;
}

static void floor_cross_thread(samples *s)
{
    floor_ctx f = {eventfd(0, EFD_NONBLOCK), s, 0};
    pthread_t t;
    pthread_create(&t, NULL, floor_waiter, &f);
    /* Until the waiter has its samples: two writes it was too late to
     * see apart count once, so the number of writes is not fixed. */
    while (atomic_load(&s->n) < s->cap) {
        usleep(2000);
        uint64_t one = 1;
        atomic_store(&f.sent_ns, now_ns());
        if (write(f.fd, &one, sizeof one) < 0)
            break;
    }
    pthread_join(t, NULL);
    close(f.fd);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000;
    samples cb = {calloc(n, sizeof(uint64_t)), n, 0};
    samples q = {calloc(n, sizeof(uint64_t)), n, 0};
    samples f1 = {calloc(n, sizeof(uint64_t)), n, 0};
    samples f2 = {calloc(n, sizeof(uint64_t)), n, 0};
    pthread_t vcpu;
    if (!n || !cb.ns || !q.ns || !f1.ns || !f2.ns ||
        pthread_create(&vcpu, NULL, vcpu_thread, NULL))
        return 1;
    pthread_mutex_lock(&vcpu_lock);
    while (!vcpu_tid)
        pthread_cond_wait(&vcpu_cond, &vcpu_lock);
    pthread_mutex_unlock(&vcpu_lock);
    if (vcpu_tid < 0) {
        fprintf(stderr, "rebalance_latency: cannot run a thread on CPU 1\n");
        return 1;
    }

    bench b;
    uint64_t sub;
    if (bench_open(&b))
        return 1;
    if (vmaccel_subscribe(b.m, VMACCEL_EVENT_MASK(VMACCEL_EVENT_REBALANCE_PLANNED),
                          on_planned, &cb, &sub) || vmaccel_manager_start(b.m)) {
        fail("callback run");
        return 1;
    }
    wait_for(&cb);
    vmaccel_unsubscribe(b.m, sub);
    bench_close(&b);

    if (bench_open(&b))
        return 1;
    queue_ctx qc = {b.m, &q, 0};
    pthread_t t;
    pthread_create(&t, NULL, queue_consumer, &qc);
    if (vmaccel_manager_start(b.m)) {
        fail("queue run");
        return 1;
    }
    wait_for(&q);
    atomic_store(&qc.stop, 1);
    pthread_join(t, NULL);
    bench_close(&b);

    pthread_mutex_lock(&vcpu_lock);
    vcpu_stop = 1;
    pthread_cond_broadcast(&vcpu_cond);
    pthread_mutex_unlock(&vcpu_lock);
    pthread_join(vcpu, NULL);
    if (atomic_load(&cb.n) < n || atomic_load(&q.n) < n)
        fprintf(stderr, "rebalance_latency: fewer decisions than asked (%zu, %zu)\n",
                atomic_load(&cb.n), atomic_load(&q.n));
    if (!atomic_load(&cb.n) || !atomic_load(&q.n))
        return 1;
    floor_in_thread(&f1);
    floor_cross_thread(&f2);
    report("C callback (loop thread)", &cb);
    report("C pull queue (poll + next)", &q);
    report("floor: in-thread eventfd post", &f1);
    report("floor: cross-thread eventfd wake", &f2);
    free(cb.ns);
    free(q.ns);
    free(f1.ns);
    free(f2.ns);
    return 0;
}
