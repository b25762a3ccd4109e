/* QMP messages with json-c (see qmp_parse.h). */
#include "vmm/qmp_parse.h"

#include "core/error.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32

/* Parses text as exactly one JSON object (whitespace around it allowed). */
static int parse_object(const char *text, size_t len, json_object **out)
{
    if (len > VA_QMP_MAX_MESSAGE)
        return va_fail(VMACCEL_EPARSE, "QMP message of %zu bytes (at most %u)", len,
                       VA_QMP_MAX_MESSAGE);
    if (len > (size_t)INT32_MAX)
        return va_fail(VMACCEL_EPARSE, "QMP message too long");
    json_tokener *tok = json_tokener_new_ex(MAX_DEPTH);
    if (!tok)
        return va_fail(VMACCEL_ENOMEM, "out of memory for a JSON parser");
    json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error err = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!o || err != json_tokener_success) {
        json_object_put(o);
        return va_fail(VMACCEL_EPARSE, "not a complete JSON message: %s",
                       o ? "trailing data" : json_tokener_error_desc(err));
    }
    for (size_t i = used; i < len; i++)
        if (!strchr(" \t\r\n", text[i])) {
            json_object_put(o);
            return va_fail(VMACCEL_EPARSE, "data after the JSON message (byte %zu)", i);
        }
    if (!json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return va_fail(VMACCEL_EPARSE, "a QMP message is a JSON object, got %s",
                       json_type_to_name(json_object_get_type(o)));
    }
    *out = o;
    return 0;
}

static json_object *member(json_object *o, const char *key, json_type type)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, type) ? v : NULL;
}

static void greeting_version(json_object *qmp, va_qmp_msg *out)
{
    json_object *ver = member(qmp, "version", json_type_object);
    json_object *q = ver ? member(ver, "qemu", json_type_object) : NULL;
    json_object *ma = q ? member(q, "major", json_type_int) : NULL;
    json_object *mi = q ? member(q, "minor", json_type_int) : NULL;
    json_object *mc = q ? member(q, "micro", json_type_int) : NULL;
    if (ma && mi && mc)
        snprintf(out->version, sizeof out->version, "%lld.%lld.%lld",
                 (long long)json_object_get_int64(ma), (long long)json_object_get_int64(mi),
                 (long long)json_object_get_int64(mc));
}

static int classify(json_object *o, va_qmp_msg *out)
{
    memset(out, 0, sizeof *out);
    json_object *id = member(o, "id", json_type_int), *v;
    out->id = id ? json_object_get_int64(id) : -1;
    if ((v = member(o, "QMP", json_type_object)) != NULL) {
        out->kind = VA_QMP_GREETING;
        if (!member(v, "version", json_type_object))
            return va_fail(VMACCEL_EPARSE, "QMP greeting without a version");
        greeting_version(v, out);
        return 0;
    }
    if (json_object_object_get_ex(o, "return", NULL)) {
        out->kind = VA_QMP_RETURN;
        return 0;
    }
    if ((v = member(o, "error", json_type_object)) != NULL) {
        json_object *cls = member(v, "class", json_type_string);
        json_object *desc = member(v, "desc", json_type_string);
        out->kind = VA_QMP_ERROR;
        snprintf(out->error, sizeof out->error, "%s: %s",
                 cls ? json_object_get_string(cls) : "?",
                 desc ? json_object_get_string(desc) : "?");
        return 0;
    }
    if (member(o, "event", json_type_string)) {
        out->kind = VA_QMP_EVENT;
        return 0;
    }
    return va_fail(VMACCEL_EPARSE, "a JSON object that is no QMP message (no QMP, "
                   "return, error or event member)");
}

int va_qmp_classify(const char *text, size_t len, va_qmp_msg *out)
{
    json_object *o;
    int rc = parse_object(text, len, &o);
    if (rc)
        return rc;
    rc = classify(o, out);
    json_object_put(o);
    return rc;
}

/* The "return" array of a reply. */
static int return_array(const char *text, size_t len, const char *command, json_object **root,
                        json_object **array)
{
    int rc = parse_object(text, len, root);
    if (rc)
        return rc;
    *array = member(*root, "return", json_type_array);
    if (*array)
        return 0;
    json_object *err = member(*root, "error", json_type_object);
    json_object *desc = err ? member(err, "desc", json_type_string) : NULL;
    rc = va_fail(err ? VMACCEL_ENOTSUP : VMACCEL_EPARSE, "%s: %s", command,
                 desc ? json_object_get_string(desc)
                      : "the reply has no \"return\" array");
    json_object_put(*root);
    return rc;
}

static bool int_in(json_object *o, const char *key, long long lo, long long hi, long long *out)
{
    json_object *v = member(o, key, json_type_int);
    if (!v)
        return false;
    long long x = json_object_get_int64(v);
    if (x < lo || x > hi)
        return false;
    *out = x;
    return true;
}

static int by_index(const void *a, const void *b)
{
    const va_qmp_cpu *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int take_cpu(json_object *e, size_t i, va_qmp_cpu *c)
{
    long long index, tid, node = -1;
    if (!json_object_is_type(e, json_type_object) ||
        !int_in(e, "cpu-index", 0, VA_QMP_MAX_CPUS - 1, &index) ||
        !int_in(e, "thread-id", 1, INT32_MAX, &tid))
        return va_fail(VMACCEL_EPARSE, "query-cpus-fast: entry %zu has no valid cpu-index "
                       "(0..%d) and thread-id", i, VA_QMP_MAX_CPUS - 1);
    json_object *props = member(e, "props", json_type_object);
    if (props && json_object_object_get_ex(props, "node-id", NULL) &&
        !int_in(props, "node-id", 0, 4095, &node))
        return va_fail(VMACCEL_EPARSE, "query-cpus-fast: entry %zu has a bad node-id", i);
    *c = (va_qmp_cpu){(unsigned)index, (int)tid, (int)node};
    return 0;
}

int va_qmp_parse_cpus(const char *text, size_t len, va_qmp_cpu *cpus, size_t cap,
                      size_t *count)
{
    json_object *root, *arr;
    int rc = return_array(text, len, "query-cpus-fast", &root, &arr);
    if (rc)
        return rc;
    size_t n = json_object_array_length(arr);
    if (n == 0 || n > cap)
        rc = va_fail(VMACCEL_EPARSE, "query-cpus-fast lists %zu vCPUs (1..%zu)", n, cap);
    for (size_t i = 0; !rc && i < n; i++)
        rc = take_cpu(json_object_array_get_idx(arr, i), i, &cpus[i]);
    json_object_put(root);
    if (rc)
        return rc;
    qsort(cpus, n, sizeof *cpus, by_index);
    for (size_t i = 1; i < n; i++)
        if (cpus[i].index == cpus[i - 1].index)
            return va_fail(VMACCEL_EPARSE, "query-cpus-fast lists cpu-index %u twice",
                           cpus[i].index);
    *count = n;
    return 0;
}

static int take_nodes(json_object *arr, size_t i, va_cpumask *nodes)
{
    va_cpumask_zero(nodes);
    size_t n = json_object_array_length(arr);
    for (size_t k = 0; k < n; k++) {
        json_object *v = json_object_array_get_idx(arr, k);
        long long node = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
        if (node < 0 || node >= VA_MAX_CPUS)
            return va_fail(VMACCEL_EPARSE, "query-memdev: entry %zu has a bad host node", i);
        va_cpumask_set(nodes, (unsigned)node);
    }
    return 0;
}

static int take_memdev(json_object *e, size_t i, va_memdev *d)
{
    memset(d, 0, sizeof *d);
    json_object *size = json_object_is_type(e, json_type_object)
                            ? member(e, "size", json_type_int) : NULL;
    json_object *policy = size ? member(e, "policy", json_type_string) : NULL;
    json_object *nodes = policy ? member(e, "host-nodes", json_type_array) : NULL;
    json_object *id = size ? member(e, "id", json_type_string) : NULL;
    /* json-c reads numbers above INT64_MAX as INT64_MAX: reject those. */
    int64_t bytes = size ? json_object_get_int64(size) : 0;
    if (!nodes || bytes <= 0 || bytes == INT64_MAX)
        return va_fail(VMACCEL_EPARSE, "query-memdev: entry %zu lacks a size, policy "
                       "or host-nodes", i);
    d->size = (uint64_t)bytes;
    snprintf(d->policy, sizeof d->policy, "%s", json_object_get_string(policy));
    if (id)
        snprintf(d->id, sizeof d->id, "%s", json_object_get_string(id));
    return take_nodes(nodes, i, &d->host_nodes);
}

int va_qmp_parse_memdevs(const char *text, size_t len, va_memdev *out, size_t cap,
                         size_t *count)
{
    json_object *root, *arr;
    int rc = return_array(text, len, "query-memdev", &root, &arr);
    if (rc)
        return rc;
    size_t n = json_object_array_length(arr);
    if (n > cap)
        rc = va_fail(VMACCEL_EPARSE, "query-memdev lists %zu backends (at most %zu)", n, cap);
    for (size_t i = 0; !rc && i < n; i++)
        rc = take_memdev(json_object_array_get_idx(arr, i), i, &out[i]);
    json_object_put(root);
    if (!rc)
        *count = n;
    return rc;
}
