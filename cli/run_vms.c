/* vmaccel run: the VMs being watched - attach, discover QEMUs, reap the
 * gone, restore at exit, keep each one's locality trend. */
#include "run.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* Descriptors kept free for the library's periodic reads (/proc, /sys)
 * and the report file, so VMs already watched stay watched. */
#define RUN_FD_RESERVE 16
/* Scans between two looks at a process that is not QEMU. */
#define RUN_RECHECK_SCANS 4

static bool watching(const run_state *s, int pid)
{
    for (unsigned i = 0; i < s->nvms; i++)
        if (s->vms[i].pid == pid)
            return true;
    return false;
}

static unsigned open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return ~0u;
    unsigned n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n > 3 ? n - 3 : 0; /* ".", ".." and the directory's own */
}

/* True while attaching one more VM leaves the reserve free. */
static bool fd_room(run_state *s)
{
    if (!s->fd_counted) {
        struct rlimit rl;
        unsigned used = open_fds();
        s->fd_room = getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY
                         ? 1L << 30
                         : (long)rl.rlim_cur - (long)used - RUN_FD_RESERVE;
        s->fd_counted = true;
    }
    return s->fd_room > 0;
}

/* Said once per run; the live view and the last line show the count.
 * detail: the library's message when the attach itself failed. */
static int fd_limit_reached(run_state *s, int pid, const char *detail)
{
    s->fd_limited++;
    if (s->fd_limit_said)
        return RUN_FD_LIMIT;
    s->fd_limit_said = true;
    struct rlimit rl = {0, 0};
    getrlimit(RLIMIT_NOFILE, &rl);
    if (detail)
        fprintf(stderr, "vmaccel run: cannot attach pid %d: %s (out of file descriptors, "
                "RLIMIT_NOFILE %llu, or of memory)", pid, detail,
                (unsigned long long)rl.rlim_cur);
    else
        fprintf(stderr, "vmaccel run: not attaching pid %d: open-file limit reached "
                "(RLIMIT_NOFILE %llu; the last %d are kept for the VMs watched)", pid,
                (unsigned long long)rl.rlim_cur, RUN_FD_RESERVE);
    fprintf(stderr, ". Watching %u VMs; %s. Raise the limit to watch more (ulimit -n, "
            "LimitNOFILE= in a systemd unit).\n", s->nvms,
            s->opts.qemu ? "more are attached as descriptors free up" : "the others are not");
    return RUN_FD_LIMIT;
}

static run_vm *new_slot(run_state *s)
{
    if (s->nvms == s->vms_cap) {
        unsigned cap = s->vms_cap ? 2 * s->vms_cap : 16;
        run_vm *v = realloc(s->vms, cap * sizeof *v);
        if (!v)
            return NULL;
        s->vms = v;
        s->vms_cap = cap;
    }
    run_vm *r = &s->vms[s->nvms];
    memset(r, 0, sizeof *r);
    return r;
}

int run_attach_pid(run_state *s, int pid, bool quiet)
{
    if (watching(s, pid))
        return 0;
    if (!fd_room(s))
        return fd_limit_reached(s, pid, NULL);
    run_vm *r = new_slot(s);
    if (!r)
        return cli_error(CLI_FAILED, "run", "out of memory for VM %d", pid);
    vmaccel_vm *vm;
    int rc = vmaccel_vm_attach_pid(s->m, pid, NULL, &vm);
    if (rc == VMACCEL_ENOMEM) /* descriptors (EMFILE, ENFILE) or memory */
        return fd_limit_reached(s, pid, vmaccel_error_last());
    if (rc)
        return quiet ? rc : cli_lib_error("run", "cannot attach", rc);
    s->nvms++;
    s->fd_room--;
    r->vm = vm;
    r->pid = pid;
    vmaccel_vm_info info = VMACCEL_VM_INFO_INIT;
    if (vmaccel_vm_info_get(vm, &info) == 0)
        snprintf(r->name, sizeof r->name, "%s", info.name);
    if (s->opts.have_strategy) {
        vmaccel_pin_options po = VMACCEL_PIN_OPTIONS_INIT;
        po.strategy = s->opts.strategy;
        po.dry_run = s->opts.numa.dry_run;
        if ((rc = vmaccel_vm_pin(vm, &po)) != 0)
            cli_lib_error("run", "initial pin", rc); /* keep watching it */
    }
    if (!s->opts.live)
        fprintf(stderr, "vmaccel run: watching pid %d (%s, %u vCPUs)\n", pid, r->name,
                info.vcpu_count);
    return 0;
}

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
static void consider(run_state *s, const int *sorted, int pid)
{
    if (sorted && bsearch(&pid, sorted, s->nvms, sizeof *sorted, cmp_int))
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
    int *sorted = watched_pids(s); /* attaches append: the old ones suffice */
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (!*end && pid > 0 && pid <= 0x3fffffff)
            consider(s, sorted, (int)pid);
    }
    closedir(d);
    free(sorted);
    retry_prune(s);
}

void run_vms_free(run_state *s)
{
    free(s->vms);
    free(s->retry);
    s->vms = NULL;
    s->retry = NULL;
    s->nvms = s->vms_cap = s->nretry = s->retry_cap = 0;
}

void run_reap_gone(run_state *s)
{
    for (unsigned i = 0; i < s->nvms;) {
        vmaccel_vm_info info = VMACCEL_VM_INFO_INIT;
        if (vmaccel_vm_info_get(s->vms[i].vm, &info) == 0 && !info.gone) {
            i++;
            continue;
        }
        if (!s->opts.live)
            fprintf(stderr, "vmaccel run: pid %d (%s) is gone\n", s->vms[i].pid,
                    s->vms[i].name);
        vmaccel_vm_detach(s->vms[i].vm);
        s->vms[i] = s->vms[--s->nvms];
    }
}

void run_restore_all(run_state *s)
{
    for (unsigned i = 0; i < s->nvms; i++) {
        int rc = vmaccel_vm_restore_affinity(s->vms[i].vm);
        if (rc && rc != VMACCEL_EGONE)
            cli_lib_error("run", "restore", rc);
    }
}

void run_record_trends(run_state *s)
{
    for (unsigned i = 0; i < s->nvms; i++) {
        run_vm *r = &s->vms[i];
        vmaccel_locality_info li = VMACCEL_LOCALITY_INFO_INIT;
        if (vmaccel_vm_locality(r->vm, &li) || li.samples == r->last_samples ||
            li.source == VMACCEL_LOCALITY_NONE)
            continue;
        r->last_samples = li.samples;
        if (r->ntrend == RUN_TREND)
            memmove(r->trend, r->trend + 1, (RUN_TREND - 1) * sizeof *r->trend);
        else
            r->ntrend++;
        r->trend[r->ntrend - 1] = li.local_rate;
        run_record_sample(s, r, li.local_rate);
    }
}
