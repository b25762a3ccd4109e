/* libFuzzer: the affinity state JSON the API accepts from the user
 * (vmaccel_vm_affinity_state_load; `vmaccel pin --restore` reads it from a
 * file another process wrote). The fuzzer cannot guess this process's pid
 * and start times, so the placeholders "@PID@", "@START@", "@TID@" and
 * "@TSTART@" in the input are replaced by those of the VM it loads into (an
 * in-process VM whose one vCPU is this thread): the seeds then reach the
 * per-thread entries. Whatever loads must come back unchanged through
 * vmaccel_vm_affinity_state and load again, and a capture afterwards (as
 * `vmaccel pin` does after loading an earlier state) must keep the loaded
 * originals and mark the affinity for restoring (abort otherwise). */
#include "vmm/vm_internal.h"

#include <vmaccel/vmaccel.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static vmaccel_manager *mgr;
static vmaccel_vm *vm;
static char subst[4][32];
static const char *const names[4] = {"@PID@", "@START@", "@TID@", "@TSTART@"};

static void setup(void)
{
    vmaccel_topology_options to = VMACCEL_TOPOLOGY_OPTIONS_INIT;
    to.source = VMACCEL_TOPOLOGY_SYNTHETIC;
    to.synthetic = "numa:2 core:2 pu:1";
    vmaccel_manager_options mo = VMACCEL_MANAGER_OPTIONS_INIT;
    mo.topology = &to;
    int tid = (int)syscall(SYS_gettid);
    vmaccel_vm_options vo = VMACCEL_VM_OPTIONS_INIT;
    vo.name = "fuzz";
    vo.vcpu_tids = &tid;
    vo.nvcpu_tids = 1;
    if (vmaccel_manager_new(&mo, &mgr) || vmaccel_vm_register(mgr, &vo, &vm)) {
        fprintf(stderr, "fuzz_state: setup failed: %s\n", vmaccel_error_last());
        abort();
    }
    snprintf(subst[0], sizeof subst[0], "%d", vm->pid);
    snprintf(subst[1], sizeof subst[1], "%llu", vm->start);
    snprintf(subst[2], sizeof subst[2], "%d", vm->vcpus[0].tid);
    snprintf(subst[3], sizeof subst[3], "%llu", vm->vcpus[0].start);
}

/* The input with the placeholders replaced; *len is the new length. The
 * result is not NUL-terminated on purpose (the API takes a length). */
static char *expand(const uint8_t *data, size_t size, size_t *len)
{
    char *out = malloc(size * 8 + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < size;) {
        size_t k = 0;
        while (k < 4 && !(size - i >= strlen(names[k]) &&
                          !memcmp(data + i, names[k], strlen(names[k]))))
            k++;
        if (k < 4) {
            memcpy(o, subst[k], strlen(subst[k]));
            o += strlen(subst[k]);
            i += strlen(names[k]);
        } else {
            *o++ = (char)data[i++];
        }
    }
    *len = (size_t)(o - out);
    /* Exactly the text's bytes, so ASan sees any read past the length. */
    char *exact = malloc(*len ? *len : 1);
    if (exact)
        memcpy(exact, out, *len);
    free(out);
    return exact;
}

/* The loaded originals are the first ones: a capture must not re-read
 * them, only add what its pin will change. */
static void check_capture_keeps_originals(void)
{
    va_saved loaded = vm->vcpus[0].saved;
    vmaccel_pin_options o = VMACCEL_PIN_OPTIONS_INIT;
    o.set_nice = 1;
    int rc = vmaccel_vm_affinity_state_capture(vm, &o);
    const va_saved *now = &vm->vcpus[0].saved;
    if (rc || !now->valid || !now->affinity_changed || !now->nice_changed ||
        now->sched_changed != loaded.sched_changed || now->nice != loaded.nice ||
        now->policy != loaded.policy || now->priority != loaded.priority ||
        memcmp(&now->affinity, &loaded.affinity, sizeof loaded.affinity)) {
        fprintf(stderr, "fuzz_state: capture after load changed the originals (%s)\n",
                rc ? vmaccel_error_last() : "no error");
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    if (!vm)
        setup();
    /* Each input starts from nothing saved. */
    memset(&vm->vcpus[0].saved, 0, sizeof vm->vcpus[0].saved);
    vm->vcpus[0].pinned = false;
    size_t len;
    char *json = expand(data, size, &len);
    if (!json)
        return 0;
    int rc = vmaccel_vm_affinity_state_load(vm, json, len);
    free(json);
    if (rc != 0 && rc != VMACCEL_EPARSE && rc != VMACCEL_ESTATE) {
        fprintf(stderr, "fuzz_state: undocumented error %s\n", vmaccel_strerror(rc));
        abort();
    }
    vmaccel_buf first = {0}, second = {0};
    if (rc || vmaccel_vm_affinity_state(vm, &first))
        return 0; /* nothing loaded for this thread */
    /* A round trip through the API's own output must be lossless. */
    if (vmaccel_vm_affinity_state_load(vm, (const char *)first.data, first.len) ||
        vmaccel_vm_affinity_state(vm, &second) || first.len != second.len ||
        memcmp(first.data, second.data, first.len)) {
        fprintf(stderr, "fuzz_state: round trip changed the state:\n%.*s\n%.*s\n",
                (int)first.len, (const char *)first.data, (int)second.len,
                second.data ? (const char *)second.data : "");
        abort();
    }
    vmaccel_buf_free(&first);
    vmaccel_buf_free(&second);
    check_capture_keeps_originals();
    return 0;
}
