#include "locality.h"

#include <math.h>
#include <string.h>

static uint64_t total_pages(const va_vm_obs *o)
{
    uint64_t t = 0;
    for (unsigned n = 0; n < o->nodes; n++)
        t += o->pages_on_node[n];
    return t;
}

static bool faults_usable(const va_vm_obs *o, uint64_t min_faults)
{
    uint64_t total = 0;
    for (size_t i = 0; i < o->nvcpus; i++) {
        const va_vcpu_obs *v = &o->vcpus[i];
        if (v->runtime_ns == 0)
            continue;
        if (!v->have_faults)
            return false;
        total += v->faults_local + v->faults_remote;
    }
    return total > 0 && total >= min_faults;
}

/* Weight of a vCPU in the VM's rate: CPU time, or 1 each when no vCPU
 * reported any (a first sample has no runtime delta yet). */
static double weight(const va_vm_obs *o, size_t i, bool any_runtime)
{
    return any_runtime ? (double)o->vcpus[i].runtime_ns : 1.0;
}

static void from_faults(const va_vm_obs *o, va_locality *out, double *vcpu_rate,
                        bool any_runtime)
{
    double local = 0, all = 0;
    for (size_t i = 0; i < o->nvcpus; i++) {
        const va_vcpu_obs *v = &o->vcpus[i];
        double n = (double)(v->faults_local + v->faults_remote);
        if (vcpu_rate)
            vcpu_rate[i] = n > 0 ? (double)v->faults_local / n : NAN;
        if (n == 0 || weight(o, i, any_runtime) == 0)
            continue;
        local += (double)v->faults_local;
        all += n;
        out->weight += weight(o, i, any_runtime);
    }
    out->local_rate = all > 0 ? local / all : NAN;
}

static void from_placement(const va_vm_obs *o, va_locality *out, double *vcpu_rate,
                           bool any_runtime)
{
    double pages = (double)total_pages(o), local = 0, all = 0;
    for (size_t i = 0; i < o->nvcpus; i++) {
        const va_vcpu_obs *v = &o->vcpus[i];
        bool placed = v->node >= 0 && (unsigned)v->node < o->nodes;
        double rate = placed ? (double)o->pages_on_node[v->node] / pages : NAN;
        if (vcpu_rate)
            vcpu_rate[i] = rate;
        double w = weight(o, i, any_runtime);
        if (!placed || w == 0)
            continue;
        local += w * rate;
        all += w;
    }
    out->local_rate = all > 0 ? local / all : NAN;
    out->weight = all;
}

bool va_locality_compute(const va_vm_obs *o, uint64_t min_faults, va_locality *out,
                         double *vcpu_rate)
{
    *out = (va_locality){VA_SOURCE_NONE, NAN, 0, 0.0, false};
    for (size_t i = 0; vcpu_rate && i < o->nvcpus; i++)
        vcpu_rate[i] = NAN;
    if (o->nodes == 0 || o->nodes > VA_MAX_NODES || total_pages(o) == 0)
        return false;
    for (unsigned n = 1; n < o->nodes; n++)
        if (o->pages_on_node[n] > o->pages_on_node[out->home_node])
            out->home_node = n;
    bool any_runtime = false;
    for (size_t i = 0; i < o->nvcpus; i++)
        any_runtime |= o->vcpus[i].runtime_ns > 0;
    out->timed = any_runtime;
    if (faults_usable(o, min_faults)) {
        out->source = VA_SOURCE_NUMA_FAULTS;
        from_faults(o, out, vcpu_rate, any_runtime);
    } else {
        out->source = VA_SOURCE_PAGE_PLACEMENT;
        from_placement(o, out, vcpu_rate, any_runtime);
    }
    if (isnan(out->local_rate)) {
        out->source = VA_SOURCE_NONE;
        return false;
    }
    return true;
}
