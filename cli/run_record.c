/* vmaccel run --record: JSON lines that `vmaccel plot` draws.
 *   {"t":1.50,"vm":1,"pid":4312,"local":0.93,"ram":1073741824}
 *   {"t":2.00,"vm":1,"event":"REBALANCE_APPLIED","message":"..."} */
#include "run.h"

#include "vmaccel.pb-c.h"

#include <string.h>
#include <time.h>

static double elapsed(const run_state *s, uint64_t now_ns)
{
    return now_ns > s->start_ns ? (double)(now_ns - s->start_ns) / 1e9 : 0.0;
}

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void run_record_sample(run_state *s, const run_vm *r, double rate)
{
    if (!s->record)
        return;
    vmaccel_vm_info info = VMACCEL_VM_INFO_INIT;
    vmaccel_vm_info_get(r->vm, &info);
    /* ram: guest RAM in bytes, the weight of the host-wide rate in plot. */
    fprintf(s->record, "{\"t\":%.3f,\"vm\":%llu,\"pid\":%d,\"local\":%.4f,\"ram\":%llu}\n",
            elapsed(s, monotonic_ns()), (unsigned long long)info.id, r->pid, rate,
            (unsigned long long)info.memory_bytes);
}

static void json_string(FILE *f, const char *str)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void run_record_event(run_state *s, const vmaccel_buf *ev)
{
    if (!s->record)
        return;
    Vmaccel__V1__Event *e = vmaccel__v1__event__unpack(NULL, ev->len, ev->data);
    if (!e)
        return;
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&vmaccel__v1__event_type__descriptor, e->type);
    /* Event timestamps are CLOCK_MONOTONIC, like start_ns. */
    fprintf(s->record, "{\"t\":%.3f,\"vm\":%llu,\"event\":", elapsed(s, e->timestamp_ns),
            (unsigned long long)e->vm_id);
    json_string(s->record, v ? v->name + strlen("EVENT_TYPE_") : "UNKNOWN");
    fputs(",\"message\":", s->record);
    json_string(s->record, e->message);
    fputs("}\n", s->record);
    vmaccel__v1__event__free_unpacked(e, NULL);
}

void run_record_flush(run_state *s)
{
    if (s->record)
        fflush(s->record);
}
