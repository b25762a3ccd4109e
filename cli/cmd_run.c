/* vmaccel run: watch VMs and keep their memory accesses node-local. */
#include "run.h"
#include "safe_file.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The report, refreshed each interval: replaced whole (readers never see
 * half) where the directory is the user's alone; rewritten in place where
 * others can write, since no temporary file may be made there
 * (safe_file_write_path). A failure is reported once, not every interval. */
static void write_report(run_state *s)
{
    if (!s->opts.report_out)
        return;
    vmaccel_buf b = {0};
    if (vmaccel_manager_report(s->m, VMACCEL_FORMAT_PROTOBUF, &b))
        return;
    safe_why why;
    bool failed = safe_file_write_path(s->opts.report_out, b.data, b.len, &why) != 0;
    if (failed && !s->report_failed)
        fprintf(stderr, "vmaccel run: cannot write the report %s: %s\n", s->opts.report_out,
                why.text);
    s->report_failed = failed;
    vmaccel_buf_free(&b);
}

/* Many VMs need many descriptors (one pidfd each): use what the hard
 * limit allows, as the soft limit is often 1024 for select()'s sake and
 * nothing here uses select(). */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int setup(run_state *s)
{
    raise_fd_limit();
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    s->start_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    if (s->opts.record && !(s->record = fopen(s->opts.record, "we")))
        return cli_error(CLI_FAILED, "run", "cannot write %s: %s", s->opts.record,
                         strerror(errno));
    vmaccel_manager_options mo = VMACCEL_MANAGER_OPTIONS_INIT;
    if (s->opts.topo.source != VMACCEL_TOPOLOGY_LIVE)
        mo.topology = &s->opts.topo;
    int rc = vmaccel_manager_new(&mo, &s->m);
    if (rc)
        return cli_lib_error("run", "cannot create a manager", rc);
    for (unsigned i = 0; i < s->opts.npids; i++)
        if ((rc = run_attach_pid(s, s->opts.pids[i], false)) != 0 && rc != RUN_FD_LIMIT)
            return CLI_FAILED;
    for (unsigned i = 0; i < s->opts.nqmps; i++)
        if ((rc = run_attach_qmp(s, s->opts.qmps[i])) != 0)
            return CLI_FAILED;
    if (s->opts.qemu)
        run_scan_qemu(s);
    if (s->opts.libvirt)
        run_scan_libvirt(s, false);
    const vmaccel_topology *t;
    unsigned nodes = 0;
    vmaccel_manager_topology(s->m, &t);
    vmaccel_topology_count(t, VMACCEL_OBJ_NUMA_NODE, &nodes);
    if ((rc = vmaccel_manager_configure_numa(s->m, &s->opts.numa)) ||
        (rc = vmaccel_manager_enable_numa(s->m, nodes)) ||
        (rc = vmaccel_manager_start(s->m)))
        return cli_lib_error("run", "cannot start balancing", rc);
    return 0;
}

static void drain_events(run_state *s)
{
    vmaccel_buf ev = {0};
    while (vmaccel_event_next(s->m, 0, &ev) == 0) {
        run_note_event(s, &ev);
        run_record_event(s, &ev);
        if (s->opts.events != RUN_EVENTS_NONE)
            run_print_event(s, &ev);
        vmaccel_buf_free(&ev);
    }
    if (s->opts.events != RUN_EVENTS_NONE)
        fflush(stdout); /* once per batch: a reader sees every event now */
    run_record_flush(s);
}

/* SIGHUP: re-read the config file and hand the options to the engine. */
static void reload(run_state *s)
{
    if (!s->opts.config) {
        fprintf(stderr, "vmaccel run: SIGHUP without --config: nothing to reload\n");
        return;
    }
    run_options o = s->opts;
    if (run_load_config(&o) == 0 && vmaccel_manager_configure_numa(s->m, &o.numa) == 0) {
        s->opts = o;
        fprintf(stderr, "vmaccel run: reloaded %s\n", s->opts.config);
    }
}

/* Per interval: pick up and drop VMs, trends, the view, the report file. */
static void housekeeping(run_state *s)
{
    run_reap_gone(s);
    if (s->opts.qemu)
        run_scan_qemu(s);
    if (s->opts.libvirt)
        run_scan_libvirt(s, true);
    run_record_trends(s);
    run_record_flush(s);
    if (s->opts.live)
        run_draw(s);
    write_report(s);
}

/* A signal from the signalfd: 0 to go on, else the one that ends the run. */
static int on_signal(run_state *s, int sigfd)
{
    struct signalfd_siginfo si;
    if (read(sigfd, &si, sizeof si) != sizeof si)
        return 0;
    if (si.ssi_signo == SIGHUP)
        reload(s);
    else if (si.ssi_signo == SIGWINCH && s->opts.live)
        run_draw(s);
    else if (si.ssi_signo != SIGWINCH)
        return (int)si.ssi_signo;
    return 0;
}

/* Returns the signal that ended the run, SIGINT for the quit key, or 0
 * when the duration ran out. */
static int watch(run_state *s, int sigfd)
{
    int evfd = -1;
    vmaccel_events_fd(s->m, &evfd);
    unsigned interval = s->opts.numa.interval_ms ? s->opts.numa.interval_ms : 1000;
    uint64_t start = now_ms(), next = start;
    for (;;) {
        uint64_t t = now_ms();
        if (s->opts.duration_s && t - start >= s->opts.duration_s * 1000ull)
            return 0;
        if (t >= next) {
            housekeeping(s);
            next = t + interval;
        }
        struct pollfd fds[3] = {{evfd, POLLIN, 0}, {sigfd, POLLIN, 0},
                                {s->view_keys ? STDIN_FILENO : -1, POLLIN, 0}};
        if (poll(fds, 3, (int)(next - t)) < 0 && errno != EINTR)
            return SIGTERM;
        if (fds[0].revents & POLLIN)
            drain_events(s);
        int sig = fds[1].revents & POLLIN ? on_signal(s, sigfd) : 0;
        if (sig)
            return sig;
        if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
            if (run_keys_read(s))
                return SIGINT;
            run_draw(s);
        }
    }
}

int cmd_run(int argc, char **argv)
{
    run_state *s = calloc(1, sizeof *s);
    if (!s)
        return cli_error(CLI_FAILED, "run", "out of memory");
    int rc = run_parse_args(argc, argv, &s->opts);
    if (rc) {
        run_options_free(&s->opts);
        free(s);
        return rc < 0 ? CLI_OK : rc; /* -1: --help printed */
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGWINCH); /* the live view is redrawn to the new size */
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sigfd = signalfd(-1, &set, SFD_CLOEXEC);
    rc = sigfd < 0 ? cli_error(CLI_FAILED, "run", "signalfd: %s", strerror(errno))
                   : setup(s);
    if (!rc && s->opts.live)
        run_view_begin(s);
    if (!rc) {
        int sig = watch(s, sigfd);
        if (s->opts.live)
            run_view_end(s);
        drain_events(s);
        vmaccel_manager_stop(s->m);
        if (s->opts.restore_on_exit)
            run_restore_all(s);
        write_report(s);
        fprintf(stderr, "vmaccel run: stopped (%s): %lu events, %lu rebalance actions\n",
                sig ? strsignal(sig) : "duration reached", s->events_seen, s->actions);
        if (s->fd_limited)
            fprintf(stderr, "vmaccel run: %u VM%s were left unattached at the open-file "
                    "limit\n", s->fd_limited, s->fd_limited == 1 ? "" : "s");
    }
    if (sigfd >= 0)
        close(sigfd);
    vmaccel_manager_free(s->m);
    run_vms_free(s);
    run_options_free(&s->opts);
    if (s->record)
        fclose(s->record);
    free(s);
    return rc;
}
