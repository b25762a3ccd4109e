/* vmaccel run: command-line options and the reloadable config file. */
#include "run.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fprintf(out,
        "usage: vmaccel run (--pid PID ... | --qmp SOCKET ... | --qemu |\n"
        "                    --libvirt [URI]) [options]\n\n"
        "Watches VMs and keeps their memory accesses node-local: samples where\n"
        "each VM's RAM lives and where its vCPUs run every interval, and when\n"
        "the local access rate stays low, moves the vCPUs to their memory or\n"
        "migrates the memory to the vCPUs. Runs until SIGINT/SIGTERM.\n\n"
        "  --pid PID            a VMM process to watch (repeatable)\n"
        "  --qemu               every QEMU process this user may act on; new\n"
        "                       ones are picked up as they start\n"
        "  --qmp SOCKET         the QEMU serving this QMP socket (repeatable): its\n"
        "                       vCPU threads come from QMP (no thread names needed)\n"
        "  --libvirt [URI]      every running libvirt domain at URI (default:\n"
        "                       libvirt's own), and those started later; acts\n"
        "                       through libvirt so virsh shows the truth\n"
        "  --override-pins      also move vCPUs and memory the operator placed\n"
        "                       (libvirt vcpupin/numatune, taskset, a cgroup\n"
        "                       narrower than its parent); by default they stay\n"
        "  --strategy S         pin each VM at attach: local-first,\n"
        "                       load-balanced, bandwidth-optimized, adaptive\n"
        "  --interval MS        sampling period (default 1000)\n"
        "  --threshold R        act below this local rate, 0..1 (default 0.8)\n"
        "  --fix F              cheaper (default), move-vcpus, migrate-memory\n"
        "  --migrate-mbps N     memory migration budget in MiB/s (default 256)\n"
        "  --migrate-workers N  threads migrating memory side by side (default: half\n"
        "                       the CPUs, 1..8)\n"
        "  --migrate-whole      move a VM whose whole memory goes to one node with one\n"
        "                       migrate_pages(2) call instead of windows\n"
        "  --migrate-stop-vcpus stop a VM's vCPU threads while each window (up to\n"
        "                       16 MiB) of its memory moves: several times faster\n"
        "                       with busy vCPUs, which pause about a window's move\n"
        "                       at a time (idle workers move more windows meanwhile)\n"
        "                       (ptrace: root or CAP_SYS_PTRACE)\n"
        "  --dry-run            decide and report, change nothing\n"
        "  --restore-on-exit    give threads their original affinity at exit\n"
        "  --report-out FILE    keep FILE refreshed with the protobuf report\n"
        "                       (replaced whole each time; in a directory others\n"
        "                       can write, such as /tmp, rewritten in place)\n"
        "  --events text|json   print events on stdout\n"
        "  --live / --no-live   the live view (default: on a terminal): the\n"
        "                       worst placed VMs first, one line each, paged to\n"
        "                       the terminal (keys n/space, p, g/G, q); a\n"
        "                       summary of all VMs with the host-wide local\n"
        "                       rate weighted by guest RAM\n"
        "  --duration S         stop after S seconds\n"
        "  --record FILE        JSON lines of locality samples and events, for\n"
        "                       `vmaccel plot`\n"
        "  --config FILE        key=value options (interval, threshold, fix,\n"
        "                       dry-run, migrate-mbps), re-read on SIGHUP\n"
        "  --synthetic DESC | --xml FILE   plan on that topology (testing)\n\n"
        "Any number of VMs. Each is announced once; a QEMU that cannot be\n"
        "attached is said once and tried again less and less often. Each VM\n"
        "holds one file descriptor: the soft RLIMIT_NOFILE is raised to the\n"
        "hard one, and at the limit the VMs attached stay watched (said once).\n");
}

static int parse_fix(const char *s, vmaccel_numa_fix *out)
{
    if (!strcmp(s, "cheaper")) *out = VMACCEL_NUMA_FIX_CHEAPER;
    else if (!strcmp(s, "move-vcpus")) *out = VMACCEL_NUMA_FIX_MOVE_VCPUS;
    else if (!strcmp(s, "migrate-memory")) *out = VMACCEL_NUMA_FIX_MIGRATE_MEMORY;
    else return -1;
    return 0;
}

static int parse_rate(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= 0.0 && v <= 1.0))
        return -1;
    *out = v;
    return 0;
}

/* One option by name and value (shared by argv and the config file). */
static int apply(run_options *o, const char *key, const char *val)
{
    unsigned long u;
    if (!strcmp(key, "interval"))
        return cli_parse_uint(val, 3600000, &u) || u == 0 ? -1 : (o->numa.interval_ms = (unsigned)u, 0);
    if (!strcmp(key, "threshold"))
        return parse_rate(val, &o->numa.threshold);
    if (!strcmp(key, "fix"))
        return parse_fix(val, &o->numa.fix);
    if (!strcmp(key, "migrate-mbps"))
        return cli_parse_uint(val, 1u << 20, &u) || u == 0 ? -1 : (o->numa.migrate_mb_per_s = (unsigned)u, 0);
    if (!strcmp(key, "migrate-workers"))
        return cli_parse_uint(val, 8, &u) || u == 0 ? -1 : (o->numa.migrate_workers = (unsigned)u, 0);
    if (!strcmp(key, "dry-run"))
        return !strcmp(val, "1") || !strcmp(val, "true") ? (o->numa.dry_run = 1, 0)
               : !strcmp(val, "0") || !strcmp(val, "false") ? (o->numa.dry_run = 0, 0) : -1;
    return -1;
}

static int add_pid(run_options *o, const char *val)
{
    unsigned long pid;
    if (cli_parse_uint(val, 0x3fffffff, &pid) || pid == 0)
        return cli_error(CLI_USAGE, "run", "--pid wants a process id, got '%s'", val);
    if (o->npids == o->pids_cap) {
        unsigned cap = o->pids_cap ? 2 * o->pids_cap : 8;
        int *p = realloc(o->pids, cap * sizeof *p);
        if (!p)
            return cli_error(CLI_FAILED, "run", "out of memory for --pid %s", val);
        o->pids = p;
        o->pids_cap = cap;
    }
    o->pids[o->npids++] = (int)pid;
    return 0;
}

static int add_qmp(run_options *o, const char *path)
{
    if (o->nqmps == o->qmps_cap) {
        unsigned cap = o->qmps_cap ? 2 * o->qmps_cap : 4;
        const char **q = realloc(o->qmps, cap * sizeof *q);
        if (!q)
            return cli_error(CLI_FAILED, "run", "out of memory for --qmp %s", path);
        o->qmps = q;
        o->qmps_cap = cap;
    }
    o->qmps[o->nqmps++] = path;
    return 0;
}

void run_options_free(run_options *o)
{
    free(o->pids);
    free(o->qmps);
    o->pids = NULL;
    o->qmps = NULL;
    o->npids = o->pids_cap = o->nqmps = o->qmps_cap = 0;
}

static int parse_one(run_options *o, int c, const char *arg)
{
    unsigned long u;
    static const char *const names[] = {[0] = NULL, ['i'] = "interval", ['t'] = "threshold",
                                        ['F'] = "fix", ['M'] = "migrate-mbps",
                                        ['W'] = "migrate-workers"};
    switch (c) {
    case 'p': return add_pid(o, arg);
    case 'q': o->qemu = true; return 0;
    case 'Q': return add_qmp(o, arg);
    case 'V': o->libvirt = true; o->libvirt_uri = arg; return 0;
    case 'O': o->override_pins = true; o->numa.override_pins = 1; return 0;
    case 's':
        if (vmaccel_strategy_parse(arg, &o->strategy))
            return cli_error(CLI_USAGE, "run", "unknown strategy '%s'", arg);
        o->have_strategy = true;
        return 0;
    case 'i': case 't': case 'F': case 'M': case 'W':
        if (apply(o, names[c], arg))
            return cli_error(CLI_USAGE, "run", "bad --%s value '%s'", names[c], arg);
        return 0;
    case 'd': o->numa.dry_run = 1; return 0;
    case 'H': o->numa.migrate_whole = 1; return 0;
    case 'S': o->numa.migrate_stop_vcpus = 1; return 0;
    case 'r': o->restore_on_exit = true; return 0;
    case 'o': o->report_out = arg; return 0;
    case 'e':
        if (!strcmp(arg, "text")) o->events = RUN_EVENTS_TEXT;
        else if (!strcmp(arg, "json")) o->events = RUN_EVENTS_JSON;
        else return cli_error(CLI_USAGE, "run", "--events wants text or json");
        return 0;
    case 'l': o->live = true; return 0;
    case 'L': o->live = false; return 0;
    case 'D':
        if (cli_parse_uint(arg, 86400 * 365, &u))
            return cli_error(CLI_USAGE, "run", "bad --duration '%s'", arg);
        o->duration_s = (unsigned)u;
        return 0;
    case 'c': o->config = arg; return 0;
    case 'R': o->record = arg; return 0;
    case 'x': o->topo.source = VMACCEL_TOPOLOGY_XML; o->topo.path = arg; return 0;
    case 'y': o->topo.source = VMACCEL_TOPOLOGY_SYNTHETIC; o->topo.synthetic = arg; return 0;
    }
    return CLI_USAGE;
}

int run_parse_args(int argc, char **argv, run_options *o)
{
    static const struct option opts[] = {
        {"pid", required_argument, 0, 'p'}, {"qemu", no_argument, 0, 'q'},
        {"qmp", required_argument, 0, 'Q'}, {"libvirt", optional_argument, 0, 'V'},
        {"override-pins", no_argument, 0, 'O'},
        {"strategy", required_argument, 0, 's'}, {"interval", required_argument, 0, 'i'},
        {"threshold", required_argument, 0, 't'}, {"fix", required_argument, 0, 'F'},
        {"migrate-mbps", required_argument, 0, 'M'}, {"dry-run", no_argument, 0, 'd'},
        {"migrate-workers", required_argument, 0, 'W'}, {"migrate-whole", no_argument, 0, 'H'},
        {"migrate-stop-vcpus", no_argument, 0, 'S'},
        {"restore-on-exit", no_argument, 0, 'r'}, {"report-out", required_argument, 0, 'o'},
        {"events", required_argument, 0, 'e'}, {"live", no_argument, 0, 'l'},
        {"no-live", no_argument, 0, 'L'}, {"duration", required_argument, 0, 'D'},
        {"config", required_argument, 0, 'c'}, {"record", required_argument, 0, 'R'},
        {"xml", required_argument, 0, 'x'},
        {"synthetic", required_argument, 0, 'y'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    vmaccel_numa_options_init(&o->numa);
    vmaccel_topology_options_init(&o->topo);
    o->live = isatty(STDOUT_FILENO);
    int c, rc;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return -1;
        }
        if (c == '?') {
            usage(stderr);
            return CLI_USAGE;
        }
        /* `--libvirt URI` as well as `--libvirt=URI`: a next argument that
         * is a URI (scheme:...) belongs to it. */
        const char *arg = optarg;
        if (c == 'V' && !arg && optind < argc && strstr(argv[optind], ":") &&
            argv[optind][0] != '-')
            arg = argv[optind++];
        if ((rc = parse_one(o, c, arg)) != 0)
            return rc;
    }
    if (optind < argc)
        return cli_error(CLI_USAGE, "run", "unexpected argument '%s'", argv[optind]);
    if (!o->npids && !o->qemu && !o->libvirt && !o->nqmps)
        return cli_error(CLI_USAGE, "run", "name VMs with --pid PID, --qmp SOCKET, --qemu "
                         "or --libvirt");
    if (o->config && (rc = run_load_config(o)) != 0)
        return rc;
    return 0;
}

int run_load_config(run_options *o)
{
    FILE *f = fopen(o->config, "re");
    if (!f)
        return cli_error(CLI_FAILED, "run", "cannot read config %s: %s", o->config,
                         strerror(errno));
    char line[512];
    int rc = 0, lineno = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *key = strtok(line, " \t\r\n="), *val = key ? strtok(NULL, " \t\r\n=") : NULL;
        if (!key)
            continue;
        if (!val || apply(o, key, val))
            rc = cli_error(CLI_USAGE, "run", "%s:%d: bad option '%s'", o->config, lineno, key);
    }
    fclose(f);
    return rc;
}
