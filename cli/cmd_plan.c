/* vmaccel plan: where would these VMs' vCPUs go on this topology? */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PLAN_VMS 65536u

static void usage(FILE *out)
{
    fprintf(out,
        "usage: vmaccel plan [--xml FILE | --synthetic DESC | host] --vms SPEC\n"
        "                    [--strategy S] [--smt spread|pack|one-per-core]\n"
        "                    [--reserved CPULIST] [--allowed CPULIST]\n"
        "                    [--format text|json|pb]\n\n"
        "Plans the vCPUs of hypothetical VMs on a topology (the live host by\n"
        "default, or \"host\") and prints where each vCPU goes. Nothing is pinned.\n"
        "The json and pb outputs are a vmaccel.v1.DiagnosticReport holding the\n"
        "topology and one Placement per VM.\n\n"
        "  --vms SPEC         VMs as COUNTxVCPUS items, e.g. 4x8,2x16 (a bare\n"
        "                     number is one VM of that many vCPUs)\n"
        "  --strategy S       local-first (default), load-balanced,\n"
        "                     bandwidth-optimized or adaptive\n"
        "  --smt POLICY       spread (default), pack or one-per-core\n"
        "  --reserved LIST    CPUs kept for the host, e.g. 0,1\n"
        "  --allowed LIST     play a cpuset, e.g. 0-15\n"
        "  --xml FILE         an hwloc XML file\n"
        "  --synthetic DESC   an hwloc synthetic topology, e.g.\n"
        "                     \"pack:4 numa:4 l3:2 core:16 pu:2\"\n"
        "  --format FMT       text (default), json or pb\n");
}

/* "4x8,2x16" -> VM sizes; returns the VM count or 0 on a bad spec. */
static size_t parse_vms(const char *spec, unsigned **sizes)
{
    size_t n = 0, cap = 0;
    *sizes = NULL;
    char *copy = strdup(spec), *save = NULL;
    for (char *item = copy ? strtok_r(copy, ",", &save) : NULL; item;
         item = strtok_r(NULL, ",", &save)) {
        unsigned long count = 1, vcpus;
        char *x = strchr(item, 'x');
        if (x)
            *x = '\0';
        if ((x && cli_parse_uint(item, MAX_PLAN_VMS, &count)) ||
            cli_parse_uint(x ? x + 1 : item, 4096, &vcpus) || !count || !vcpus ||
            n + count > MAX_PLAN_VMS)
            goto bad;
        if (n + count > cap) {
            cap = (n + count) * 2;
            unsigned *grown = realloc(*sizes, cap * sizeof **sizes);
            if (!grown)
                goto bad;
            *sizes = grown;
        }
        for (unsigned long i = 0; i < count; i++)
            (*sizes)[n++] = (unsigned)vcpus;
    }
    free(copy);
    return n;
bad:
    free(copy);
    free(*sizes);
    *sizes = NULL;
    return 0;
}

static int parse_smt(const char *s, vmaccel_smt_policy *out)
{
    if (!strcmp(s, "spread"))
        *out = VMACCEL_SMT_SPREAD;
    else if (!strcmp(s, "pack"))
        *out = VMACCEL_SMT_PACK;
    else if (!strcmp(s, "one-per-core"))
        *out = VMACCEL_SMT_ONE_PER_CORE;
    else
        return -1;
    return 0;
}

static void print_vm(const vmaccel_plan *plan, unsigned vm, unsigned vcpus)
{
    double score = 0;
    vmaccel_plan_score(plan, vm, &score);
    printf("VM %u: %u vCPUs, score %.4f\n", vm, vcpus, score);
    for (unsigned v = 0; v < vcpus; v++) {
        unsigned cpu = 0, node = 0;
        vmaccel_plan_vcpu(plan, vm, v, &cpu, &node);
        printf("  vCPU %-4u -> CPU %-5u node %u\n", v, cpu, node);
    }
}

static int print_text(const vmaccel_plan *plan, const vmaccel_topology *topo,
                      const unsigned *sizes, size_t n, vmaccel_strategy s)
{
    unsigned pus = 0, nodes = 0, total = 0;
    double score = 0;
    vmaccel_topology_count(topo, VMACCEL_OBJ_PU, &pus);
    vmaccel_topology_count(topo, VMACCEL_OBJ_NUMA_NODE, &nodes);
    vmaccel_plan_score(plan, VMACCEL_NO_INDEX, &score);
    for (size_t i = 0; i < n; i++)
        total += sizes[i];
    printf("plan: %zu VMs, %u vCPUs on %u PUs in %u NUMA nodes, strategy %s, "
           "score %.4f\n", n, total, pus, nodes, vmaccel_strategy_name(s), score);
    for (size_t i = 0; i < n; i++)
        print_vm(plan, (unsigned)i, sizes[i]);
    return fflush(stdout) == 0 ? CLI_OK : cli_error(CLI_FAILED, "plan", "cannot write");
}

static int run(const vmaccel_topology_options *topts, const vmaccel_plan_options *popts,
               const unsigned *sizes, size_t n, vmaccel_format format)
{
    vmaccel_topology *topo = NULL;
    vmaccel_plan *plan = NULL;
    int rc = vmaccel_topology_load(topts, &topo);
    if (rc)
        return cli_lib_error("plan", "cannot load the topology", rc);
    int out = CLI_FAILED;
    if ((rc = vmaccel_plan_new(topo, popts, &plan))) {
        cli_lib_error("plan", "bad plan options", rc);
        goto done;
    }
    for (size_t i = 0; i < n && !rc; i++)
        rc = vmaccel_plan_add_vm(plan, sizes[i], NULL, 0, NULL);
    if (!rc)
        rc = vmaccel_plan_compute(plan);
    if (rc) {
        cli_lib_error("plan", "cannot plan", rc);
        goto done;
    }
    if (format == VMACCEL_FORMAT_TEXT) {
        out = print_text(plan, topo, sizes, n, popts->strategy);
    } else {
        vmaccel_buf buf = {0};
        if ((rc = vmaccel_plan_report(plan, format, &buf)))
            cli_lib_error("plan", "cannot render the plan", rc);
        else
            out = cli_write_buf(&buf, format) ? cli_error(CLI_FAILED, "plan", "cannot write")
                                              : CLI_OK;
        vmaccel_buf_free(&buf);
    }
done:
    vmaccel_plan_free(plan);
    vmaccel_topology_free(topo);
    return out;
}

int cmd_plan(int argc, char **argv)
{
    static const struct option opts[] = {
        {"xml", required_argument, 0, 'x'}, {"synthetic", required_argument, 0, 's'},
        {"vms", required_argument, 0, 'v'}, {"strategy", required_argument, 0, 'S'},
        {"smt", required_argument, 0, 'm'}, {"reserved", required_argument, 0, 'r'},
        {"allowed", required_argument, 0, 'a'}, {"format", required_argument, 0, 'f'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *xml = NULL, *synthetic = NULL, *vms = NULL, *allowed = NULL;
    vmaccel_plan_options popts = VMACCEL_PLAN_OPTIONS_INIT;
    vmaccel_format format = VMACCEL_FORMAT_TEXT;
    int c;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "x:s:v:S:m:r:a:f:h", opts, NULL)) != -1) {
        switch (c) {
        case 'x': xml = optarg; break;
        case 's': synthetic = optarg; break;
        case 'v': vms = optarg; break;
        case 'r': popts.reserved_cpus = optarg; break;
        case 'a': allowed = optarg; break;
        case 'S':
            if (vmaccel_strategy_parse(optarg, &popts.strategy))
                return cli_error(CLI_USAGE, "plan", "%s", vmaccel_error_last());
            break;
        case 'm':
            if (parse_smt(optarg, &popts.smt))
                return cli_error(CLI_USAGE, "plan", "unknown SMT policy '%s' (spread, "
                                 "pack or one-per-core)", optarg);
            break;
        case 'f':
            if (cli_parse_format(optarg, &format))
                return cli_error(CLI_USAGE, "plan", "unknown format '%s' (text, json "
                                 "or pb)", optarg);
            break;
        case 'h': usage(stdout); return CLI_OK;
        default: usage(stderr); return CLI_USAGE;
        }
    }
    if (optind < argc && !strcmp(argv[optind], "host") && !xml && !synthetic)
        optind++;
    if (optind < argc)
        return cli_error(CLI_USAGE, "plan", "unexpected argument '%s'", argv[optind]);
    if (!vms)
        return cli_error(CLI_USAGE, "plan", "--vms is required, e.g. --vms 4x8,2x16");
    unsigned *sizes;
    size_t n = parse_vms(vms, &sizes);
    if (!n)
        return cli_error(CLI_USAGE, "plan", "bad --vms '%s': expected COUNTxVCPUS items "
                         "like 4x8,2x16 (1..4096 vCPUs each)", vms);
    vmaccel_topology_options topts;
    int rc = cli_topology_options("plan", xml, synthetic, &topts);
    if (!rc) {
        topts.allowed_cpus = allowed;
        rc = run(&topts, &popts, sizes, n, format);
    }
    free(sizes);
    return rc;
}
