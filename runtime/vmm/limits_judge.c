/* Judging one vCPU's limits and its operator's placement from the facts
 * (rules: va_vcpu_limits in vm_internal.h). Pure: no OS calls. */
#include "vmm/limits.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* a & b is non-empty and smaller than b: a narrows b. */
static bool narrows(const va_cpumask *a, const va_cpumask *b, va_cpumask *common)
{
    va_cpumask_and(common, a, b);
    return !va_cpumask_empty(common) && !va_cpumask_equal(common, b);
}

static void set_limit(va_limit *l, bool set, const va_cpumask *mask, va_origin origin,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void set_limit(va_limit *l, bool set, const va_cpumask *mask, va_origin origin,
                      const char *fmt, ...)
{
    l->set = set;
    l->mask = *mask;
    l->origin = origin;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->source, sizeof l->source, fmt, ap);
    va_end(ap);
}

/* Whether the vCPU's own cgroup only mirrors the layer's pin of it
 * (libvirt writes each <vcpupin> into the vCPU's cgroup). */
static bool mirrors_layer_pin(const va_limits_input *in)
{
    return in->managed && in->managed->pinned && in->cg->found &&
           va_cpumask_equal(&in->cg->cpus, &in->managed->cpus);
}

static void judge_cpus(const va_limits_input *in, va_vcpu_limits *out)
{
    const va_thread_cpuset *cg = in->cg;
    if (mirrors_layer_pin(in) && cg->have_parent) {
        char parent[sizeof cg->path];
        snprintf(parent, sizeof parent, "%s", cg->path);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent)
            *slash = '\0';
        set_limit(&out->cpus, true, &cg->parent_cpus, VA_ORIGIN_CGROUP,
                  "cgroup v%d cpuset %s (the vCPU's own cgroup follows its pin)",
                  cg->version, parent);
    } else if (cg->found) {
        set_limit(&out->cpus, true, &cg->cpus, VA_ORIGIN_CGROUP, "cgroup v%d cpuset %s",
                  cg->version, cg->path);
    } else {
        set_limit(&out->cpus, true, &cg->cpus, VA_ORIGIN_NONE,
                  "no cpuset: every online CPU");
    }
    if (cg->found && !va_cpumask_empty(&cg->mems))
        set_limit(&out->mems, true, &cg->mems, VA_ORIGIN_CGROUP, "cgroup v%d cpuset %s",
                  cg->version, cg->path);
}

/* A cgroup narrower than its parent, unless the layer's pin explains it or
 * it is the very cpuset vm-accel runs in (a confined host, not a VM's
 * placement). */
static bool cgroup_pin(const va_limits_input *in, va_vcpu_limits *out)
{
    const va_thread_cpuset *cg = in->cg;
    va_cpumask common;
    if (!cg->found || !cg->have_parent || mirrors_layer_pin(in) ||
        !narrows(&cg->cpus, &cg->parent_cpus, &common) ||
        (in->own_cpus && va_cpumask_equal(&cg->cpus, in->own_cpus)))
        return false;
    char mine[128], parent[128];
    va_cpumask_format(&cg->cpus, mine, sizeof mine);
    va_cpumask_format(&cg->parent_cpus, parent, sizeof parent);
    set_limit(&out->cpu_pin, true, &cg->cpus, VA_ORIGIN_CGROUP,
              "cgroup v%d cpuset %s allows %s, narrower than its parent's %s", cg->version,
              cg->path, mine, parent);
    return true;
}

/* An affinity narrower than the thread's CPUs that vm-accel did not set. */
static bool affinity_pin(const va_limits_input *in, va_vcpu_limits *out)
{
    char now[128], want[128], cgl[128];
    va_cpumask common;
    if (in->applied && !va_cpumask_equal(in->affinity, in->applied)) {
        va_cpumask_format(in->affinity, now, sizeof now);
        va_cpumask_format(in->applied, want, sizeof want);
        set_limit(&out->cpu_pin, true, in->affinity, VA_ORIGIN_AFFINITY,
                  "affinity %s, set by someone else after vm-accel pinned it to %s", now,
                  want);
        return true;
    }
    if (in->managed && in->managed->pinned &&
        va_cpumask_equal(in->affinity, &in->managed->cpus))
        return false; /* the layer's own pin (vm-accel's, or judged above) */
    const va_cpumask *judged = in->original ? in->original : in->applied ? NULL : in->affinity;
    if (!judged || !narrows(judged, &in->cg->cpus, &common))
        return false;
    va_cpumask_format(&common, now, sizeof now);
    va_cpumask_format(&in->cg->cpus, cgl, sizeof cgl);
    set_limit(&out->cpu_pin, true, &common, VA_ORIGIN_AFFINITY,
              "affinity %s (taskset or similar; its cgroup allows %s)", now, cgl);
    return true;
}

static void judge_mem_pin(const va_limits_input *in, va_vcpu_limits *out)
{
    const va_thread_cpuset *cg = in->cg;
    va_cpumask common;
    if (in->vm_mem_pin && in->vm_mem_pin->set) {
        out->mem_pin = *in->vm_mem_pin;
        return;
    }
    if (!cg->found || !cg->have_parent || va_cpumask_empty(&cg->parent_mems) ||
        !narrows(&cg->mems, &cg->parent_mems, &common))
        return;
    char mine[128], parent[128];
    va_cpumask_format(&cg->mems, mine, sizeof mine);
    va_cpumask_format(&cg->parent_mems, parent, sizeof parent);
    set_limit(&out->mem_pin, true, &cg->mems, VA_ORIGIN_CGROUP,
              "cgroup v%d cpuset %s allows memory nodes %s, narrower than its parent's %s",
              cg->version, cg->path, mine, parent);
}

void va_limits_judge(const va_limits_input *in, va_vcpu_limits *out)
{
    memset(out, 0, sizeof *out);
    out->known = true;
    judge_cpus(in, out);
    if (in->managed && in->managed->pinned && !in->managed->by_vmaccel) {
        out->cpu_pin.set = true;
        out->cpu_pin.mask = in->managed->cpus;
        out->cpu_pin.origin = VA_ORIGIN_LIBVIRT;
        snprintf(out->cpu_pin.source, sizeof out->cpu_pin.source, "%s",
                 in->managed->source);
    } else if (!cgroup_pin(in, out)) {
        affinity_pin(in, out);
    }
    judge_mem_pin(in, out);
}
