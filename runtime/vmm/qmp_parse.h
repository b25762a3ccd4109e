/*
 * Internal: QEMU Machine Protocol messages, parsed with json-c as pure
 * functions over one message's text (the socket client is qmp.c; libvirt's
 * monitor passthrough hands its replies to the same functions).
 *
 * Everything here treats its input as hostile: a message is at most
 * VA_QMP_MAX_MESSAGE bytes and 32 levels deep, must be one JSON object and
 * nothing after it, and every field used is type-checked. Anything else is
 * VMACCEL_EPARSE with a message naming what was wrong; nothing is kept.
 */
#ifndef VA_VMM_QMP_PARSE_H
#define VA_VMM_QMP_PARSE_H

#include "vmm/vm_internal.h"

#include <stddef.h>

#define VA_QMP_MAX_MESSAGE (1u << 20)
#define VA_QMP_MAX_CPUS VA_VM_MAX_VCPUS

typedef enum va_qmp_kind {
    VA_QMP_GREETING = 0,   /* {"QMP": {"version": ..., "capabilities": [...]}} */
    VA_QMP_RETURN = 1,     /* {"return": ..., "id": ...} */
    VA_QMP_ERROR = 2,      /* {"error": {"class": ..., "desc": ...}, "id": ...} */
    VA_QMP_EVENT = 3       /* {"event": ..., "data": ..., "timestamp": ...} */
} va_qmp_kind;

typedef struct va_qmp_msg {
    va_qmp_kind kind;
    long long id;          /* the "id" member when an integer, else -1 */
    char version[32];      /* greeting: "8.1.2" (qemu major.minor.micro) */
    char error[200];       /* error: "CLASS: desc" */
} va_qmp_msg;

/* Classifies one message (the JSON text of len bytes; trailing whitespace
 * allowed). */
int va_qmp_classify(const char *text, size_t len, va_qmp_msg *out);

typedef struct va_qmp_cpu {
    unsigned index;        /* cpu-index */
    int tid;               /* thread-id */
    int node;              /* props.node-id, -1 when absent */
} va_qmp_cpu;

/* The vCPUs of a query-cpus-fast reply (a "return" message), at most cap,
 * sorted by index. Each needs an integer cpu-index (0..4095, distinct)
 * and thread-id (> 0). */
int va_qmp_parse_cpus(const char *text, size_t len, va_qmp_cpu *cpus, size_t cap,
                      size_t *count);

/* The memory backends of a query-memdev reply: size (> 0), policy and
 * host-nodes (node numbers < 4096), id when present. */
int va_qmp_parse_memdevs(const char *text, size_t len, va_memdev *out, size_t cap,
                         size_t *count);

#endif
