/*
 * rebalance_watch: a C host that hands running VMMs (QEMU, cloud-hypervisor,
 * Firecracker, crosvm) to vm-accel, runs its NUMA engine and prints each
 * rebalance as the engine decides and applies it.
 *
 *   cc -std=c11 rebalance_watch.c $(pkg-config --cflags --libs vmaccel) -o rebalance_watch
 *   ./rebalance_watch [--interval MS] [--fix cheaper|move-vcpus|migrate-memory]
 *                     [--dry-run] [--override-pins] [--seconds N] PID...
 *
 * vCPUs the operator placed (a taskset, libvirt <vcpupin>) stay where they
 * are unless --override-pins: the engine brings the memory to them instead.
 *
 * Events reach it through a C callback (vmaccel_subscribe). Callbacks run on
 * the manager's loop thread and must not block, so this one only copies the
 * event into a small ring under a mutex and signals; the main thread prints.
 * On a host with one NUMA node there is nothing to rebalance: the engine is
 * switched on anyway and reports each VM's locality.
 *
 * Output, one line per event, then one per VM:
 *   [  3.012s] REBALANCE_PLANNED vm 1 (rate 0.00): local rate 0.00: move 2 vCPU(s) ...
 *   vm 1 "x": local rate 1.00 (page placement), 1 vCPU move(s), 0 memory migration(s), 0 failure(s)
 *   rebalances: 1 planned, 1 applied, 0 failed
 */
#define _POSIX_C_SOURCE 200809L
#include <vmaccel/vmaccel.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RING 256
#define MAX_VMS 64

typedef struct record {
    vmaccel_event_type type;
    uint64_t vm_id, timestamp_ns;
    double local_rate;
    char message[240];
} record;

/* What the callback shares with the main thread. */
typedef struct ring {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    record items[RING];
    size_t head, count;
    unsigned long dropped; /* the ring was full: the main thread fell behind */
} ring;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* Runs on the loop thread: copy and signal, nothing that can block long. */
static void on_event(const vmaccel_event *ev, void *user)
{
    ring *r = user;
    pthread_mutex_lock(&r->lock);
    if (r->count == RING) {
        r->dropped++;
    } else {
        record *rec = &r->items[(r->head + r->count++) % RING];
        rec->type = ev->type;
        rec->vm_id = ev->vm_id;
        rec->timestamp_ns = ev->timestamp_ns;
        rec->local_rate = ev->local_rate;
        snprintf(rec->message, sizeof rec->message, "%s", ev->message);
        pthread_cond_signal(&r->ready);
    }
    pthread_mutex_unlock(&r->lock);
}

static const char *type_name(vmaccel_event_type t)
{
    switch (t) {
    case VMACCEL_EVENT_VM_ATTACHED: return "VM_ATTACHED";
    case VMACCEL_EVENT_VM_GONE: return "VM_GONE";
    case VMACCEL_EVENT_LOCALITY_CHANGED: return "LOCALITY_CHANGED";
    case VMACCEL_EVENT_REBALANCE_PLANNED: return "REBALANCE_PLANNED";
    case VMACCEL_EVENT_REBALANCE_APPLIED: return "REBALANCE_APPLIED";
    case VMACCEL_EVENT_REBALANCE_FAILED: return "REBALANCE_FAILED";
    case VMACCEL_EVENT_TOPOLOGY_CHANGED: return "TOPOLOGY_CHANGED";
    case VMACCEL_EVENT_IOTLB_REPARTITIONED: return "IOTLB_REPARTITIONED";
    case VMACCEL_EVENT_REBALANCE_DEFERRED: return "REBALANCE_DEFERRED";
    case VMACCEL_EVENT_VCPUS_PINNED: return "VCPUS_PINNED";
    }
    return "UNKNOWN";
}

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int fail(const char *what, int rc)
{
    fprintf(stderr, "rebalance_watch: %s: %s (%s)\n", what, vmaccel_error_last(),
            vmaccel_strerror(rc));
    return 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: rebalance_watch [--interval MS] [--fix cheaper|move-vcpus|"
                    "migrate-memory] [--dry-run] [--override-pins] [--seconds N] PID...\n");
    return 2;
}

static const char *source_name(vmaccel_locality_source s)
{
    return s == VMACCEL_LOCALITY_NUMA_FAULTS      ? "NUMA faults"
           : s == VMACCEL_LOCALITY_PAGE_PLACEMENT ? "page placement"
                                                  : "not measured";
}

int main(int argc, char **argv)
{
    vmaccel_numa_options numa = VMACCEL_NUMA_OPTIONS_INIT;
    double seconds = 0; /* 0: until SIGINT/SIGTERM */
    int pids[MAX_VMS], npids = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--interval") && v) {
            numa.interval_ms = (unsigned)strtoul(v, NULL, 10), i++;
        } else if (!strcmp(a, "--seconds") && v) {
            seconds = strtod(v, NULL), i++;
        } else if (!strcmp(a, "--dry-run")) {
            numa.dry_run = 1;
        } else if (!strcmp(a, "--override-pins")) {
            numa.override_pins = 1;
        } else if (!strcmp(a, "--fix") && v) {
            i++;
            if (!strcmp(v, "cheaper"))
                numa.fix = VMACCEL_NUMA_FIX_CHEAPER;
            else if (!strcmp(v, "move-vcpus"))
                numa.fix = VMACCEL_NUMA_FIX_MOVE_VCPUS;
            else if (!strcmp(v, "migrate-memory"))
                numa.fix = VMACCEL_NUMA_FIX_MIGRATE_MEMORY;
            else
                return usage();
        } else if (a[0] != '-' && npids < MAX_VMS) {
            pids[npids++] = atoi(a);
        } else {
            return usage();
        }
    }
    if (!npids)
        return usage();

    static ring events = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {{0}}, 0, 0, 0};
    vmaccel_manager *m;
    vmaccel_vm *vms[MAX_VMS];
    uint64_t sub;
    int rc = vmaccel_manager_new(NULL, &m); /* detects this host */
    if (rc)
        return fail("cannot create the manager", rc);
    for (int i = 0; i < npids; i++) {
        vmaccel_vm_info info = VMACCEL_VM_INFO_INIT;
        char what[64];
        snprintf(what, sizeof what, "attach %d", pids[i]);
        if ((rc = vmaccel_vm_attach_pid(m, pids[i], NULL, &vms[i])) ||
            (rc = vmaccel_vm_info_get(vms[i], &info))) {
            vmaccel_manager_free(m);
            return fail(what, rc);
        }
        printf("attached vm %llu \"%s\" (pid %d, %u vCPUs, %llu MiB)\n",
               (unsigned long long)info.id, info.name, info.pid, info.vcpu_count,
               (unsigned long long)(info.memory_bytes >> 20));
    }
    uint32_t mask = VMACCEL_EVENT_MASK(VMACCEL_EVENT_REBALANCE_PLANNED) |
                    VMACCEL_EVENT_MASK(VMACCEL_EVENT_REBALANCE_APPLIED) |
                    VMACCEL_EVENT_MASK(VMACCEL_EVENT_REBALANCE_FAILED) |
                    VMACCEL_EVENT_MASK(VMACCEL_EVENT_LOCALITY_CHANGED) |
                    VMACCEL_EVENT_MASK(VMACCEL_EVENT_VM_GONE);
    if ((rc = vmaccel_subscribe(m, mask, on_event, &events, &sub)) ||
        (rc = vmaccel_manager_setup_full(m))) {
        vmaccel_manager_free(m);
        return fail("setup", rc);
    }
    int numa_on = 0;
    vmaccel_manager_numa_enabled(m, &numa_on);
    if (!numa_on) { /* one node: observe locality, nothing to rebalance */
        const vmaccel_topology *topo;
        unsigned nodes = 0;
        vmaccel_manager_topology(m, &topo);
        vmaccel_topology_count(topo, VMACCEL_OBJ_NUMA_NODE, &nodes);
        printf("%u NUMA node: watching locality only\n", nodes);
        rc = vmaccel_manager_enable_numa(m, nodes);
    }
    if (rc || (rc = vmaccel_manager_configure_numa(m, &numa)) ||
        (rc = vmaccel_manager_start(m))) { /* the libuv loop: sample, decide, act */
        vmaccel_manager_free(m);
        return fail("NUMA engine", rc);
    }
    fflush(stdout);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    unsigned long planned = 0, applied = 0, failed = 0;
    uint64_t t0 = monotonic_ns(), end = seconds > 0 ? t0 + (uint64_t)(seconds * 1e9) : 0;
    while (!stop_requested && (!end || monotonic_ns() < end)) {
        struct timespec wake;
        clock_gettime(CLOCK_REALTIME, &wake);
        wake.tv_nsec += 100 * 1000000L; /* notice a signal or the deadline */
        if (wake.tv_nsec >= 1000000000L)
            wake.tv_sec++, wake.tv_nsec -= 1000000000L;
        record batch[16];
        size_t n = 0;
        pthread_mutex_lock(&events.lock);
        if (!events.count)
            pthread_cond_timedwait(&events.ready, &events.lock, &wake);
        while (events.count && n < 16) {
            batch[n++] = events.items[events.head];
            events.head = (events.head + 1) % RING;
            events.count--;
        }
        pthread_mutex_unlock(&events.lock);
        for (size_t i = 0; i < n; i++) { /* printed outside the lock */
            const record *e = &batch[i];
            planned += e->type == VMACCEL_EVENT_REBALANCE_PLANNED;
            applied += e->type == VMACCEL_EVENT_REBALANCE_APPLIED;
            failed += e->type == VMACCEL_EVENT_REBALANCE_FAILED;
            printf("[%8.3fs] %s vm %llu (rate %.2f): %s\n",
                   e->timestamp_ns > t0 ? (e->timestamp_ns - t0) / 1e9 : 0.0,
                   type_name(e->type), (unsigned long long)e->vm_id, e->local_rate,
                   e->message);
        }
        fflush(stdout);
    }
    vmaccel_unsubscribe(m, sub); /* the callback is not running after this */
    vmaccel_manager_stop(m);

    for (int i = 0; i < npids; i++) {
        vmaccel_vm_info info = VMACCEL_VM_INFO_INIT;
        vmaccel_locality_info loc = VMACCEL_LOCALITY_INFO_INIT;
        vmaccel_vm_info_get(vms[i], &info);
        if ((rc = vmaccel_vm_locality(vms[i], &loc)) == VMACCEL_ENOENT) {
            printf("vm %llu \"%s\": not observed yet\n", (unsigned long long)info.id,
                   info.name);
            continue;
        }
        printf("vm %llu \"%s\": local rate %.2f (%s), %llu vCPU move(s), "
               "%llu memory migration(s), %llu failure(s)\n",
               (unsigned long long)info.id, info.name, loc.local_rate,
               source_name(loc.source), (unsigned long long)loc.vcpu_moves,
               (unsigned long long)loc.memory_migrations,
               (unsigned long long)loc.failures);
    }
    printf("rebalances: %lu planned, %lu applied, %lu failed", planned, applied, failed);
    if (events.dropped)
        printf(" (%lu events dropped: printing fell behind)", events.dropped);
    printf("\n");
    vmaccel_manager_free(m); /* stops the loop, detaches the VMs, frees */
    return 0;
}
