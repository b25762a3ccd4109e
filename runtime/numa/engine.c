/* The NUMA engine: lifecycle, options and the period over the whole host. */
#include "numa/engine.h"

#include "core/error.h"
#include "loop/events.h"
#include "loop/runtime.h"
#include "vmm/vm_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

VMACCEL_API void vmaccel_numa_options_init(vmaccel_numa_options *opts)
{
    if (opts) {
        vmaccel_numa_options init = VMACCEL_NUMA_OPTIONS_INIT;
        *opts = init;
    }
}

static void fill_defaults(vmaccel_numa_options *o)
{
    if (!o->interval_ms) o->interval_ms = 1000;
    if (o->threshold == 0.0) o->threshold = 0.8;
    if (o->hysteresis == 0.0) o->hysteresis = 0.05;
    if (!o->trigger_samples) o->trigger_samples = 3;
    if (!o->cooldown_samples) o->cooldown_samples = 5;
    if (!o->migrate_mb_per_s) o->migrate_mb_per_s = 256;
    if (o->sample_error == 0.0) o->sample_error = 0.02;
}

static int check_options(const vmaccel_numa_options *o)
{
    if (o->version < 1 || o->version > VMACCEL_NUMA_OPTIONS_VERSION)
        return va_fail(VMACCEL_EINVAL, "NUMA options version %u, expected 1..%u",
                       o->version, VMACCEL_NUMA_OPTIONS_VERSION);
    if (o->version >= 2 && o->migrate_workers > 8)
        return va_fail(VMACCEL_EINVAL, "%u migration workers: at most 8", o->migrate_workers);
    if (!(o->threshold >= 0.0 && o->threshold <= 1.0) ||
        !(o->hysteresis >= 0.0 && o->hysteresis <= 1.0))
        return va_fail(VMACCEL_EINVAL, "threshold %g / hysteresis %g: expected 0..1",
                       o->threshold, o->hysteresis);
    if (!(o->sample_error >= 0.0 && o->sample_error <= 0.5))
        return va_fail(VMACCEL_EINVAL, "sample_error %g: expected 0..0.5", o->sample_error);
    if (o->interval_ms > 3600000)
        return va_fail(VMACCEL_EINVAL, "interval %u ms: at most one hour", o->interval_ms);
    if ((unsigned)o->fix > VMACCEL_NUMA_FIX_MIGRATE_MEMORY)
        return va_fail(VMACCEL_EINVAL, "unknown fix %d", (int)o->fix);
    if (o->trigger_samples > 1000 || o->cooldown_samples > 100000)
        return va_fail(VMACCEL_EINVAL, "trigger_samples/cooldown_samples too large");
    return 0;
}

/* The caller's options as the current version: an older struct is read
 * only as far as it goes (docs/ABI.md). */
static vmaccel_numa_options upgrade(const vmaccel_numa_options *o)
{
    vmaccel_numa_options full = VMACCEL_NUMA_OPTIONS_INIT;
    memcpy(&full, o, o->version >= 4   ? sizeof full
                     : o->version == 3 ? VMACCEL_NUMA_OPTIONS_V3_SIZE
                     : o->version == 2 ? VMACCEL_NUMA_OPTIONS_V2_SIZE
                                       : VMACCEL_NUMA_OPTIONS_V1_SIZE);
    full.version = VMACCEL_NUMA_OPTIONS_VERSION;
    return full;
}

static void apply_options(va_numa_engine *e, const vmaccel_numa_options *o)
{
    e->opts = upgrade(o);
    fill_defaults(&e->opts);
    va_policy_config_defaults(&e->policy);
    e->policy.threshold = e->opts.threshold;
    e->policy.hysteresis = e->opts.hysteresis;
    e->policy.trigger_samples = e->opts.trigger_samples;
    e->policy.cooldown_samples = e->opts.cooldown_samples;
    va_decide_config_defaults(&e->decide);
    e->decide.threshold = e->opts.threshold;
    e->decide.min_gain = e->opts.hysteresis;
    e->decide.migrate_bytes_per_s = (uint64_t)e->opts.migrate_mb_per_s << 20;
    if (e->migrator)
        va_migrator_set_rate(e->migrator, e->decide.migrate_bytes_per_s);
}

/* The engine if one was created. It lives until the manager is freed, so
 * its pointer is read without the manager's lock (published with release
 * by engine_of). */
va_numa_engine *va_numa_existing(const vmaccel_manager *m)
{
    return __atomic_load_n(&m->numa, __ATOMIC_ACQUIRE);
}

/* The engine, created on first use; NULL (with a message) on failure. */
static va_numa_engine *engine_of(vmaccel_manager *m)
{
    pthread_mutex_lock(&m->lock);
    va_numa_engine *e = m->numa;
    if (!e && (e = calloc(1, sizeof *e)) != NULL) {
        pthread_mutex_init(&e->lock, NULL);
        e->m = m;
        e->last_host_rate = NAN;
        vmaccel_numa_options o = VMACCEL_NUMA_OPTIONS_INIT;
        apply_options(e, &o);
        __atomic_store_n(&m->numa, e, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&m->lock);
    if (!e)
        va_fail(VMACCEL_ENOMEM, "out of memory for the NUMA engine");
    return e;
}

static void on_timer(void *arg)
{
    va_numa_engine *e = arg;
    pthread_mutex_lock(&e->lock);
    va_numa_period_locked(e);
    pthread_mutex_unlock(&e->lock);
}

/* Arms the timer at the configured period, if not armed. Engine lock
 * held; never removes a timer (that waits for its callback, which takes
 * the engine lock): re-arming goes through disarm() first. */
static int arm(va_numa_engine *e)
{
    if (e->timer)
        return 0;
    va_loop *loop = va_manager_loop(e->m);
    if (!loop)
        return va_fail(VMACCEL_ENOMEM, "cannot create the manager's loop");
    /* The first period at once: a VM attached before balancing was turned
     * on (vmaccel run attaches first) is looked at right away. */
    int rc = va_loop_add_timer_first(loop, 1, e->opts.interval_ms, on_timer, e, &e->timer);
    if (!rc)
        e->timer_period_ms = e->opts.interval_ms;
    return rc;
}

/* Disarms; must not hold the engine lock (the timer callback takes it). */
static void disarm(va_numa_engine *e)
{
    pthread_mutex_lock(&e->lock);
    struct va_timer *t = e->timer;
    e->timer = NULL;
    pthread_mutex_unlock(&e->lock);
    va_loop *loop = t ? va_manager_loop(e->m) : NULL;
    if (loop)
        va_loop_remove_timer(loop, t);
}

int va_numa_enable(vmaccel_manager *m)
{
    va_numa_engine *e = engine_of(m);
    if (!e)
        return VMACCEL_ENOMEM;
    pthread_mutex_lock(&e->lock);
    int rc = arm(e);
    if (!rc)
        va_numa_topology_begin(e);
    pthread_mutex_unlock(&e->lock);
    return rc;
}

void va_numa_disable(vmaccel_manager *m)
{
    va_numa_engine *e = va_numa_existing(m);
    if (e)
        disarm(e);
}

static void free_vm_state(va_numa_vm *s)
{
    va_sampler_state_release(&s->sampler);
    free(s->vcpu_node);
    free(s->vcpu_cpu);
    free(s->vcpu_rate);
    free(s->vcpu_runtime);
    free(s->vcpu_client);
    free(s->client_pages);
    free(s->client_bytes);
    free(s->client_weight);
    free(s);
}

void va_numa_destroy(vmaccel_manager *m)
{
    va_numa_engine *e = m->numa;
    if (!e)
        return;
    m->numa = NULL;
    va_migrator_free(e->migrator); /* stops its worker first */
    while (e->vms) {
        va_numa_vm *next = e->vms->next;
        va_numa_free_job(e->vms->job);
        free_vm_state(e->vms);
        e->vms = next;
    }
    free(e->busy_prev);
    va_numa_scratch_free(&e->scratch);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

void va_numa_vm_detached(struct vmaccel_vm *vm)
{
    va_numa_engine *e = va_numa_existing(vm->m);
    if (!e)
        return;
    pthread_mutex_lock(&e->lock);
    for (va_numa_vm **pp = &e->vms; *pp; pp = &(*pp)->next) {
        if ((*pp)->vm != vm)
            continue;
        va_numa_vm *gone = *pp;
        *pp = gone->next;
        e->nvms--;
        if (gone->job) {
            va_migrator_cancel(e->migrator, gone->job);
            va_numa_report_interrupted(e, gone);
            va_numa_free_job(gone->job);
        }
        free_vm_state(gone);
        break;
    }
    vm->numa = NULL;
    pthread_mutex_unlock(&e->lock);
}

va_numa_vm *va_numa_state_of(va_numa_engine *e, struct vmaccel_vm *vm)
{
    if (vm->numa)
        return vm->numa;
    va_numa_vm *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->vm = vm;
    s->vm_id = vm->id;
    s->emitted_rate = NAN;
    s->local_rate = NAN;
    s->sample_every = 1;
    s->next = e->vms;
    e->vms = s;
    e->nvms++;
    vm->numa = s;
    return s;
}

void va_numa_emit(va_numa_engine *e, const va_numa_vm *s, vmaccel_event_type type,
                  const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    double rate = s && s->have_loc ? s->local_rate : 0.0;
    va_event_emitf(e->m, type, s ? s->vm_id : 0, rate, "%s", msg);
}

/* The attached VMs, in a malloc'd array (no limit on their number). */
static struct vmaccel_vm **snapshot(vmaccel_manager *m, size_t *n)
{
    pthread_mutex_lock(&m->lock);
    size_t count = 0;
    for (struct vmaccel_vm *vm = m->vms; vm; vm = vm->next)
        count++;
    struct vmaccel_vm **list = malloc((count + 1) * sizeof *list);
    *n = 0;
    for (struct vmaccel_vm *vm = m->vms; list && vm; vm = vm->next)
        list[(*n)++] = vm;
    pthread_mutex_unlock(&m->lock);
    return list;
}

/* The measured host-wide rate: every observed VM's rate, weighted by its
 * vCPUs' CPU time (their count while none is known). */
static double host_rate(va_numa_vm *const *states, size_t n)
{
    double local = 0, all = 0;
    for (size_t i = 0; i < n; i++) {
        double w = 0;
        for (unsigned c = 0; c < states[i]->nclients; c++)
            w += states[i]->client_weight[c];
        local += w * states[i]->local_rate;
        all += w;
    }
    return all > 0 ? local / all : NAN;
}

/* Steps 3-5: each VM's gate; when one opened, the host model, the
 * decision, the actions (a host where every VM is content skips them). */
static void decide_and_act(va_numa_engine *e, va_numa_vm *const *states, size_t n)
{
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        va_numa_vm *s = states[i];
        s->wants_fix = va_policy_gate(&e->policy, &s->policy, s->local_rate, s->error);
        any |= s->wants_fix && !s->job;
    }
    if (!any)
        return;
    va_host_model model;
    if (va_numa_build_model(e, states, n, &model))
        return;
    e->decide.queued_bytes = e->migrator ? va_migrator_pending_bytes(e->migrator) : 0;
    va_decision_set d;
    if (va_decide(&e->decide, &model, &d) == 0)
        va_numa_act(e, states, &model, &d);
    va_decision_release(&d);
    va_model_release(&model);
}

/* Inline migrations (the sim's clock) move now; finished ones report. */
static void run_migrations(va_numa_engine *e)
{
    if (e->migrator)
        va_migrator_run(e->migrator);
    va_numa_collect_migrations(e);
}

void va_numa_period_locked(va_numa_engine *e)
{
    size_t n;
    struct vmaccel_vm **list = snapshot(e->m, &n);
    va_numa_vm **states = list ? malloc((n + 1) * sizeof *states) : NULL;
    if (!states) {
        free(list);
        return; /* out of memory: the next period tries again */
    }
    va_numa_topology_period(e, list, n);
    run_migrations(e);
    size_t k = 0;
    /* A VM detached since the snapshot is no longer live; its detach is
     * waiting for this lock before freeing it. */
    for (size_t i = 0; i < n; i++) {
        if (!va_handle_is_live(list[i], VA_HANDLE_VM))
            continue;
        va_numa_vm *s = va_numa_state_of(e, list[i]);
        if (s && va_numa_observe(e, s) == 0 && s->have_loc)
            states[k++] = s;
    }
    e->last_host_rate = host_rate(states, k);
    decide_and_act(e, states, k);
    run_migrations(e);
    e->periods++;
    free(states);
    free(list);
}

VMACCEL_API int vmaccel_manager_configure_numa(vmaccel_manager *m,
                                               const vmaccel_numa_options *opts)
{
    int rc = va_manager_check(m);
    if (!rc && !opts)
        rc = va_fail(VMACCEL_EINVAL, "NUMA options are NULL");
    if (!rc)
        rc = check_options(opts);
    if (rc)
        return rc;
    va_numa_engine *e = engine_of(m);
    if (!e)
        return VMACCEL_ENOMEM;
    pthread_mutex_lock(&e->lock);
    bool rearm = e->timer && e->timer_period_ms != (opts->interval_ms ? opts->interval_ms : 1000);
    apply_options(e, opts);
    pthread_mutex_unlock(&e->lock);
    if (rearm) {
        disarm(e);
        pthread_mutex_lock(&e->lock);
        rc = arm(e);
        pthread_mutex_unlock(&e->lock);
    }
    return rc;
}

VMACCEL_API int vmaccel_manager_numa_tick(vmaccel_manager *m)
{
    int rc = va_manager_check(m);
    if (rc)
        return rc;
    int on = 0;
    vmaccel_manager_numa_enabled(m, &on);
    if (!on)
        return va_fail(VMACCEL_ESTATE, "NUMA balancing is off: call "
                       "vmaccel_manager_enable_numa first");
    va_numa_engine *e = engine_of(m);
    if (!e)
        return VMACCEL_ENOMEM;
    pthread_mutex_lock(&e->lock);
    va_numa_period_locked(e);
    pthread_mutex_unlock(&e->lock);
    return 0;
}

VMACCEL_API int vmaccel_vm_locality(const vmaccel_vm *vm, vmaccel_locality_info *info)
{
    int rc = va_vm_check(vm);
    if (rc)
        return rc;
    if (!info || info->version != VMACCEL_LOCALITY_INFO_VERSION)
        return va_fail(VMACCEL_EINVAL, "info is NULL or not VMACCEL_LOCALITY_INFO_INIT");
    va_numa_engine *e = va_numa_existing(vm->m);
    rc = va_fail(VMACCEL_ENOENT, "the NUMA engine has not observed VM %llu yet",
                 (unsigned long long)vm->id);
    if (!e)
        return rc;
    pthread_mutex_lock(&e->lock);
    const va_numa_vm *s = vm->numa;
    if (s && s->samples) {
        info->source = (vmaccel_locality_source)s->source;
        info->local_rate = s->have_loc ? s->local_rate : 0.0;
        info->home_node = s->home_node;
        info->samples = s->samples;
        info->vcpu_moves = s->vcpu_moves;
        info->memory_migrations = s->migrations;
        info->pages_migrated = s->pages_migrated;
        info->failures = s->failures;
        rc = 0;
    }
    pthread_mutex_unlock(&e->lock);
    return rc;
}
