/* The VM and placement sections of the diagnostic report. */
#include "vmm/vm_report.h"

#include "affinity/plan_api.h"
#include "core/error.h"
#include "vmm/procfs.h"
#include "vmm/vm_internal.h"

static uint32_t *cpus_array(const va_cpumask *m, size_t *n, va_arena *a)
{
    uint32_t *out = va_arena_array(a, va_cpumask_count(m), sizeof *out);
    *n = 0;
    for (unsigned c = 0; out && c < VA_MAX_CPUS; c++)
        if (va_cpumask_isset(m, c))
            out[(*n)++] = c;
    return out;
}

static const char *origin_name(va_origin o)
{
    return vmaccel_origin_name((vmaccel_origin)o);
}

static Vmaccel__V1__VcpuLimits *limits_msg(const va_vcpu *v, va_arena *a)
{
    const va_vcpu_limits *l = &v->limits;
    Vmaccel__V1__VcpuLimits *m = l->known ? va_arena_alloc(a, sizeof *m) : NULL;
    if (!m)
        return NULL;
    vmaccel__v1__vcpu_limits__init(m);
    m->cpus = cpus_array(&l->cpus.mask, &m->n_cpus, a);
    m->cpus_origin = va_arena_strdup(a, origin_name(l->cpus.origin));
    m->cpus_source = va_arena_strdup(a, l->cpus.source);
    m->mems = cpus_array(&l->mems.mask, &m->n_mems, a);
    m->mems_source = va_arena_strdup(a, l->mems.source);
    m->operator_pinned = l->cpu_pin.set;
    if (l->cpu_pin.set) {
        m->pinned_cpus = cpus_array(&l->cpu_pin.mask, &m->n_pinned_cpus, a);
        m->pin_origin = va_arena_strdup(a, origin_name(l->cpu_pin.origin));
        m->pin_source = va_arena_strdup(a, l->cpu_pin.source);
    }
    m->memory_pinned = l->mem_pin.set;
    if (l->mem_pin.set) {
        m->pinned_mems = cpus_array(&l->mem_pin.mask, &m->n_pinned_mems, a);
        m->mem_pin_source = va_arena_strdup(a, l->mem_pin.source);
    }
    m->kept = v->kept;
    m->overrode = v->overrode;
    return m;
}

static Vmaccel__V1__Vcpu *vcpu_msg(const vmaccel_vm *vm, const va_vcpu *v, va_arena *a)
{
    Vmaccel__V1__Vcpu *m = va_arena_alloc(a, sizeof *m);
    va_cpumask cpus;
    if (!m)
        return NULL;
    vmaccel__v1__vcpu__init(m);
    m->index = v->index;
    m->tid = v->tid;
    m->cpu = -1;
    m->guest_node = v->guest_node;
    m->limits = limits_msg(v, a);
    if (vm->gone || v->gone)
        return m;
    va_thread_last_cpu(vm->plat, vm->pid, v->tid, &m->cpu);
    if (vm->plat->get_affinity(vm->plat, v->tid, &cpus))
        return m;
    m->allowed_cpus = cpus_array(&cpus, &m->n_allowed_cpus, a);
    return m;
}

static Vmaccel__V1__MemoryRegion *region_msg(uint64_t start, uint64_t length,
                                              const char *name, va_arena *a)
{
    Vmaccel__V1__MemoryRegion *r = va_arena_alloc(a, sizeof *r);
    if (!r)
        return NULL;
    vmaccel__v1__memory_region__init(r);
    r->start = start;
    r->length = length;
    r->name = va_arena_strdup(a, name);
    return r;
}

static Vmaccel__V1__GuestNode *guest_node_msg(const va_cell *c, va_arena *a)
{
    Vmaccel__V1__GuestNode *g = va_arena_alloc(a, sizeof *g);
    if (!g)
        return NULL;
    vmaccel__v1__guest_node__init(g);
    g->vcpus = va_arena_array(a, c->nvcpus, sizeof *g->vcpus);
    for (size_t i = 0; g->vcpus && i < c->nvcpus; i++)
        g->vcpus[g->n_vcpus++] = c->vcpus[i];
    g->memory = va_arena_array(a, c->nranges, sizeof *g->memory);
    for (size_t i = 0; g->memory && i < c->nranges; i++)
        g->memory[g->n_memory++] = region_msg(c->ranges[i][0], c->ranges[i][1], "", a);
    return g;
}

static Vmaccel__V1__Vm *vm_msg(const vmaccel_vm *vm, va_arena *a)
{
    Vmaccel__V1__Vm *m = va_arena_alloc(a, sizeof *m);
    if (!m)
        return NULL;
    vmaccel__v1__vm__init(m);
    m->id = vm->id;
    m->name = va_arena_strdup(a, vm->name);
    m->pid = vm->pid;
    m->gone = vm->gone;
    static const char *const discovery[] = {"thread_names", "explicit", "qmp",
                                            "libvirt_monitor"};
    m->discovery = va_arena_strdup(a, discovery[vm->discovery]);
    m->control = va_arena_strdup(a, vm->control == VMACCEL_CONTROL_LIBVIRT ? "libvirt" : "os");
    m->libvirt_domain = va_arena_strdup(a, vm->domain);
    m->control_note = va_arena_strdup(a, vm->control_note);
    m->vcpus = va_arena_array(a, vm->nvcpus, sizeof *m->vcpus);
    for (size_t i = 0; m->vcpus && i < vm->nvcpus; i++)
        m->vcpus[m->n_vcpus++] = vcpu_msg(vm, &vm->vcpus[i], a);
    m->memory = va_arena_array(a, vm->nregions, sizeof *m->memory);
    for (size_t i = 0; m->memory && i < vm->nregions; i++)
        m->memory[m->n_memory++] = region_msg(vm->regions[i].start, vm->regions[i].length,
                                              vm->regions[i].name, a);
    m->guest_nodes = va_arena_array(a, vm->ncells, sizeof *m->guest_nodes);
    for (size_t i = 0; m->guest_nodes && i < vm->ncells; i++)
        m->guest_nodes[m->n_guest_nodes++] = guest_node_msg(&vm->cells[i], a);
    m->guest_nodes_source = va_arena_strdup(a, vm->cells_source);
    return m;
}

/* The VM's last plan (pin or dry run), or NULL if it was never planned. */
static Vmaccel__V1__Placement *placement_msg(const vmaccel_vm *vm, va_arena *a)
{
    size_t n = 0;
    while (n < vm->nvcpus && vm->vcpus[n].planned_cpu >= 0)
        n++;
    if (!n)
        return NULL;
    unsigned *cpus = va_arena_array(a, n, sizeof *cpus);
    unsigned *nodes = va_arena_array(a, n, sizeof *nodes);
    for (size_t i = 0; cpus && nodes && i < n; i++) {
        cpus[i] = (unsigned)vm->vcpus[i].planned_cpu;
        nodes[i] = vm->vcpus[i].planned_node;
    }
    return cpus && nodes ? va_placement_msg(vm->id, cpus, nodes, n, vm->plan_score,
                                            vm->plan_strategy, a)
                         : NULL;
}

int va_vm_report_fill(vmaccel_manager *m, Vmaccel__V1__DiagnosticReport *r, va_arena *a)
{
    size_t count = 0;
    for (vmaccel_vm *vm = m->vms; vm; vm = vm->next)
        count++;
    r->vms = va_arena_array(a, count, sizeof *r->vms);
    r->placements = va_arena_array(a, count, sizeof *r->placements);
    for (vmaccel_vm *vm = m->vms; vm && r->vms && r->placements; vm = vm->next) {
        pthread_mutex_lock(&vm->lock);
        r->vms[r->n_vms++] = vm_msg(vm, a);
        Vmaccel__V1__Placement *pl = placement_msg(vm, a);
        if (pl)
            r->placements[r->n_placements++] = pl;
        pthread_mutex_unlock(&vm->lock);
    }
    return a->failed ? va_fail(VMACCEL_ENOMEM, "out of memory for the VM report") : 0;
}
