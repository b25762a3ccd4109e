/* vmaccel run: one frame of the live view, laid out for a given terminal
 * size. Worst placed VMs first, one line each, paged when they do not all
 * fit; a summary line for the whole host. */
#include "run_view.h"

#include <stdlib.h>
#include <string.h>

enum { HEAD_LINES = 3 };          /* title, summary, column names */

/* Eight levels of a sparkline, UTF-8 block elements. */
static const char *const spark[8] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                     "\u2585", "\u2586", "\u2587", "\u2588"};

/* ---- text that fits: UTF-8 aware, control characters replaced ---- */

/* Length of the printable UTF-8 sequence at s and its code point, or 0
 * for a control character or a malformed sequence. */
static unsigned utf8_next(const unsigned char *s, unsigned *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return s[0] >= 0x20 && s[0] != 0x7f;
    }
    unsigned len = s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (len == 0 || (len == 3 && s[0] >= 0xf0))
        return 0;
    unsigned v = s[0] & (0x7f >> len);
    for (unsigned i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3f);
    }
    static const unsigned shortest[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < shortest[len] || (v >= 0xd800 && v < 0xe000) || v > 0x10ffff ||
        (v >= 0x80 && v < 0xa0)) /* overlong, surrogate, C1 control */
        return 0;
    *cp = v;
    return len;
}

/* Columns a code point takes: 2 for the East Asian wide ranges and
 * emoji, 1 otherwise (an over-estimate for combining marks is safe). */
static unsigned cp_width(unsigned cp)
{
    static const unsigned wide[][2] = {
        {0x1100, 0x115f},   {0x2e80, 0x303e},   {0x3041, 0x33ff}, {0x3400, 0x4dbf},
        {0x4e00, 0x9fff},   {0xa000, 0xa4cf},   {0xac00, 0xd7a3}, {0xf900, 0xfaff},
        {0xfe30, 0xfe4f},   {0xff00, 0xff60},   {0xffe0, 0xffe6}, {0x1f300, 0x1f64f},
        {0x1f900, 0x1f9ff}, {0x20000, 0x3fffd}};
    for (size_t i = 0; i < sizeof wide / sizeof *wide; i++)
        if (cp >= wide[i][0] && cp <= wide[i][1])
            return 2;
    return 1;
}

/* Copies at most `cols` columns of src to out, a '?' for each control
 * character or malformed byte; pads with spaces to `pad` columns. */
static void put_fitted(FILE *out, const char *src, unsigned cols, unsigned pad)
{
    const unsigned char *s = (const unsigned char *)src;
    unsigned used = 0, cp;
    while (*s) {
        unsigned len = utf8_next(s, &cp);
        unsigned w = len ? cp_width(cp) : 1;
        if (used + w > cols)
            break;
        if (len)
            fwrite(s, 1, len, out);
        else
            fputc('?', out);
        s += len ? len : 1;
        used += w;
    }
    for (; used < pad && used < cols; used++)
        fputc(' ', out);
}

/* ---- the frame's pieces ---- */

typedef struct view_out {
    FILE *out;
    unsigned rows, cols, lines;  /* lines written so far */
} view_out;

/* Starts the next line, or returns false when the screen is full. */
static bool next_line(view_out *v)
{
    if (v->lines == v->rows)
        return false;
    if (v->lines++)
        fputs("\033[K\n", v->out);
    return true;
}

static void line(view_out *v, const char *text)
{
    if (next_line(v))
        put_fitted(v->out, text, v->cols, 0);
}

static int cmp_vm(const void *a, const void *b)
{
    const run_view_vm *x = a, *y = b;
    if (x->measured != y->measured)
        return x->measured ? -1 : 1;
    if (x->measured && x->local_rate != y->local_rate)
        return x->local_rate < y->local_rate ? -1 : 1;
    return (x->pid > y->pid) - (x->pid < y->pid);
}

void run_view_sort(run_view_vm *vms, unsigned n)
{
    if (n > 1)
        qsort(vms, n, sizeof *vms, cmp_vm);
}

bool run_view_host_rate(const run_view_vm *vms, unsigned n, double *rate, bool *weighted)
{
    bool by_ram = true, any = false;
    for (unsigned i = 0; i < n; i++)
        if (vms[i].measured) {
            any = true;
            by_ram = by_ram && vms[i].ram_bytes > 0;
        }
    double sum = 0, weight = 0;
    for (unsigned i = 0; i < n; i++)
        if (vms[i].measured) {
            double w = by_ram ? (double)vms[i].ram_bytes : 1.0;
            sum += w * vms[i].local_rate;
            weight += w;
        }
    if (any)
        *rate = sum / weight;
    if (weighted)
        *weighted = by_ram;
    return any;
}

/* Lines under the VM table: the recent events that fit, then the status. */
static unsigned recent_shown(const run_view_frame *f, unsigned rows)
{
    unsigned room = rows >= 20 ? 3 : rows >= 12 ? 1 : 0;
    return f->nrecent < room ? f->nrecent : room;
}

static unsigned vm_lines(const run_view_frame *f, unsigned rows)
{
    unsigned fixed = HEAD_LINES + recent_shown(f, rows) + (rows >= 6);
    return rows > fixed ? rows - fixed : 1;
}

unsigned run_view_page_size(const run_view_frame *f, unsigned rows, bool *details)
{
    unsigned room = vm_lines(f, rows);
    *details = f->nvms && f->nvms <= room / 2;
    return *details ? f->nvms : room;
}

static void title(view_out *v, const run_view_frame *f)
{
    char buf[256];
    snprintf(buf, sizeof buf, "vmaccel run  %s  %u NUMA node%s  threshold %.2f  %lu events%s",
             f->clock, f->nodes, f->nodes == 1 ? "" : "s", f->threshold, f->events,
             f->dry_run ? "  DRY RUN" : "");
    line(v, buf);
}

static void summary(view_out *v, const run_view_frame *f)
{
    unsigned measuring = 0, below = 0;
    for (unsigned i = 0; i < f->nvms; i++) {
        measuring += !f->vms[i].measured;
        below += f->vms[i].measured && f->vms[i].local_rate < f->threshold;
    }
    char rate[48] = "local -- host-wide";
    double r;
    bool by_ram;
    if (run_view_host_rate(f->vms, f->nvms, &r, &by_ram))
        snprintf(rate, sizeof rate, "local %.1f%% host-wide (%s)", 100.0 * r,
                 by_ram ? "by RAM" : "per VM");
    char buf[256];
    snprintf(buf, sizeof buf, "%u VM%s (%u below, %u measuring)  %s  %lu action%s", f->nvms,
             f->nvms == 1 ? "" : "s", below, measuring, rate, f->actions,
             f->actions == 1 ? "" : "s");
    line(v, buf);
}

static void vm_row(view_out *v, const run_view_vm *r)
{
    if (!next_line(v))
        return;
    char local[16] = "  --", home[12] = "-";
    if (r->measured) {
        snprintf(local, sizeof local, "%5.1f%%", 100.0 * r->local_rate);
        snprintf(home, sizeof home, "%u", r->home_node);
    }
    char head[32], tail[96];
    snprintf(head, sizeof head, "%7d ", r->pid);
    snprintf(tail, sizeof tail, " %6s %-5s %4s %4u %5llu %5llu %4llu ", local,
             r->measured ? (r->from_faults ? "fault" : "pages") : "", home, r->vcpus,
             (unsigned long long)r->vcpu_moves, (unsigned long long)r->migrations,
             (unsigned long long)r->failures);
    unsigned used = (unsigned)strlen(head) + 18 + (unsigned)strlen(tail);
    if (used > v->cols) { /* too narrow for the table: the essentials */
        char buf[128];
        snprintf(buf, sizeof buf, "%d %s %s", r->pid, local, r->name);
        put_fitted(v->out, buf, v->cols, 0);
        return;
    }
    fputs(head, v->out);
    put_fitted(v->out, r->name, 18, 18);
    fputs(tail, v->out);
    unsigned room = v->cols - used, first = r->ntrend > room ? r->ntrend - room : 0;
    for (unsigned k = first; k < r->ntrend; k++) {
        int level = (int)(r->trend[k] * 7.0 + 0.5);
        fputs(spark[level < 0 ? 0 : level > 7 ? 7 : level], v->out);
    }
}

static void status(view_out *v, const run_view_frame *f, unsigned pages)
{
    char buf[256];
    int n = 0;
    if (pages > 1)
        n = snprintf(buf, sizeof buf, "page %u/%u, worst first%s", f->page + 1, pages,
                     f->keys ? "  n/p: page  q: quit" : "");
    else
        n = snprintf(buf, sizeof buf, "%s", f->keys ? "q: quit" : "Ctrl-C to stop");
    if (f->fd_limited && n >= 0 && (size_t)n < sizeof buf)
        snprintf(buf + n, sizeof buf - (size_t)n, "  %u VM%s not attached: fd limit",
                 f->fd_limited, f->fd_limited == 1 ? "" : "s");
    line(v, buf);
}

void run_view_render(FILE *out, run_view_frame *f, unsigned rows, unsigned cols)
{
    view_out v = {out, rows ? rows : 1, cols ? cols : 1, 0};
    bool details;
    unsigned per_page = run_view_page_size(f, v.rows, &details);
    unsigned pages = f->nvms ? (f->nvms + per_page - 1) / per_page : 1;
    if (f->page >= pages)
        f->page = pages - 1;
    fputs("\033[H", out);
    title(&v, f);
    summary(&v, f);
    char names[128];
    snprintf(names, sizeof names, "%7s %-18s %6s %-5s %4s %4s %5s %5s %4s %s", "PID", "NAME",
             "LOCAL", "FROM", "HOME", "VCPU", "MOVES", "MIGR", "FAIL", "TREND");
    line(&v, names);
    unsigned first = f->page * per_page;
    for (unsigned i = first; i < f->nvms && i < first + per_page; i++) {
        vm_row(&v, &f->vms[i]);
        if (details && f->vms[i].where[0]) {
            char buf[200];
            snprintf(buf, sizeof buf, "          vCPUs: %s", f->vms[i].where);
            line(&v, buf);
        }
    }
    if (!f->nvms)
        line(&v, f->looking ? "  no VM yet (looking for QEMU processes)" : "  no VM yet");
    unsigned footer = recent_shown(f, v.rows) + (v.rows >= 6);
    while (v.lines + footer < v.rows)
        line(&v, ""); /* keeps the footer at the bottom */
    unsigned shown = recent_shown(f, v.rows);
    for (unsigned i = f->nrecent - shown; i < f->nrecent; i++) {
        char buf[216];
        snprintf(buf, sizeof buf, "  %s", f->recent[i]);
        line(&v, buf);
    }
    if (v.rows >= 6)
        status(&v, f, pages);
    fputs("\033[K\033[J", out);
}
