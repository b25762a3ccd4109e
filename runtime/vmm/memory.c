/* Guest RAM of a VMM: from /proc/PID/maps, and where it lives (numa_maps). */
#include "vmm/procfs.h"
#include "vmm/vm_internal.h"

#include "core/error.h"
#include "topology/topo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GUEST_RAM_MIN (64ull << 20)

/* Private or shared writable data, not code: TCG's translation buffer is
 * large and anonymous but executable, thread stacks and heaps are small. */
static bool ram_like(const va_map *m)
{
    return m->perms[0] == 'r' && m->perms[1] == 'w' && m->perms[2] != 'x' &&
           (m->path[0] == '\0' || va_map_is_backend(m));
}

static void add(vmaccel_vm *vm, const va_map *m)
{
    if (vm->nregions == VA_VM_MAX_REGIONS)
        return;
    va_region *r = &vm->regions[vm->nregions++];
    r->start = m->start;
    r->length = m->end - m->start;
    snprintf(r->name, sizeof r->name, "%s", m->path);
}

/* Backends when there are any; else anonymous mappings above 64 MiB; else
 * the largest anonymous one. */
static void pick(vmaccel_vm *vm, const char *text)
{
    va_map m, largest = {0};
    bool backends = false, big = false;
    for (int pass = 0; pass < 2; pass++)
        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
            if (!va_parse_maps_line(l, &m) || !ram_like(&m))
                continue;
            bool be = va_map_is_backend(&m);
            if (pass == 0) {
                backends |= be;
                big |= m.end - m.start > GUEST_RAM_MIN;
                if (!be && m.end - m.start > largest.end - largest.start)
                    largest = m;
            } else if (backends ? be : (big && m.end - m.start > GUEST_RAM_MIN)) {
                add(vm, &m);
            }
        }
    if (!backends && !big && largest.end > largest.start)
        add(vm, &largest);
}

/* "memdev m0", or "memdev m0|m1" when backends share the size (the
 * mapping is one of them, which one its size cannot tell). */
static void label(const vmaccel_vm *vm, uint64_t size, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "memdev ");
    const char *sep = "";
    for (size_t d = 0; d < vm->nmemdevs && used < len; d++)
        if (vm->memdevs[d].size == size) {
            used += (size_t)snprintf(buf + used, len - used, "%s%s", sep,
                                     vm->memdevs[d].id[0] ? vm->memdevs[d].id : "?");
            sep = "|";
        }
}

/* QMP named the RAM backends and their sizes: each is one mapping of
 * exactly that size (QEMU maps a backend whole). true when every backend
 * found its mapping; else the regions are left empty for the rule above. */
static bool pick_memdevs(vmaccel_vm *vm, const char *text)
{
    bool used[VA_VM_MAX_MEMDEVS] = {false};
    size_t found = 0;
    va_map m;
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (!va_parse_maps_line(l, &m) || !ram_like(&m))
            continue;
        for (size_t d = 0; d < vm->nmemdevs; d++)
            if (!used[d] && m.end - m.start == vm->memdevs[d].size) {
                used[d] = true;
                found++;
                label(vm, vm->memdevs[d].size, m.path, sizeof m.path);
                add(vm, &m);
                break;
            }
    }
    if (found == vm->nmemdevs)
        return true;
    vm->nregions = 0;
    return false;
}

int va_vm_find_memory(vmaccel_vm *vm)
{
    char *text = NULL;
    size_t len;
    int rc = vm->plat->read_proc(vm->plat, vm->pid, 0, "maps", &text, &len);
    if (rc)
        return rc;
    if (!vm->nmemdevs || !pick_memdevs(vm, text))
        pick(vm, text);
    free(text);
    return 0;
}

/* Logical index of the node with kernel number os, or NO_INDEX. */
static unsigned logical_node(const vmaccel_topology *t, unsigned os)
{
    for (unsigned n = 0; n < va_topology_nodes(t); n++)
        if (t->objects[VMACCEL_OBJ_NUMA_NODE][n].os_index == os)
            return n;
    return VMACCEL_NO_INDEX;
}

static bool in_regions(const vmaccel_vm *vm, uint64_t addr)
{
    for (size_t i = 0; i < vm->nregions; i++)
        if (addr >= vm->regions[i].start && addr - vm->regions[i].start < vm->regions[i].length)
            return true;
    return false;
}

/* One numa_maps line: "ADDR policy ... N0=12 N1=3 kernelpagesize_kB=4". */
static void add_line(const vmaccel_topology *t, const char *line, uint64_t *bytes,
                     unsigned nnodes, bool *any)
{
    unsigned long long page_kb = 4;
    const char *k = strstr(line, "kernelpagesize_kB=");
    if (k)
        page_kb = strtoull(k + 18, NULL, 10);
    for (const char *s = strstr(line, " N"); s; s = strstr(s + 1, " N")) {
        unsigned os;
        unsigned long long pages;
        if (sscanf(s, " N%u=%llu", &os, &pages) != 2)
            continue;
        unsigned n = logical_node(t, os);
        if (n < nnodes) {
            bytes[n] += pages * page_kb * 1024;
            *any |= pages > 0;
        }
    }
}

bool va_vm_memory_per_node(vmaccel_vm *vm, uint64_t *bytes, unsigned nnodes)
{
    memset(bytes, 0, nnodes * sizeof *bytes);
    if (!vm->nregions)
        return false;
    char *text = NULL;
    size_t len;
    if (vm->plat->read_proc(vm->plat, vm->pid, 0, "numa_maps", &text, &len))
        return false;
    bool any = false;
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        unsigned long long addr;
        if (sscanf(l, "%llx", &addr) == 1 && in_regions(vm, addr))
            add_line(vm->m->topology, l, bytes, nnodes, &any);
    }
    free(text);
    return any;
}
