/* Reading each vCPU's limits through the VM's platform seam, and the
 * public view of them (see limits.h for the locking). */
#include "vmm/limits.h"

#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the refresh needs of one vCPU, copied under the VM's lock, and
 * what it found. */
typedef struct vcpu_facts {
    int tid;
    bool skip;                   /* gone: keep its old limits */
    bool have_original, have_applied;
    va_cpumask original, applied;
    bool ok;
    va_vcpu_limits out;
} vcpu_facts;

typedef struct refresh {
    const va_platform *plat;
    int pid;
    size_t n;
    vcpu_facts *v;
    va_limit qemu_mem_pin;
} refresh;

static int copy_in(vmaccel_vm *vm, refresh *r)
{
    pthread_mutex_lock(&vm->lock);
    int rc = va_vm_guard(vm);
    r->plat = vm->plat;
    r->pid = vm->pid;
    r->n = vm->nvcpus;
    r->qemu_mem_pin = vm->qemu_mem_pin;
    r->v = rc ? NULL : calloc(r->n + 1, sizeof *r->v);
    if (!rc && !r->v)
        rc = va_fail(VMACCEL_ENOMEM, "out of memory reading vCPU limits");
    for (size_t i = 0; !rc && i < r->n; i++) {
        const va_vcpu *c = &vm->vcpus[i];
        vcpu_facts *f = &r->v[i];
        f->tid = c->tid;
        f->skip = c->gone;
        f->have_original = c->saved.valid;
        f->original = c->saved.affinity;
        /* Pinned by another vm-accel (state loaded): what it set is unknown. */
        f->have_applied = c->pinned && !va_cpumask_empty(&c->applied);
        f->applied = c->applied;
    }
    pthread_mutex_unlock(&vm->lock);
    return rc;
}

/* The operator's placement of the VM's memory: the management layer's,
 * else QEMU's own (memory backends bound to host nodes). */
static void vm_mem_pin(const refresh *r, const va_managed *mg, va_limit *out)
{
    if (mg->mem_pinned) {
        *out = (va_limit){.set = true, .mask = mg->mem_nodes, .origin = VA_ORIGIN_LIBVIRT};
        snprintf(out->source, sizeof out->source, "%s", mg->mem_source);
    } else {
        *out = r->qemu_mem_pin;
    }
}

/* A platform without per-thread cgroups (Windows) limits by nothing more
 * than the online CPUs. */
static int thread_cpuset(const refresh *r, int tid, va_thread_cpuset *cg)
{
    if (r->plat->thread_cpuset)
        return r->plat->thread_cpuset(r->plat, r->pid, tid, cg);
    memset(cg, 0, sizeof *cg);
    return r->plat->online_cpus ? r->plat->online_cpus(r->plat, &cg->cpus) : 0;
}

static void judge_all(refresh *r, const va_managed *mg, const va_cpumask *own)
{
    va_limit mem;
    vm_mem_pin(r, mg, &mem);
    for (size_t i = 0; i < r->n; i++) {
        vcpu_facts *f = &r->v[i];
        va_thread_cpuset cg;
        va_cpumask affinity;
        if (f->skip || thread_cpuset(r, f->tid, &cg) ||
            r->plat->get_affinity(r->plat, f->tid, &affinity))
            continue; /* gone meanwhile: the next guard marks it */
        va_limits_input in = {&cg, &affinity, f->have_original ? &f->original : NULL,
                              f->have_applied ? &f->applied : NULL,
                              i < mg->nvcpus ? &mg->vcpus[i] : NULL, own, &mem};
        va_limits_judge(&in, &f->out);
        f->ok = true;
    }
}

static void store(vmaccel_vm *vm, const refresh *r)
{
    pthread_mutex_lock(&vm->lock);
    for (size_t i = 0; i < r->n && i < vm->nvcpus; i++)
        if (r->v[i].ok && vm->vcpus[i].tid == r->v[i].tid)
            vm->vcpus[i].limits = r->v[i].out;
    pthread_mutex_unlock(&vm->lock);
}

int va_vm_refresh_limits(vmaccel_vm *vm)
{
    refresh r = {0};
    int rc = copy_in(vm, &r);
    if (rc) {
        free(r.v);
        return rc;
    }
    va_managed mg = {0};
    int layer_rc = r.plat->managed_placement ? r.plat->managed_placement(r.plat, &mg) : 0;
    if (layer_rc)
        memset(&mg, 0, sizeof mg); /* judge from the OS alone, report the failure */
    va_cpumask own;
    bool have_own = r.plat->allowed_cpus && r.plat->allowed_cpus(r.plat, &own) == 0;
    judge_all(&r, &mg, have_own ? &own : NULL);
    store(vm, &r);
    free(mg.vcpus);
    free(r.v);
    if (!layer_rc)
        va_clear_error();
    return layer_rc;
}

int va_vm_memory_pinned(vmaccel_vm *vm, char *why, size_t len)
{
    int pinned = 0;
    pthread_mutex_lock(&vm->lock);
    for (size_t i = 0; !pinned && i < vm->nvcpus; i++) {
        const va_limit *l = &vm->vcpus[i].limits.mem_pin;
        if (l->set) {
            pinned = 1;
            if (why)
                snprintf(why, len, "%s", l->source);
        }
    }
    pthread_mutex_unlock(&vm->lock);
    return pinned;
}

bool va_vm_all_vcpus_pinned(vmaccel_vm *vm)
{
    bool all = true;
    pthread_mutex_lock(&vm->lock);
    for (size_t i = 0; i < vm->nvcpus; i++)
        all &= vm->vcpus[i].gone || vm->vcpus[i].limits.cpu_pin.set;
    pthread_mutex_unlock(&vm->lock);
    return all && vm->nvcpus > 0;
}

unsigned va_vm_kept(vmaccel_vm *vm)
{
    unsigned n = 0;
    pthread_mutex_lock(&vm->lock);
    for (size_t i = 0; i < vm->nvcpus; i++)
        n += vm->vcpus[i].kept;
    pthread_mutex_unlock(&vm->lock);
    return n;
}

/* ---- the public view ---- */

VMACCEL_API const char *vmaccel_origin_name(vmaccel_origin origin)
{
    static const char *const names[] = {"none", "cgroup", "affinity", "libvirt", "qemu"};
    return (unsigned)origin < sizeof names / sizeof *names ? names[origin] : "unknown";
}

static void copy_limit(const va_limit *l, char *list, size_t list_len, vmaccel_origin *origin,
                       char *source, size_t source_len)
{
    va_cpumask_format(&l->mask, list, list_len);
    *origin = (vmaccel_origin)l->origin;
    snprintf(source, source_len, "%s", l->source);
}

VMACCEL_API int vmaccel_vm_vcpu_limits(const vmaccel_vm *vm, unsigned index,
                                       vmaccel_vcpu_limits *out)
{
    int rc = va_vm_check(vm);
    if (!rc && !out)
        rc = va_fail(VMACCEL_EINVAL, "vmaccel_vm_vcpu_limits: out is NULL");
    if (!rc && out->version != VMACCEL_VCPU_LIMITS_VERSION)
        rc = va_fail(VMACCEL_EINVAL, "vmaccel_vcpu_limits version %u, expected %u",
                     out->version, VMACCEL_VCPU_LIMITS_VERSION);
    if (!rc && index >= vm->nvcpus)
        rc = va_fail(VMACCEL_ERANGE, "vCPU %u: the VM has %zu vCPUs", index, vm->nvcpus);
    if (rc)
        return rc;
    vmaccel_vm *v = (vmaccel_vm *)vm;
    vmaccel_vcpu_limits init = VMACCEL_VCPU_LIMITS_INIT;
    pthread_mutex_lock(&v->lock);
    const va_vcpu *c = &vm->vcpus[index];
    const va_vcpu_limits *l = &c->limits;
    *out = init;
    out->known = l->known;
    copy_limit(&l->cpus, out->cpus, sizeof out->cpus, &out->cpus_origin, out->cpus_source,
               sizeof out->cpus_source);
    copy_limit(&l->mems, out->mems, sizeof out->mems, &out->mems_origin, out->mems_source,
               sizeof out->mems_source);
    out->operator_pinned = l->cpu_pin.set;
    copy_limit(&l->cpu_pin, out->pinned_cpus, sizeof out->pinned_cpus, &out->pin_origin,
               out->pin_source, sizeof out->pin_source);
    out->memory_pinned = l->mem_pin.set;
    copy_limit(&l->mem_pin, out->pinned_mems, sizeof out->pinned_mems, &out->mem_pin_origin,
               out->mem_pin_source, sizeof out->mem_pin_source);
    out->kept = c->kept;
    out->overrode = c->overrode;
    out->guest_node = c->guest_node;
    pthread_mutex_unlock(&v->lock);
    va_clear_error();
    return 0;
}
