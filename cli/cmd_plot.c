/* vmaccel plot: a recorded run (vmaccel run --record) as an SVG picture:
 * local access rate per VM over time, the threshold, rebalance actions. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PLOT_MAX_VMS 16
#define PLOT_MAX_POINTS 100000
#define PLOT_MAX_MARKS 1000

typedef struct plot_vm { uint64_t id; int pid; size_t n; double *t, *r; } plot_vm;
typedef struct plot_mark { double t; uint64_t vm; int failed; } plot_mark;
typedef struct plot_data {
    plot_vm vms[PLOT_MAX_VMS];
    unsigned nvms;
    plot_mark marks[PLOT_MAX_MARKS];
    unsigned nmarks;
    double tmax;
} plot_data;

static void usage(FILE *out)
{
    fprintf(out,
        "usage: vmaccel plot RECORD.jsonl [--out FILE.svg] [--threshold R] [--title T]\n\n"
        "Draws a run recorded with `vmaccel run --record`: each VM's local\n"
        "access rate over time, the threshold, and the rebalance actions\n"
        "(green: applied, red: failed). Writes SVG (default: stdout).\n");
}

static plot_vm *vm_of(plot_data *d, uint64_t id, int pid)
{
    for (unsigned i = 0; i < d->nvms; i++)
        if (d->vms[i].id == id)
            return &d->vms[i];
    if (d->nvms == PLOT_MAX_VMS)
        return NULL;
    plot_vm *v = &d->vms[d->nvms++];
    *v = (plot_vm){.id = id, .pid = pid};
    v->t = malloc(PLOT_MAX_POINTS * sizeof *v->t);
    v->r = malloc(PLOT_MAX_POINTS * sizeof *v->r);
    return v->t && v->r ? v : NULL;
}

static double num(json_object *o, const char *key, double fallback)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v))
        return fallback;
    double x = json_object_get_double(v);
    return isfinite(x) ? x : fallback;
}

static int take_line(plot_data *d, json_object *o)
{
    double t = num(o, "t", -1);
    uint64_t vm = (uint64_t)num(o, "vm", 0);
    json_object *ev;
    if (t < 0 || t > 1e9)
        return -1;
    if (json_object_object_get_ex(o, "event", &ev)) {
        const char *name = json_object_get_string(ev);
        int applied = name && !strcmp(name, "REBALANCE_APPLIED");
        int failed = name && !strcmp(name, "REBALANCE_FAILED");
        if ((applied || failed) && d->nmarks < PLOT_MAX_MARKS)
            d->marks[d->nmarks++] = (plot_mark){t, vm, failed};
    } else {
        double r = num(o, "local", -1);
        plot_vm *v = r >= 0 && r <= 1 ? vm_of(d, vm, (int)num(o, "pid", 0)) : NULL;
        if (!v)
            return -1;
        if (v->n < PLOT_MAX_POINTS) {
            v->t[v->n] = t;
            v->r[v->n++] = r;
        }
    }
    if (t > d->tmax)
        d->tmax = t;
    return 0;
}

static int load(const char *path, plot_data *d)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return cli_error(CLI_FAILED, "plot", "cannot read %s: %s", path, strerror(errno));
    char line[4096];
    int rc = 0, lineno = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        if (line[strspn(line, " \t\r\n")] == '\0')
            continue;
        json_object *o = json_tokener_parse(line);
        if (!o || !json_object_is_type(o, json_type_object) || take_line(d, o))
            rc = cli_error(CLI_FAILED, "plot", "%s:%d: not a record line of vmaccel run "
                           "--record", path, lineno);
        json_object_put(o);
    }
    fclose(f);
    if (!rc && d->nvms == 0)
        rc = cli_error(CLI_FAILED, "plot", "%s has no locality samples", path);
    return rc;
}

/* Plot area: x 70..770, y 40..340 (rate 1 at the top). */
static double px(const plot_data *d, double t) { return 70 + 700 * t / (d->tmax > 0 ? d->tmax : 1); }
static double py(double r) { return 340 - 300 * r; }

static void draw_axes(FILE *o, const plot_data *d, double threshold, const char *title)
{
    fprintf(o, "<text x='420' y='24' text-anchor='middle' font-size='16'>%s</text>\n", title);
    for (int k = 0; k <= 4; k++) {
        double y = py(k / 4.0);
        fprintf(o, "<line x1='70' y1='%.1f' x2='770' y2='%.1f' stroke='#ddd'/>"
                   "<text x='62' y='%.1f' text-anchor='end' font-size='12'>%d%%</text>\n",
                y, y, y + 4, k * 25);
    }
    for (int k = 0; k <= 5; k++) {
        double t = d->tmax * k / 5.0;
        fprintf(o, "<text x='%.1f' y='358' text-anchor='middle' font-size='12'>%.0fs</text>\n",
                px(d, t), t);
    }
    fprintf(o, "<line x1='70' y1='%.1f' x2='770' y2='%.1f' stroke='#888' stroke-dasharray='6 4'/>"
               "<text x='768' y='%.1f' text-anchor='end' font-size='11' fill='#666'>threshold %.0f%%</text>\n",
            py(threshold), py(threshold), py(threshold) - 4, threshold * 100);
    fprintf(o, "<text x='420' y='378' text-anchor='middle' font-size='12'>time</text>"
               "<text x='18' y='190' font-size='12' transform='rotate(-90 18 190)' "
               "text-anchor='middle'>local access rate</text>\n");
}

static void draw(FILE *o, const plot_data *d, double threshold, const char *title)
{
    static const char *const colour[] = {"#1f77b4", "#ff7f0e", "#9467bd", "#8c564b",
                                         "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};
    fprintf(o, "<svg xmlns='http://www.w3.org/2000/svg' width='840' height='400' "
               "font-family='sans-serif'>\n<rect width='840' height='400' fill='white'/>\n");
    draw_axes(o, d, threshold, title);
    for (unsigned m = 0; m < d->nmarks; m++)
        fprintf(o, "<line x1='%.1f' y1='40' x2='%.1f' y2='340' stroke='%s' stroke-width='2'/>"
                   "<text x='%.1f' y='52' font-size='11' fill='%s'>%s</text>\n",
                px(d, d->marks[m].t), px(d, d->marks[m].t),
                d->marks[m].failed ? "#d62728" : "#2ca02c", px(d, d->marks[m].t) + 3,
                d->marks[m].failed ? "#d62728" : "#2ca02c",
                d->marks[m].failed ? "failed" : "rebalanced");
    for (unsigned i = 0; i < d->nvms; i++) {
        const plot_vm *v = &d->vms[i];
        fprintf(o, "<polyline fill='none' stroke-width='2.5' stroke='%s' points='", colour[i % 8]);
        for (size_t k = 0; k < v->n; k++)
            fprintf(o, "%.1f,%.1f ", px(d, v->t[k]), py(v->r[k]));
        fprintf(o, "'/>\n<text x='80' y='%u' font-size='12' fill='%s'>VM %llu (pid %d)</text>\n",
                70 + 16 * i, colour[i % 8], (unsigned long long)v->id, v->pid);
    }
    fprintf(o, "</svg>\n");
}

int cmd_plot(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'}, {"threshold", required_argument, 0, 't'},
        {"title", required_argument, 0, 'T'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *out = NULL, *title = "vm-accel: local memory access per VM";
    double threshold = 0.8;
    int c;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "o:t:T:h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'o': out = optarg; break;
        case 't':
            threshold = strtod(optarg, &end);
            if (*end || !(threshold >= 0 && threshold <= 1))
                return cli_error(CLI_USAGE, "plot", "--threshold wants 0..1");
            break;
        case 'T': title = optarg; break;
        case 'h': usage(stdout); return CLI_OK;
        default: usage(stderr); return CLI_USAGE;
        }
    }
    if (optind + 1 != argc)
        return cli_error(CLI_USAGE, "plot", "name one record file (vmaccel run --record)");
    if (strpbrk(title, "<>&'"))
        return cli_error(CLI_USAGE, "plot", "--title may not contain < > & '");
    plot_data *d = calloc(1, sizeof *d);
    if (!d)
        return cli_error(CLI_FAILED, "plot", "out of memory");
    int rc = load(argv[optind], d);
    FILE *o = NULL;
    if (!rc && !(o = out ? fopen(out, "we") : stdout))
        rc = cli_error(CLI_FAILED, "plot", "cannot write %s: %s", out, strerror(errno));
    if (!rc) {
        draw(o, d, threshold, title);
        if (out && fclose(o) != 0)
            rc = cli_error(CLI_FAILED, "plot", "writing %s failed", out);
    }
    for (unsigned i = 0; i < d->nvms; i++) {
        free(d->vms[i].t);
        free(d->vms[i].r);
    }
    free(d);
    return rc;
}
