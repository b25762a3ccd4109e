/* vmaccel run: the live view (like top) and event lines. */
#include "run.h"
#include "run_view.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmaccel.pb-c.h"

/* One VM's line: a snapshot of what the library knows about it. */
static void snapshot_vm(const run_vm *r, run_view_vm *v)
{
    memset(v, 0, sizeof *v);
    v->pid = r->pid;
    snprintf(v->name, sizeof v->name, "%s", r->name);
    v->trend = r->trend;
    v->ntrend = r->ntrend;
    vmaccel_vm_info info = VMACCEL_VM_INFO_INIT;
    if (vmaccel_vm_info_get(r->vm, &info) == 0) {
        v->vcpus = info.vcpu_count;
        v->ram_bytes = info.memory_bytes;
    }
    vmaccel_locality_info li = VMACCEL_LOCALITY_INFO_INIT;
    if (vmaccel_vm_locality(r->vm, &li) != 0)
        return;
    v->measured = li.source != VMACCEL_LOCALITY_NONE;
    v->local_rate = li.local_rate;
    v->from_faults = li.source == VMACCEL_LOCALITY_NUMA_FAULTS;
    v->home_node = li.home_node;
    v->vcpu_moves = li.vcpu_moves;
    v->migrations = li.memory_migrations;
    v->failures = li.failures;
}

/* "0@cpu3* 1@cpu4": where each vCPU last ran (* = pinned by vmaccel). */
static void vcpu_places(const run_vm *r, unsigned nvcpus, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < nvcpus && n + 1 < size; i++) {
        vmaccel_vcpu_info vi = VMACCEL_VCPU_INFO_INIT;
        if (vmaccel_vm_vcpu(r->vm, i, &vi) != 0)
            continue;
        int w = snprintf(out + n, size - n, "%s%u@cpu%d%s", n ? " " : "", i, vi.last_cpu,
                         vi.pinned ? "*" : "");
        if (w < 0 || (size_t)w >= size - n) {
            out[n] = '\0'; /* what did not fit is left out whole */
            break;
        }
        n += (size_t)w;
    }
}

void run_draw(run_state *s)
{
    run_view_vm *vms = calloc(s->nvms ? s->nvms : 1, sizeof *vms);
    if (!vms)
        return; /* the next interval tries again */
    for (unsigned i = 0; i < s->nvms; i++)
        snapshot_vm(&s->vms[i], &vms[i]);
    unsigned rows, cols;
    run_term_size(&rows, &cols);
    char when[32];
    time_t now = time(NULL);
    strftime(when, sizeof when, "%H:%M:%S", localtime(&now));
    run_view_frame f = {
        .clock = when, .threshold = s->opts.numa.threshold ? s->opts.numa.threshold : 0.8,
        .dry_run = s->opts.numa.dry_run, .looking = s->opts.qemu, .keys = s->view_keys,
        .events = s->events_seen, .actions = s->actions, .fd_limited = s->fd_limited,
        .vms = vms, .nvms = s->nvms, .recent = s->recent, .nrecent = s->nrecent,
        .page = s->view_page};
    const vmaccel_topology *t;
    if (vmaccel_manager_topology(s->m, &t) == 0)
        vmaccel_topology_count(t, VMACCEL_OBJ_NUMA_NODE, &f.nodes);
    bool details;
    run_view_page_size(&f, rows, &details);
    for (unsigned i = 0; details && i < s->nvms; i++) /* few VMs: all of them */
        vcpu_places(&s->vms[i], vms[i].vcpus, vms[i].where, sizeof vms[i].where);
    run_view_sort(vms, s->nvms);
    /* One write per frame: no half-drawn screens. */
    char *frame = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&frame, &len);
    if (mem) {
        run_view_render(mem, &f, rows, cols);
        if (fclose(mem) == 0)
            fwrite(frame, 1, len, stdout);
        fflush(stdout);
        free(frame);
    }
    s->view_page = f.page;
    free(vms);
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
