/* vmaccel run: the live view (like top) and event lines. */
#include "run.h"

#include <string.h>

#include "vmaccel.pb-c.h"
#include <time.h>

/* Eight levels of a sparkline, UTF-8 block elements. */
static const char *const spark[8] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                     "\u2585", "\u2586", "\u2587", "\u2588"};

static void draw_trend(const run_vm *r)
{
    for (unsigned k = 0; k < r->ntrend; k++) {
        int level = (int)(r->trend[k] * 7.0 + 0.5);
        fputs(spark[level < 0 ? 0 : level > 7 ? 7 : level], stdout);
    }
}

static void draw_vcpus(const run_vm *r)
{
    vmaccel_vm_info info = VMACCEL_VM_INFO_INIT;
    if (vmaccel_vm_info_get(r->vm, &info))
        return;
    printf("    vCPUs:");
    for (unsigned v = 0; v < info.vcpu_count && v < 32; v++) {
        vmaccel_vcpu_info vi = VMACCEL_VCPU_INFO_INIT;
        if (vmaccel_vm_vcpu(r->vm, v, &vi) == 0)
            printf(" %u@cpu%d%s", v, vi.last_cpu, vi.pinned ? "*" : "");
    }
    printf("%s\n", info.vcpu_count > 32 ? " ..." : "");
}

static void draw_vm(const run_vm *r)
{
    vmaccel_locality_info li = VMACCEL_LOCALITY_INFO_INIT;
    int have = vmaccel_vm_locality(r->vm, &li) == 0 && li.source != VMACCEL_LOCALITY_NONE;
    printf("  pid %-7d %-20.20s ", r->pid, r->name);
    if (have)
        printf("local %5.1f%% (%s) home node %u  ", 100.0 * li.local_rate,
               li.source == VMACCEL_LOCALITY_NUMA_FAULTS ? "faults" : "placement",
               li.home_node);
    else
        printf("local   --   (measuring)            ");
    draw_trend(r);
    printf("\n    actions: %llu vCPU moves, %llu migrations (%llu pages), %llu failed\n",
           (unsigned long long)li.vcpu_moves, (unsigned long long)li.memory_migrations,
           (unsigned long long)li.pages_migrated, (unsigned long long)li.failures);
    draw_vcpus(r);
}

void run_draw(run_state *s)
{
    unsigned nodes = 0;
    const vmaccel_topology *t;
    if (vmaccel_manager_topology(s->m, &t) == 0)
        vmaccel_topology_count(t, VMACCEL_OBJ_NUMA_NODE, &nodes);
    printf("\033[H\033[2J"); /* home, clear */
    time_t now = time(NULL);
    char when[32];
    strftime(when, sizeof when, "%H:%M:%S", localtime(&now));
    printf("vmaccel run  %s  %u NUMA node%s  %u VM%s  threshold %.2f%s  (* = pinned by vmaccel)\n\n",
           when, nodes, nodes == 1 ? "" : "s", s->nvms, s->nvms == 1 ? "" : "s",
           s->opts.numa.threshold ? s->opts.numa.threshold : 0.8,
           s->opts.numa.dry_run ? "  DRY RUN" : "");
    for (unsigned i = 0; i < s->nvms; i++)
        draw_vm(&s->vms[i]);
    if (!s->nvms)
        printf("  no VM yet%s\n", s->opts.qemu ? " (looking for QEMU processes)" : "");
    printf("\n%lu events, %lu rebalance actions.  Ctrl-C to stop.\n", s->events_seen,
           s->actions);
    for (unsigned i = 0; i < s->nrecent; i++)
        printf("  %s\n", s->recent[i]);
    fflush(stdout);
}

void run_print_event(run_state *s, const vmaccel_buf *ev)
{
    vmaccel_format f = s->opts.events == RUN_EVENTS_JSON ? VMACCEL_FORMAT_JSON
                                                          : VMACCEL_FORMAT_TEXT;
    vmaccel_buf out = {0};
    if (vmaccel_event_render(ev->data, ev->len, f, &out))
        return;
    if (f == VMACCEL_FORMAT_JSON) {
        /* One event per line (JSON Lines): fold the pretty printing. */
        for (size_t i = 0; i < out.len; i++)
            if (out.data[i] == '\n')
                out.data[i] = ' ';
        printf("%s\n", (char *)out.data);
    } else {
        for (size_t i = 0; i < out.len; i++)
            if (out.data[i] == '\n' && i + 1 < out.len)
                out.data[i] = ' ';
        printf("event: %s", (char *)out.data);
    }
    fflush(stdout);
    vmaccel_buf_free(&out);
}

static const char *event_name(int type)
{
    static const char *const names[] = {"?", "vm-attached", "vm-gone", "locality",
                                        "planned", "applied", "failed", "topology",
                                        "iotlb"};
    return type >= 0 && type < 9 ? names[type] : "?";
}

void run_note_event(run_state *s, const vmaccel_buf *ev)
{
    Vmaccel__V1__Event *e = vmaccel__v1__event__unpack(NULL, ev->len, ev->data);
    if (!e)
        return;
    s->events_seen++;
    if (e->type == VMACCEL__V1__EVENT_TYPE__EVENT_TYPE_REBALANCE_APPLIED)
        s->actions++;
    if (s->nrecent == 5) {
        memmove(s->recent, s->recent + 1, sizeof s->recent[0] * 4);
        s->nrecent--;
    }
    snprintf(s->recent[s->nrecent++], sizeof s->recent[0], "#%llu vm %llu %-11s %s",
             (unsigned long long)e->sequence, (unsigned long long)e->vm_id,
             event_name(e->type), e->message);
    vmaccel__v1__event__free_unpacked(e, NULL);
}
