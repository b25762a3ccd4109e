/* vmaccel plot: a recorded run (vmaccel run --record) as an SVG picture:
 * local access rate per VM over time, the threshold, rebalance actions. */
#include "cli.h"
#include "plot.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PLOT_DEFAULT_WORST 8   /* more VMs than this: host-wide + the worst */
#define PLOT_LEGEND_ROWS 16

static void usage(FILE *out)
{
    fprintf(out,
        "usage: vmaccel plot RECORD.jsonl [--out FILE.svg] [--worst N] [--threshold R]\n"
        "                    [--title T]\n\n"
        "Draws a run recorded with `vmaccel run --record`: each VM's local\n"
        "access rate over time, the threshold, and the rebalance actions\n"
        "(green: applied, red: failed). Writes SVG (default: stdout).\n\n"
        "With several VMs it also draws the host-wide rate (black): at each\n"
        "moment the mean of every VM's latest rate weighted by its guest RAM,\n"
        "i.e. the share of all guest memory that is node-local, so a large VM\n"
        "counts for what it holds and many small idle ones do not drown it.\n\n"
        "  --worst N      the host-wide rate and the N VMs with the lowest mean\n"
        "                 rate (0: host-wide only). Default: every VM up to %d,\n"
        "                 else the %d worst\n"
        "  --out FILE     write the SVG there\n"
        "  --threshold R  the dashed line, 0..1 (default 0.8)\n"
        "  --title T      the picture's title\n", PLOT_DEFAULT_WORST, PLOT_DEFAULT_WORST);
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

static void polyline(FILE *o, const plot_data *d, const plot_series *v, const char *colour,
                     double width)
{
    fprintf(o, "<polyline fill='none' stroke-width='%.1f' stroke='%s' points='", width, colour);
    for (size_t k = 0; k < v->n; k++)
        fprintf(o, "%.1f,%.1f ", px(d, v->t[k]), py(v->r[k]));
    fputs("'/>\n", o);
}

static void legend(FILE *o, unsigned row, const char *colour, const char *text)
{
    fprintf(o, "<text x='80' y='%u' font-size='12' fill='%s'>%s</text>\n", 70 + 16 * row,
            colour, text);
}

static void draw_marks(FILE *o, const plot_data *d)
{
    for (size_t m = 0; m < d->nmarks; m++) {
        const char *c = d->marks[m].failed ? "#d62728" : "#2ca02c";
        double x = px(d, d->marks[m].t);
        fprintf(o, "<line x1='%.1f' y1='40' x2='%.1f' y2='340' stroke='%s' stroke-width='2'/>"
                   "<text x='%.1f' y='52' font-size='11' fill='%s'>%s</text>\n",
                x, x, c, x + 3, c, d->marks[m].failed ? "failed" : "rebalanced");
    }
}

/* The VMs in idx[0..n), then (with host) the host-wide rate on top. */
static void draw(FILE *o, const plot_data *d, const size_t *idx, size_t n,
                 const plot_series *host, double threshold, const char *title)
{
    static const char *const colour[] = {"#1f77b4", "#ff7f0e", "#9467bd", "#8c564b",
                                         "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};
    fprintf(o, "<svg xmlns='http://www.w3.org/2000/svg' width='840' height='400' "
               "font-family='sans-serif'>\n<rect width='840' height='400' fill='white'/>\n");
    draw_axes(o, d, threshold, title);
    draw_marks(o, d);
    unsigned row = 0;
    char text[160];
    if (host) {
        polyline(o, d, host, "#000000", 3.5);
        snprintf(text, sizeof text, "host-wide (%zu VMs, %s)", d->nvms,
                 plot_weights_are_ram(d) ? "weighted by guest RAM"
                                         : "equal weights: the record has no RAM");
        legend(o, row++, "#000000", text);
    }
    for (size_t i = 0; i < n; i++) {
        const plot_vm *v = &d->vms[idx[i]];
        polyline(o, d, &v->s, colour[i % 8], 2.5);
        if (row < PLOT_LEGEND_ROWS) {
            snprintf(text, sizeof text, "VM %llu (pid %d)", (unsigned long long)v->id, v->pid);
            legend(o, row++, colour[i % 8], text);
        } else if (row++ == PLOT_LEGEND_ROWS) {
            snprintf(text, sizeof text, "and %zu more", n - i);
            legend(o, PLOT_LEGEND_ROWS, "#666666", text);
        }
    }
    if (n < d->nvms)
        fprintf(o, "<text x='8' y='394' font-size='11' fill='#666'>%zu of %zu VMs drawn: the "
                   "lowest mean local rate first (--worst N)</text>\n", n, d->nvms);
    fprintf(o, "</svg>\n");
}

/* Draws what the options ask for; 0 or -1 when out of memory. */
static int plot(FILE *o, const plot_data *d, long worst, double threshold, const char *title)
{
    size_t want = worst >= 0 ? (size_t)worst
                  : d->nvms <= PLOT_DEFAULT_WORST ? d->nvms : PLOT_DEFAULT_WORST;
    size_t *idx = malloc((want ? want : 1) * sizeof *idx);
    plot_series host = {0};
    bool with_host = d->nvms > 1 || worst == 0;
    int rc = idx && (!with_host || plot_host_series(d, d->tmax / 700, &host) == 0) ? 0 : -1;
    if (!rc)
        draw(o, d, idx, plot_worst(d, want, idx), with_host ? &host : NULL, threshold, title);
    plot_series_free(&host);
    free(idx);
    return rc;
}

int cmd_plot(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'}, {"threshold", required_argument, 0, 't'},
        {"title", required_argument, 0, 'T'}, {"worst", required_argument, 0, 'w'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *out = NULL, *title = "vm-accel: local memory access per VM";
    double threshold = 0.8;
    long worst = -1; /* the default */
    unsigned long u;
    int c;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "o:t:T:w:h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'o': out = optarg; break;
        case 't':
            threshold = strtod(optarg, &end);
            if (*end || !(threshold >= 0 && threshold <= 1))
                return cli_error(CLI_USAGE, "plot", "--threshold wants 0..1");
            break;
        case 'T': title = optarg; break;
        case 'w':
            if (cli_parse_uint(optarg, 1000000, &u))
                return cli_error(CLI_USAGE, "plot", "--worst wants a count, got '%s'", optarg);
            worst = (long)u;
            break;
        case 'h': usage(stdout); return CLI_OK;
        default: usage(stderr); return CLI_USAGE;
        }
    }
    if (optind + 1 != argc)
        return cli_error(CLI_USAGE, "plot", "name one record file (vmaccel run --record)");
    if (strpbrk(title, "<>&'"))
        return cli_error(CLI_USAGE, "plot", "--title may not contain < > & '");
    plot_data d = {0};
    int rc = plot_load(argv[optind], &d);
    FILE *o = NULL;
    if (!rc && !(o = out ? fopen(out, "we") : stdout))
        rc = cli_error(CLI_FAILED, "plot", "cannot write %s: %s", out, strerror(errno));
    if (!rc && plot(o, &d, worst, threshold, title))
        rc = cli_error(CLI_FAILED, "plot", "out of memory");
    if (o && out && fclose(o) != 0 && !rc)
        rc = cli_error(CLI_FAILED, "plot", "writing %s failed", out);
    plot_free(&d);
    return rc;
}
