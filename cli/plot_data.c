/* vmaccel plot: reading the record file, the host-wide series, the worst
 * VMs. */
#include "plot.h"

#include "cli.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Doubles *cap (from `first`) when n elements fill it. */
static int grow(void **array, size_t *cap, size_t n, size_t size, size_t first)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? 2 * *cap : first;
    void *p = realloc(*array, c * size);
    if (!p)
        return -1;
    *array = p;
    *cap = c;
    return 0;
}

int plot_series_add(plot_series *s, double t, double r)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        double *nt = realloc(s->t, cap * sizeof *nt);
        if (!nt)
            return -1;
        s->t = nt;
        double *nr = realloc(s->r, cap * sizeof *nr);
        if (!nr)
            return -1;
        s->r = nr;
        s->cap = cap;
    }
    s->t[s->n] = t;
    s->r[s->n++] = r;
    return 0;
}

void plot_series_free(plot_series *s)
{
    free(s->t);
    free(s->r);
    *s = (plot_series){0};
}

/* The VM with this id, added (in id order) on its first sample. */
static int id_before(const void *elem, const void *id)
{
    return ((const plot_vm *)elem)->id < *(const uint64_t *)id;
}

static plot_vm *vm_of(plot_data *d, uint64_t id, int pid, bool add)
{
    size_t lo = cli_lower_bound(d->vms, d->nvms, sizeof *d->vms, &id, id_before);
    if (lo < d->nvms && d->vms[lo].id == id)
        return &d->vms[lo];
    if (!add || grow((void **)&d->vms, &d->vms_cap, d->nvms, sizeof *d->vms, 16))
        return NULL;
    memmove(d->vms + lo + 1, d->vms + lo, (d->nvms - lo) * sizeof *d->vms);
    d->nvms++;
    d->vms[lo] = (plot_vm){.id = id, .pid = pid, .gone_at = INFINITY};
    return &d->vms[lo];
}

static double num(json_object *o, const char *key, double fallback)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v))
        return fallback;
    double x = json_object_get_double(v);
    return isfinite(x) ? x : fallback;
}

static int take_event(plot_data *d, double t, uint64_t vm, const char *name)
{
    if (!name)
        return 0;
    if (!strcmp(name, "VM_GONE")) {
        plot_vm *v = vm_of(d, vm, 0, false);
        if (v && t < v->gone_at)
            v->gone_at = t;
        return 0;
    }
    int applied = !strcmp(name, "REBALANCE_APPLIED"), failed = !strcmp(name, "REBALANCE_FAILED");
    if (!applied && !failed)
        return 0;
    if (grow((void **)&d->marks, &d->marks_cap, d->nmarks, sizeof *d->marks, 16))
        return -1;
    d->marks[d->nmarks++] = (plot_mark){t, vm, failed};
    return 0;
}

static int take_line(plot_data *d, json_object *o)
{
    double t = num(o, "t", -1);
    uint64_t vm = (uint64_t)num(o, "vm", 0);
    json_object *ev;
    if (t < 0 || t > 1e9)
        return -1;
    if (json_object_object_get_ex(o, "event", &ev)) {
        if (take_event(d, t, vm, json_object_get_string(ev)))
            return -1;
    } else {
        double r = num(o, "local", -1), ram = num(o, "ram", 0);
        plot_vm *v = r >= 0 && r <= 1 ? vm_of(d, vm, (int)num(o, "pid", 0), true) : NULL;
        if (!v || plot_series_add(&v->s, t, r))
            return -1;
        if (ram > 0 && ram < 1e18)
            v->ram = ram;
    }
    if (t > d->tmax)
        d->tmax = t;
    return 0;
}

int plot_load(const char *path, plot_data *d)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return cli_error(CLI_FAILED, "plot", "cannot read %s: %s", path, strerror(errno));
    char *line = NULL;
    size_t size = 0;
    int rc = 0, lineno = 0;
    while (!rc && getline(&line, &size, f) >= 0) {
        lineno++;
        if (line[strspn(line, " \t\r\n")] == '\0')
            continue;
        json_object *o = json_tokener_parse(line);
        if (!o || !json_object_is_type(o, json_type_object) || take_line(d, o))
            rc = cli_error(CLI_FAILED, "plot", "%s:%d: not a record line of vmaccel run "
                           "--record", path, lineno);
        json_object_put(o);
    }
    free(line);
    fclose(f);
    if (!rc && d->nvms == 0)
        rc = cli_error(CLI_FAILED, "plot", "%s has no locality samples", path);
    return rc;
}

void plot_free(plot_data *d)
{
    for (size_t i = 0; i < d->nvms; i++)
        plot_series_free(&d->vms[i].s);
    free(d->vms);
    free(d->marks);
    *d = (plot_data){0};
}

bool plot_weights_are_ram(const plot_data *d)
{
    for (size_t i = 0; i < d->nvms; i++)
        if (!(d->vms[i].ram > 0))
            return false;
    return true;
}

/* ---- the host-wide series ---- */

typedef struct change { double t; size_t vm; double r; } change; /* r NaN: gone */

static int cmp_change(const void *a, const void *b)
{
    const change *x = a, *y = b;
    return (x->t > y->t) - (x->t < y->t);
}

/* Every sample and every exit, in time order. */
static change *changes(const plot_data *d, size_t *n)
{
    size_t total = 0;
    for (size_t i = 0; i < d->nvms; i++)
        total += d->vms[i].s.n + 1;
    change *c = malloc((total ? total : 1) * sizeof *c);
    if (!c)
        return NULL;
    *n = 0;
    for (size_t i = 0; i < d->nvms; i++) {
        const plot_vm *v = &d->vms[i];
        for (size_t k = 0; k < v->s.n; k++)
            if (v->s.t[k] < v->gone_at)
                c[(*n)++] = (change){v->s.t[k], i, v->s.r[k]};
        if (isfinite(v->gone_at))
            c[(*n)++] = (change){v->gone_at, i, NAN};
    }
    qsort(c, *n, sizeof *c, cmp_change);
    return c;
}

int plot_host_series(const plot_data *d, double step, plot_series *out)
{
    size_t n = 0;
    change *c = changes(d, &n);
    double *latest = malloc((d->nvms ? d->nvms : 1) * sizeof *latest);
    int rc = c && latest ? 0 : -1;
    bool by_ram = plot_weights_are_ram(d);
    for (size_t i = 0; latest && i < d->nvms; i++)
        latest[i] = NAN;
    /* Running sums of weight x rate and of weight over the present VMs. */
    double sum = 0, weight = 0;
    if (!(step > 0))
        step = 1;
    for (size_t i = 0; !rc && i < n; i++) {
        double w = by_ram ? d->vms[c[i].vm].ram : 1.0;
        if (!isnan(latest[c[i].vm])) {
            sum -= w * latest[c[i].vm];
            weight -= w;
        }
        latest[c[i].vm] = c[i].r;
        if (!isnan(c[i].r)) {
            sum += w * c[i].r;
            weight += w;
        }
        bool last_of_step = i + 1 == n || floor(c[i + 1].t / step) != floor(c[i].t / step);
        if (last_of_step && weight > 0) {
            double r = sum / weight;
            rc = plot_series_add(out, c[i].t, r < 0 ? 0 : r > 1 ? 1 : r);
        }
    }
    free(latest);
    free(c);
    return rc;
}

/* ---- the worst VMs ---- */

typedef struct ranked { double mean; uint64_t id; size_t index; } ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->mean != y->mean)
        return x->mean < y->mean ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

size_t plot_worst(const plot_data *d, size_t n, size_t *idx)
{
    ranked *r = malloc((d->nvms ? d->nvms : 1) * sizeof *r);
    if (!r)
        return 0;
    for (size_t i = 0; i < d->nvms; i++) {
        double sum = 0;
        for (size_t k = 0; k < d->vms[i].s.n; k++)
            sum += d->vms[i].s.r[k];
        r[i] = (ranked){d->vms[i].s.n ? sum / (double)d->vms[i].s.n : 1.0, d->vms[i].id, i};
    }
    qsort(r, d->nvms, sizeof *r, cmp_ranked);
    size_t k = n < d->nvms ? n : d->nvms;
    for (size_t i = 0; i < k; i++)
        idx[i] = r[i].index;
    free(r);
    return k;
}
