/* Saved originals as JSON, so that another process can restore them
 * (`vmaccel pin` saves, `vmaccel pin --restore` loads). The process and
 * each thread are identified by id *and* start time: a recycled pid or tid
 * never matches. */
#include "vmm/vm_internal.h"

#include "core/error.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static json_object *vcpu_json(const va_vcpu *v)
{
    char cpus[4096];
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    va_cpumask_format(&v->saved.affinity, cpus, sizeof cpus);
    json_object_object_add(o, "tid", json_object_new_int(v->tid));
    json_object_object_add(o, "start", json_object_new_int64((int64_t)v->start));
    json_object_object_add(o, "cpus", json_object_new_string(cpus));
    json_object_object_add(o, "nice", json_object_new_int(v->saved.nice));
    json_object_object_add(o, "policy", json_object_new_int(v->saved.policy));
    json_object_object_add(o, "priority", json_object_new_int(v->saved.priority));
    json_object_object_add(o, "pinned",
                           json_object_new_boolean(v->saved.affinity_changed));
    json_object_object_add(o, "nice_changed", json_object_new_boolean(v->saved.nice_changed));
    json_object_object_add(o, "sched_changed",
                           json_object_new_boolean(v->saved.sched_changed));
    return o;
}

static int to_buf(json_object *root, vmaccel_buf *out)
{
    const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
    size_t n = s ? strlen(s) : 0;
    out->data = s ? malloc(n + 1) : NULL;
    if (!out->data)
        return va_fail(VMACCEL_ENOMEM, "out of memory for the affinity state");
    memcpy(out->data, s, n + 1);
    out->len = n;
    return 0;
}

VMACCEL_API int vmaccel_vm_affinity_state(const vmaccel_vm *vm, vmaccel_buf *out)
{
    int rc = va_vm_check(vm);
    if (!rc && !out)
        rc = va_fail(VMACCEL_EINVAL, "output buffer pointer is NULL");
    if (rc)
        return rc;
    vmaccel_vm *v = (vmaccel_vm *)vm;
    json_object *root = json_object_new_object(), *arr = json_object_new_array();
    pthread_mutex_lock(&v->lock);
    size_t saved = 0;
    for (size_t i = 0; root && arr && i < vm->nvcpus; i++)
        if (vm->vcpus[i].saved.valid) {
            json_object_array_add(arr, vcpu_json(&vm->vcpus[i]));
            saved++;
        }
    json_object_object_add(root, "pid", json_object_new_int(vm->pid));
    json_object_object_add(root, "start", json_object_new_int64((int64_t)vm->start));
    json_object_object_add(root, "vcpus", arr);
    pthread_mutex_unlock(&v->lock);
    rc = saved ? to_buf(root, out)
               : va_fail(VMACCEL_ESTATE, "VM %llu: no thread was changed, nothing saved",
                         (unsigned long long)vm->id);
    json_object_put(root);
    return rc;
}

static bool get_i64(json_object *o, const char *key, int64_t *v)
{
    json_object *f;
    if (!json_object_object_get_ex(o, key, &f) || !json_object_is_type(f, json_type_int))
        return false;
    *v = json_object_get_int64(f);
    return true;
}

static bool get_bool(json_object *o, const char *key)
{
    json_object *f;
    return json_object_object_get_ex(o, key, &f) && json_object_get_boolean(f);
}

/* One saved thread; false if malformed. Unknown threads are skipped. */
static bool load_vcpu(vmaccel_vm *vm, json_object *o)
{
    int64_t tid, start, nice, policy, prio;
    json_object *cpus;
    va_cpumask mask;
    if (!json_object_is_type(o, json_type_object) || !get_i64(o, "tid", &tid) ||
        !get_i64(o, "start", &start) || !get_i64(o, "nice", &nice) ||
        !get_i64(o, "policy", &policy) || !get_i64(o, "priority", &prio) ||
        !json_object_object_get_ex(o, "cpus", &cpus) ||
        va_cpumask_parse(json_object_get_string(cpus), &mask))
        return false;
    for (size_t i = 0; i < vm->nvcpus; i++) {
        va_vcpu *v = &vm->vcpus[i];
        if (v->tid != tid || v->start != (unsigned long long)start)
            continue;
        v->saved = (va_saved){true, mask, (int)nice, (int)policy, (int)prio,
                              get_bool(o, "pinned"), get_bool(o, "nice_changed"),
                              get_bool(o, "sched_changed")};
        v->pinned = v->saved.affinity_changed;
    }
    return true;
}

static int load_locked(vmaccel_vm *vm, json_object *root)
{
    int64_t pid, start;
    json_object *arr;
    if (!json_object_is_type(root, json_type_object) || !get_i64(root, "pid", &pid) ||
        !get_i64(root, "start", &start) || !json_object_object_get_ex(root, "vcpus", &arr) ||
        !json_object_is_type(arr, json_type_array))
        return va_fail(VMACCEL_EPARSE, "affinity state: expected {pid, start, vcpus[]}");
    if (pid != vm->pid || (unsigned long long)start != vm->start)
        return va_fail(VMACCEL_ESTATE, "the saved state is for pid %lld started at %lld; "
                       "this VM is pid %d started at %llu (a different process)",
                       (long long)pid, (long long)start, vm->pid, vm->start);
    size_t n = json_object_array_length(arr);
    for (size_t i = 0; i < n; i++)
        if (!load_vcpu(vm, json_object_array_get_idx(arr, i)))
            return va_fail(VMACCEL_EPARSE, "affinity state: vCPU entry %zu is malformed", i);
    return 0;
}

VMACCEL_API int vmaccel_vm_affinity_state_load(vmaccel_vm *vm, const char *json, size_t len)
{
    int rc = va_vm_check(vm);
    if (!rc && !json)
        rc = va_fail(VMACCEL_EINVAL, "state text is NULL");
    if (!rc && len > (64u << 20))
        rc = va_fail(VMACCEL_ERANGE, "state text of %zu bytes is too large", len);
    if (rc)
        return rc;
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return va_fail(VMACCEL_ENOMEM, "out of memory parsing JSON");
    json_object *root = json_tokener_parse_ex(tok, json, (int)len);
    bool complete = json_tokener_get_error(tok) == json_tokener_success;
    json_tokener_free(tok);
    if (!root || !complete) {
        json_object_put(root);
        return va_fail(VMACCEL_EPARSE, "affinity state is not valid JSON");
    }
    pthread_mutex_lock(&vm->lock);
    rc = load_locked(vm, root);
    pthread_mutex_unlock(&vm->lock);
    json_object_put(root);
    return rc;
}
