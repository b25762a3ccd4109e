/* vmaccel run --qemu: finding QEMU processes to attach. Each interval
 * reads /proc; a process that is not watched is remembered (sorted by pid)
 * with when to look at it again, so a scan reads few files. */
#include "run.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

/* Scans between two looks at a process that is not QEMU. */
#define RUN_RECHECK_SCANS 4

/* QEMU names its process after the binary: qemu-system-x86_64, ... */
static bool is_qemu(int pid)
{
    char path[64], comm[32] = "";
    snprintf(path, sizeof path, "/proc/%d/comm", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    bool yes = fgets(comm, sizeof comm, f) && !strncmp(comm, "qemu-system", 11);
    fclose(f);
    return yes;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* The watched pids, sorted, for the scan's look-ups (NULL: none). */
static int *watched_pids(const run_state *s)
{
    int *pids = s->nvms ? malloc(s->nvms * sizeof *pids) : NULL;
    for (unsigned i = 0; pids && i < s->nvms; i++)
        pids[i] = s->vms[i].pid;
    if (pids)
        qsort(pids, s->nvms, sizeof *pids, cmp_int);
    return pids;
}

/* The retry entry of pid (the list is sorted by pid), or where it goes. */
static int retry_before(const void *elem, const void *pid)
{
    return ((const run_retry *)elem)->pid < *(const int *)pid;
}

static unsigned retry_find(const run_state *s, int pid, bool *found)
{
    unsigned lo = (unsigned)cli_lower_bound(s->retry, s->nretry, sizeof *s->retry, &pid,
                                            retry_before);
    *found = lo < s->nretry && s->retry[lo].pid == pid;
    return lo;
}

/* The entry of pid at `at`, inserted there when not found. */
static run_retry *retry_entry(run_state *s, unsigned at, bool found, int pid)
{
    if (!found) {
        if (s->nretry == s->retry_cap) {
            unsigned cap = s->retry_cap ? 2 * s->retry_cap : 64;
            run_retry *r = realloc(s->retry, cap * sizeof *r);
            if (!r)
                return NULL; /* looked at again at the next scan */
            s->retry = r;
            s->retry_cap = cap;
        }
        memmove(s->retry + at + 1, s->retry + at, (s->nretry - at) * sizeof *s->retry);
        s->retry[at] = (run_retry){.pid = pid};
        s->nretry++;
    }
    s->retry[at].seen = s->scans;
    return &s->retry[at];
}

/* A process that is not QEMU is looked at again at the next scan, then
 * every RUN_RECHECK_SCANS scans: it may exec QEMU, as libvirt's children
 * do after their setup (such a QEMU is attached that much later). A QEMU that could
 * not be attached (rc) waits 1, 2, 4, ... scans before the next try: up
 * to 4 while it may still be starting, up to 64 when it is not ours to
 * act on. Why is said once, at the third failure (a QEMU still starting
 * has no vCPU threads for a moment). */
static void look_later(run_state *s, unsigned at, bool found, int pid, bool qemu, int rc)
{
    run_retry *r = retry_entry(s, at, found, pid);
    if (!r)
        return;
    if (!qemu) { /* the next scan, then every RUN_RECHECK_SCANS */
        unsigned wait = found && !r->qemu ? RUN_RECHECK_SCANS : 1;
        *r = (run_retry){.pid = pid, .seen = s->scans, .next_scan = s->scans + wait};
        return;
    }
    if (!r->qemu)
        *r = (run_retry){.pid = pid, .seen = s->scans, .qemu = true};
    unsigned most = rc == VMACCEL_EPERM ? 64 : 4;
    r->wait = r->wait ? (2 * r->wait < most ? 2 * r->wait : most) : 1;
    r->next_scan = s->scans + r->wait;
    if (++r->tries == 3 && !s->opts.live)
        cli_error(0, "run", "not watching QEMU pid %d: %s: %s", pid, vmaccel_strerror(rc),
                  vmaccel_error_last());
}

/* Forgets retries of processes that are gone (not seen by this scan). */
static void retry_prune(run_state *s)
{
    unsigned k = 0;
    for (unsigned i = 0; i < s->nretry; i++)
        if (s->retry[i].seen == s->scans)
            s->retry[k++] = s->retry[i];
    s->nretry = k;
}

/* One /proc entry of the scan. */
/* watched: the pids watched when the scan began, sorted (a VM attached by
 * this scan has a pid /proc lists once). */
static void consider(run_state *s, const int *watched, unsigned nwatched, int pid)
{
    if (watched && bsearch(&pid, watched, nwatched, sizeof *watched, cmp_int))
        return;
    bool found;
    unsigned at = retry_find(s, pid, &found);
    if (found) {
        s->retry[at].seen = s->scans;
        if (s->scans < s->retry[at].next_scan)
            return;
    }
    if (!is_qemu(pid)) {
        look_later(s, at, found, pid, false, 0);
        return;
    }
    /* Not ours to act on, or not started far enough: quiet, tried later. */
    int rc = run_attach_pid(s, pid, true);
    if (rc == 0 && found) {
        memmove(s->retry + at, s->retry + at + 1, (s->nretry - at - 1) * sizeof *s->retry);
        s->nretry--;
    } else if (rc && rc != RUN_FD_LIMIT) {
        look_later(s, at, found, pid, true, rc);
    }
}

void run_scan_qemu(run_state *s)
{
    DIR *d = opendir("/proc");
    if (!d)
        return;
    s->scans++;
    s->fd_counted = false;
    s->fd_limited = 0;
    unsigned nwatched = s->nvms;
    int *watched = watched_pids(s);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (!*end && pid > 0 && pid <= 0x3fffffff)
            consider(s, watched, nwatched, (int)pid);
    }
    closedir(d);
    free(watched);
    retry_prune(s);
}

