/* A VM's guest NUMA nodes (vm_internal.h): read from a QEMU command line
 * at attach, or set through the API. */
#include "vmm/qemu_numa.h"
#include "vmm/vm_internal.h"

#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 4096u

static void free_cells(va_cell *cells, size_t n)
{
    for (size_t i = 0; cells && i < n; i++) {
        free(cells[i].vcpus);
        free(cells[i].ranges);
    }
    free(cells);
}

void va_vm_free_cells(vmaccel_vm *vm)
{
    free_cells(vm->cells, vm->ncells);
    vm->cells = NULL;
    vm->ncells = 0;
    vm->cells_source[0] = '\0';
}

/* The cells' ranges become the VM's guest RAM regions. */
static void regions_from_cells(vmaccel_vm *vm)
{
    vm->nregions = 0;
    for (size_t c = 0; c < vm->ncells; c++)
        for (size_t r = 0; r < vm->cells[c].nranges && vm->nregions < VA_VM_MAX_REGIONS; r++) {
            va_region *g = &vm->regions[vm->nregions++];
            g->start = vm->cells[c].ranges[r][0];
            g->length = vm->cells[c].ranges[r][1];
            snprintf(g->name, sizeof g->name, "guest node %zu", c);
        }
}

static void install(vmaccel_vm *vm, va_cell *cells, size_t n, const char *source)
{
    va_vm_free_cells(vm);
    vm->cells = cells;
    vm->ncells = n;
    snprintf(vm->cells_source, sizeof vm->cells_source, "%s", n ? source : "");
    if (n)
        regions_from_cells(vm);
}

/* Cells from a parsed and matched QEMU layout; every vCPU in one. */
static int cells_of_qemu(const vmaccel_vm *vm, const va_qemu_numa *q, va_cell **out)
{
    va_cell *cells = calloc(q->nnodes, sizeof *cells);
    int rc = cells ? 0 : va_fail(VMACCEL_ENOMEM, "out of memory for guest nodes");
    for (unsigned i = 0; !rc && i < q->nnodes; i++) {
        const va_qemu_node *n = &q->nodes[i];
        const va_qemu_backend *b = &q->backends[n->backend];
        cells[i].vcpus = calloc(vm->nvcpus + 1, sizeof *cells[i].vcpus);
        cells[i].ranges = calloc(1, sizeof *cells[i].ranges);
        if (!cells[i].vcpus || !cells[i].ranges) {
            rc = va_fail(VMACCEL_ENOMEM, "out of memory for guest nodes");
            break;
        }
        cells[i].ranges[0][0] = b->start;
        cells[i].ranges[0][1] = b->size;
        cells[i].nranges = 1;
        for (size_t v = 0; v < vm->nvcpus; v++)
            if (va_qemu_node_has_cpu(n, vm->vcpus[v].index))
                cells[i].vcpus[cells[i].nvcpus++] = vm->vcpus[v].index;
    }
    for (size_t v = 0; !rc && v < vm->nvcpus; v++) {
        unsigned in = 0;
        for (unsigned i = 0; i < q->nnodes; i++)
            in += va_qemu_node_has_cpu(&q->nodes[i], vm->vcpus[v].index);
        if (in != 1)
            rc = va_fail(VMACCEL_EPARSE, "vCPU %u is in %u QEMU guest nodes, not one",
                         vm->vcpus[v].index, in);
    }
    if (rc)
        free_cells(cells, q->nnodes);
    else
        *out = cells;
    return rc;
}

int va_vm_find_cells(vmaccel_vm *vm)
{
    char *cmdline = NULL, *maps = NULL;
    size_t len;
    va_qemu_numa *q = malloc(sizeof *q);
    int rc = q ? vm->plat->read_proc(vm->plat, vm->pid, 0, "cmdline", &cmdline, &len)
               : va_fail(VMACCEL_ENOMEM, "out of memory reading guest nodes");
    if (!rc)
        rc = va_qemu_parse_numa(cmdline, len, q);
    if (!rc && q->nnodes)
        rc = vm->plat->read_proc(vm->plat, vm->pid, 0, "maps", &maps, &len);
    if (!rc && q->nnodes)
        rc = va_qemu_match_backends(q, maps);
    va_cell *cells = NULL;
    if (!rc && q->nnodes && !(rc = cells_of_qemu(vm, q, &cells)))
        install(vm, cells, q->nnodes, "QEMU -numa");
    free(q);
    free(cmdline);
    free(maps);
    return rc;
}

/* ---- the API ---- */

static int check_cell(const vmaccel_vm *vm, const vmaccel_numa_cell *c, size_t i,
                      unsigned char *seen, size_t *ranges)
{
    if (c->version != VMACCEL_NUMA_CELL_VERSION)
        return va_fail(VMACCEL_EINVAL, "cell %zu: version %u, expected %u (initialise "
                       "with VMACCEL_NUMA_CELL_INIT)", i, c->version, VMACCEL_NUMA_CELL_VERSION);
    if (!c->nvcpus || !c->vcpus || !c->nmemory || !c->memory)
        return va_fail(VMACCEL_EINVAL, "cell %zu: needs vCPUs and memory", i);
    for (size_t k = 0; k < c->nvcpus; k++) {
        unsigned v = c->vcpus[k];
        if (v >= vm->nvcpus || seen[v]++)
            return va_fail(VMACCEL_EINVAL, "cell %zu: vCPU %u is %s", i, v,
                           v >= vm->nvcpus ? "not a vCPU of the VM" : "in two cells");
    }
    for (size_t k = 0; k < c->nmemory; k++) {
        const vmaccel_mem_range *r = &c->memory[k];
        if (!r->length || r->start % PAGE || r->length % PAGE || r->start + r->length < r->start)
            return va_fail(VMACCEL_EINVAL, "cell %zu: memory range %zu is empty, unaligned "
                           "or wraps", i, k);
    }
    *ranges += c->nmemory;
    return 0;
}

static bool overlap(const vmaccel_numa_cell *cells, size_t n)
{
    for (size_t a = 0; a < n; a++)
        for (size_t i = 0; i < cells[a].nmemory; i++)
            for (size_t b = a; b < n; b++)
                for (size_t j = b == a ? i + 1 : 0; j < cells[b].nmemory; j++) {
                    const vmaccel_mem_range *x = &cells[a].memory[i], *y = &cells[b].memory[j];
                    if (x->start < y->start + y->length && y->start < x->start + x->length)
                        return true;
                }
    return false;
}

static int check_cells(const vmaccel_vm *vm, const vmaccel_numa_cell *cells, size_t n)
{
    if (n > VA_VM_MAX_CELLS || (n && !cells))
        return va_fail(VMACCEL_EINVAL, "%zu cells (at most %d)", n, VA_VM_MAX_CELLS);
    unsigned char *seen = calloc(vm->nvcpus + 1, 1);
    if (!seen)
        return va_fail(VMACCEL_ENOMEM, "out of memory checking cells");
    size_t ranges = 0;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        rc = check_cell(vm, &cells[i], i, seen, &ranges);
    for (size_t v = 0; !rc && n && v < vm->nvcpus; v++)
        if (!seen[v])
            rc = va_fail(VMACCEL_EINVAL, "vCPU %zu is in no cell", v);
    free(seen);
    if (!rc && ranges > VA_VM_MAX_REGIONS)
        rc = va_fail(VMACCEL_EINVAL, "%zu memory ranges (at most %d)", ranges,
                     VA_VM_MAX_REGIONS);
    if (!rc && overlap(cells, n))
        rc = va_fail(VMACCEL_EINVAL, "two cells' memory ranges overlap");
    return rc;
}

static va_cell *copy_cells(const vmaccel_numa_cell *in, size_t n)
{
    va_cell *out = calloc(n + 1, sizeof *out);
    for (size_t i = 0; out && i < n; i++) {
        out[i].vcpus = calloc(in[i].nvcpus, sizeof *out[i].vcpus);
        out[i].ranges = calloc(in[i].nmemory, sizeof *out[i].ranges);
        if (!out[i].vcpus || !out[i].ranges) {
            free_cells(out, n);
            return NULL;
        }
        memcpy(out[i].vcpus, in[i].vcpus, in[i].nvcpus * sizeof *in[i].vcpus);
        out[i].nvcpus = in[i].nvcpus;
        for (size_t k = 0; k < in[i].nmemory; k++) {
            out[i].ranges[k][0] = in[i].memory[k].start;
            out[i].ranges[k][1] = in[i].memory[k].length;
        }
        out[i].nranges = in[i].nmemory;
    }
    return out;
}

VMACCEL_API int vmaccel_vm_set_numa_cells(vmaccel_vm *vm, const vmaccel_numa_cell *cells,
                                          size_t ncells)
{
    int rc = va_vm_check(vm);
    if (rc)
        return rc;
    pthread_mutex_lock(&vm->lock);
    rc = check_cells(vm, cells, ncells);
    va_cell *copy = !rc && ncells ? copy_cells(cells, ncells) : NULL;
    if (!rc && ncells && !copy)
        rc = va_fail(VMACCEL_ENOMEM, "out of memory for cells");
    if (!rc)
        install(vm, copy, ncells, "API");
    pthread_mutex_unlock(&vm->lock);
    return rc;
}

VMACCEL_API int vmaccel_vm_numa_cells(const vmaccel_vm *vm, unsigned *count, char *source,
                                      size_t source_len)
{
    int rc = va_vm_check(vm);
    if (!rc && !count)
        rc = va_fail(VMACCEL_EINVAL, "vmaccel_vm_numa_cells: count is NULL");
    if (rc)
        return rc;
    pthread_mutex_lock((pthread_mutex_t *)&vm->lock);
    *count = (unsigned)vm->ncells;
    if (source && source_len)
        snprintf(source, source_len, "%s", vm->cells_source);
    pthread_mutex_unlock((pthread_mutex_t *)&vm->lock);
    return 0;
}
